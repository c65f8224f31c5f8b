"""The voice catalogue: the voices the engines offer or understand, and the satellite
profiles listed as voices, for Describe, the planner and the start-up checks."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from ..engines.base import EngineVoice
from ..engines.errors import BadVoice
from ..satellites.settings import SatelliteProfile
from ..schema import did_you_mean
from .backend import Backends
from .planner import profile_voice

_LOGGER = logging.getLogger(__name__)


class VoiceCatalogue:
    """Every voice a request may name, by name."""

    def __init__(
        self,
        backends: Backends,
        profiles: Mapping[str, SatelliteProfile],
        default_voice: str,
        dormant: Iterable[EngineVoice] = (),
    ) -> None:
        """`dormant`: voices of engines that are off (requests for them fall back)."""
        self.backends = backends
        self.profiles = profiles
        self._default_voice = default_voice
        self.dormant = tuple(dormant)

    def voices(self, *, include_failed: bool = False) -> Mapping[str, EngineVoice]:
        """Voices of the engines that are loading or loaded; a failed engine's are hidden."""
        return {
            voice.name: voice
            for backend in self.backends.values()
            if include_failed or not backend.failed
            for voice in backend.engine.voices()
        }

    def known_voices(self) -> Mapping[str, EngineVoice]:
        """Every voice offered: also those of failed and dormant engines."""
        return {**{v.name: v for v in self.dormant}, **self.voices(include_failed=True)}

    def find_voice(self, name: str) -> EngineVoice | None:
        """The voice a request's name means: an offered one, or one an engine understands.
        Raises BadVoice when an engine reads the name but cannot speak it (a bad blend)."""
        offered = self.known_voices().get(name)
        if offered is not None:
            return offered
        problem: BadVoice | None = None
        for backend in self.backends.values():
            try:
                voice = backend.engine.find_voice(name)
            except BadVoice as err:
                problem = problem or err
                continue
            if voice is not None:
                return voice
        if problem is not None:
            raise problem
        return None

    def find_requested(self, name: str) -> EngineVoice | None:
        """The voice a request's name means, or one an engine may offer once it knows its
        voices (a remote that is down since start-up): such a request falls back."""
        found = self.find_voice(name)
        if found is not None:
            return found
        return next(
            (voice for b in self.backends.values() if (voice := b.engine.may_offer(name))), None
        )

    def voice_or_none(self, name: str) -> EngineVoice | None:
        """The voice `name` means; None also for a name no engine can speak (a bad blend)."""
        try:
            return self.find_voice(name)
        except BadVoice:
            return None

    def profile_voices(self) -> list[EngineVoice]:
        """The satellite profiles, as Info lists them."""
        return [
            profile_voice(name, profile, self.find_voice, self._default_voice)
            for name, profile in self.profiles.items()
        ]

    def listed_voices(self) -> list[EngineVoice]:
        """What Info lists: the engines' voices and the satellite profiles (which win a name)."""
        profiles = self.profile_voices()
        names = {voice.name for voice in profiles}
        engine_voices = [v for v in self.voices().values() if v.name not in names]
        return [*engine_voices, *profiles]

    def unknown(self, name: str) -> str:
        """What a client is told of a voice nobody offers: the closest ones."""
        offered = (v.name for v in (*self.voices().values(), *self.profile_voices()))
        return f"voice {name} is not available; {did_you_mean(name, offered)}"

    def switchable_language(self, engine: str, name: str) -> str | None:
        """The language of voice `name` if a reply on `engine` may switch to it (SSML)."""
        voice = self.voice_or_none(name)
        return voice.languages[0] if voice is not None and voice.engine == engine else None

    def warn_about_profiles(self) -> None:
        # Their voices are checked at start-up (startup_checks); a profile's name is free
        # text, which an engine may read as a voice ("Kitchen (main)" as a Kokoro blend)
        for name in self.profiles:
            if self.voice_or_none(name) is not None:
                _LOGGER.warning("Satellite profile %s hides the voice of the same name", name)
