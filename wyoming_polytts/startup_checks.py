"""Start-up checks of the configuration against the engines that will serve it.

Every voice the configuration or the command line names must be one an engine offers or
understands (a blend, say): an unknown one stops start-up with the key, the value and the
closest voices, before anything is served. A remote server's voices are known only once it
answers, so a name it may offer is checked then, and logged, rather than blocking start-up.
A quality mode that no engine here can serve is reported once.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

from .config import Config
from .engines.base import Engine, EngineVoice
from .engines.errors import BadVoice
from .reply.voices import VoiceCatalogue
from .satellites.settings import Quality
from .schema import ConfigError, did_you_mean

_LOGGER = logging.getLogger(__name__)

KeyLabels = Mapping[str, str]
"""How the user wrote a config key, where not in config.yaml (`defaults.voice` ->
"command-line flag '--voice'"); unlisted keys are named as config keys."""
CONFIG_KEYS: KeyLabels = types.MappingProxyType({})


@dataclass(frozen=True)
class NamedVoice:
    key: str
    voice: str
    profile_allowed: bool = False
    """A satellite profile's name is a valid value too."""


def named_voices(config: Config) -> list[NamedVoice]:
    """Every voice the configuration names, with its key."""
    named = [
        NamedVoice("defaults.voice", config.defaults.voice, profile_allowed=True),
        NamedVoice("routing.fallback_voice", config.routing.fallback_voice or ""),
        NamedVoice("routing.conversational_voice", config.routing.conversational_voice or ""),
    ]
    for name, profile in config.satellites.items():
        named.append(NamedVoice(f"satellites.{name}.voice", profile.voice or ""))
        key = f"satellites.{name}.conversational_voice"
        named.append(NamedVoice(key, profile.conversational_voice or ""))
    return [item for item in named if item.voice]


def label(key: str, labels: KeyLabels) -> str:
    return labels.get(key) or f"config key {key!r}"


def relabelled(message: str, labels: KeyLabels) -> str:
    """A message that names config keys, naming them as the user wrote them instead."""
    for key, written in labels.items():
        message = message.replace(f"config key {key!r}", written)
    return message


def check_configuration(
    config: Config, voices: VoiceCatalogue, labels: KeyLabels = CONFIG_KEYS
) -> None:
    """Raise ConfigError for a voice nobody offers; log what cannot be checked or served yet."""
    check_voices(config, voices, labels)
    check_profile_languages(config, voices, labels)
    report_quality(config, voices, labels)
    report_missing_data_dirs(config)


def check_profile_languages(
    config: Config, voices: VoiceCatalogue, labels: KeyLabels = CONFIG_KEYS
) -> None:
    """A profile's language must be one some voice here speaks (Home Assistant lists the
    profile under it); one its own voice does not speak is warned about."""
    spoken = {lang for voice in voices.known_voices().values() for lang in voice.languages}
    for name, profile in config.satellites.items():
        if profile.language is None:
            continue
        where = label(f"satellites.{name}.language", labels)
        if profile.language not in spoken:
            raise ConfigError(
                f"{where}: no voice here speaks {profile.language!r}; "
                f"{did_you_mean(profile.language, spoken)}"
            )
        voice = voices.find_voice(profile.voice or config.defaults.voice)
        if voice is not None and profile.language not in voice.languages:
            _LOGGER.warning(
                "%s: %r, but its voice %s speaks %s",
                where,
                profile.language,
                voice.name,
                ", ".join(voice.languages),
            )


def report_missing_data_dirs(config: Config) -> None:
    """A data dir that does not exist is read from by nobody: a typo, or a folder to create
    (the download dir is made when something is fetched into it)."""
    for path in config.models.paths:
        if path != config.download_dir and not path.is_dir():
            _LOGGER.warning(
                "Data dir %s (models.data_dirs, --data-dir) is not a folder: no models or "
                "voices are read from it",
                path,
            )


def check_voices(config: Config, voices: VoiceCatalogue, labels: KeyLabels = CONFIG_KEYS) -> None:
    for named in named_voices(config):
        if named.profile_allowed and named.voice in config.satellites:
            continue
        where = label(named.key, labels)
        try:
            found = voices.find_voice(named.voice)
        except BadVoice as err:  # an engine reads the name but cannot speak it (a bad blend)
            raise ConfigError(f"{where}: {err}") from err
        if found is not None:
            report_dormant(voices, where, found)
            continue
        waiting = next(
            (
                engine
                for engine in engines(voices)
                if engine.check_voice_later(
                    named.voice, partial(_check_later, voices, where, named.voice, engine.name)
                )
            ),
            None,
        )
        if waiting is not None:
            _LOGGER.info(
                "%s: voice %r is checked once %s tells its voices", where, named.voice, waiting.name
            )
            continue
        known = list(voices.known_voices())
        if named.profile_allowed:
            known += config.satellites
        raise ConfigError(
            f"{where}: unknown voice {named.voice!r}; {did_you_mean(named.voice, known)}"
        )


def report_dormant(voices: VoiceCatalogue, where: str, voice: EngineVoice) -> None:
    """A warning when a named voice is one of an engine that does not run here (its replies
    fall back), with the voices of the same name that other engines offer, e.g. a remote's."""
    if voice.engine in voices.backends:
        return
    elsewhere = [name for name in voices.known_voices() if name.endswith(f".{voice.name}")]
    hint = f"; a voice that runs: {' or '.join(elsewhere)}" if elsewhere else ""
    _LOGGER.warning(
        "%s: voice %r is %s's, which does not run here: its replies use the fallback voice%s",
        where,
        voice.name,
        voice.engine,
        hint,
    )


def engines(voices: VoiceCatalogue) -> list[Engine]:
    return [backend.engine for backend in voices.backends.values()]


def _check_later(voices: VoiceCatalogue, where: str, voice: str, engine: str) -> None:
    try:
        found = voices.find_voice(voice)
    except BadVoice as err:
        _LOGGER.error("%s: %s (replies that need it use the fallback voice)", where, err)
        return
    if found is None:
        _LOGGER.error(
            "%s: unknown voice %r, now that %s told its voices; %s (replies that need it "
            "use the fallback voice)",
            where,
            voice,
            engine,
            did_you_mean(voice, voices.known_voices()),
        )


def report_quality(config: Config, voices: VoiceCatalogue, labels: KeyLabels = CONFIG_KEYS) -> None:
    """One line when a quality mode asks for a conversational engine that does not run here."""
    if any(status.conversational for status in voices.backends.statuses().values()):
        return
    asked = {"routing.quality": config.routing.quality} | {
        f"satellites.{name}.quality": profile.quality
        for name, profile in config.satellites.items()
        if profile.quality
    }
    running = ", ".join(engine.name for engine in engines(voices)) or "none"
    off = sorted({voice.engine for voice in voices.dormant})
    why = f"no conversational engine runs here (off: {', '.join(off) or 'none'})"
    insisting = [
        label(key, labels) for key, quality in asked.items() if quality == Quality.CONVERSATIONAL
    ]
    if insisting:
        _LOGGER.warning(
            "%s: conversational quality cannot be served: %s; replies use %s",
            ", ".join(insisting),
            why,
            running,
        )
    elif Quality.AUTO in asked.values():
        _LOGGER.info("Quality auto: %s, so replies use %s", why, running)
