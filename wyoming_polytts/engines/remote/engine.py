"""Another Wyoming TTS server as an engine: e.g. a GPU box with CSM serving several homes.

Each segment is one `synthesize` request on its own connection (the remote answers with
audio-start, chunks, audio-stop); its audio is converted to 24 kHz 16-bit mono if the
remote speaks another format. A background thread sends Describe every `refresh`
seconds: it refreshes the voices and tells whether the remote is reachable; while it is
not, segments fail at once, so the reply's fallback takes over without waiting.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO

import numpy as np
from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStop
from wyoming.error import Error
from wyoming.event import Event, write_event
from wyoming.info import Describe, Info, TtsVoice
from wyoming.tts import Synthesize, SynthesizeVoice

from ...framing import FrameError, read_event_sync
from ...schema import did_you_mean
from ...uri import tcp_address
from ..base import SAMPLE_RATE, Audio, Engine, EngineVoice, SynthesisRequest
from ..errors import EngineUnavailable, SynthesisCancelled
from .settings import RemoteSettings

_LOGGER = logging.getLogger(__name__)

DEFAULT_SATELLITE = "default"
"""Named to the remote for a segment spoken without a conversation."""


class RemoteFailed(Exception):
    """The remote answered with an error event or broke the protocol."""


class WyomingRemoteEngine(Engine):
    """Speaks through a remote Wyoming TTS server; its voices come from the remote's Info."""

    def __init__(self, name: str, settings: RemoteSettings) -> None:
        self.name = name
        self.concurrency = settings.workers
        self.device = settings.uri
        # A remote CSM sounds different after different turns: never reuse its audio
        self.cacheable = not settings.conversational
        address = tcp_address(settings.uri)
        assert address is not None, "checked by RemoteSettings"
        self._address = address
        self._settings = settings
        self._home = settings.home or socket.gethostname()
        self._prefix = f"{name}." if settings.prefix is None else settings.prefix
        self._voices = tuple(
            EngineVoice(self._prefix + voice, settings.languages, f"{voice} on {name}", name)
            for voice in settings.voices
        )
        self._problem: str | None = None
        self._lock = threading.Lock()
        self._described = False
        self._waiting_checks: list[Callable[[], None]] = []
        """Checks of voice names, run once the first Info tells the remote's voices."""
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None

    def voices(self) -> tuple[EngineVoice, ...]:
        return self._voices

    def may_offer(self, name: str) -> EngineVoice | None:
        # Only a name with this remote's own prefix: an empty prefix would claim every name
        with self._lock:
            unknown = not self._described and bool(self._prefix)
        if not unknown or not name.startswith(self._prefix) or name == self._prefix:
            return None
        voice = name.removeprefix(self._prefix)
        return EngineVoice(name, self._settings.languages, f"{voice} on {self.name}", self.name)

    def check_voice_later(self, name: str, check: Callable[[], None]) -> bool:
        with self._lock:
            if self._described or not name.startswith(self._prefix):
                return False
            self._waiting_checks.append(check)
            return True

    def load(self) -> None:
        """Ask for the remote's voices once, then keep asking in the background.

        An unreachable remote does not fail the load: it may come back, and its voices
        (the listed ones, or those last seen) keep falling back meanwhile.
        """
        self.refresh()
        self._refresher = threading.Thread(
            target=self._refresh_loop, name=f"{self.name}-describe", daemon=True
        )
        self._refresher.start()

    def _refresh_loop(self) -> None:
        while not self._stop.wait(self._settings.refresh):
            self.refresh()

    def refresh(self) -> None:
        """Describe the remote: update the voices and whether it is reachable."""
        try:
            info = self._describe()
        except (OSError, RemoteFailed) as err:
            if self._problem is None:
                _LOGGER.warning("Remote %s at %s is unreachable: %s", self.name, self._uri, err)
            self._problem = str(err) or type(err).__name__
            return
        if self._problem is not None:
            _LOGGER.info("Remote %s at %s is reachable again", self.name, self._uri)
        self._problem = None
        voices = self._voices_of(info)
        if voices != self._voices:
            _LOGGER.info("Remote %s offers %s voice(s)", self.name, len(voices))
            self._voices = voices
        if not self._described:
            self._first_info(info)

    def _first_info(self, info: Info) -> None:
        """Report listed voices the remote lacks; run the checks that waited for its voices."""
        offered = [voice.name for voice in _installed_voices(info)]
        for listed in self._settings.voices:
            if listed not in offered:
                _LOGGER.error(
                    "config key 'remotes.%s.voices': %s offers no voice %r; %s",
                    self.name,
                    self._uri,
                    listed,
                    did_you_mean(listed, offered),
                )
        with self._lock:
            self._described = True
            checks, self._waiting_checks = self._waiting_checks, []
        for check in checks:
            check()

    @property
    def _uri(self) -> str:
        return self._settings.uri

    def _describe(self) -> Info:
        with self._connect() as (reader, writer):
            _send(Describe().event(), writer)
            while (event := self._read(reader)) is not None:
                if Info.is_type(event.type):
                    return Info.from_event(event)
        raise RemoteFailed("closed the connection before sending info")

    def _voices_of(self, info: Info) -> tuple[EngineVoice, ...]:
        wanted = set(self._settings.voices)
        return tuple(
            EngineVoice(
                name=self._prefix + voice.name,
                languages=tuple(voice.languages) or self._settings.languages,
                description=f"{voice.description or voice.name} on {self.name}",
                engine=self.name,
            )
            for voice in _installed_voices(info)
            if not wanted or voice.name in wanted
        )

    def synthesize(self, request: SynthesisRequest, cancel: threading.Event) -> Iterator[Audio]:
        if self._problem is not None:
            raise EngineUnavailable(f"remote {self.name} is unreachable: {self._problem}")
        if cancel.is_set():
            raise SynthesisCancelled
        synthesize = Synthesize(
            text=request.text,
            voice=SynthesizeVoice(name=request.voice.removeprefix(self._prefix)),
            # Histories of homes sharing the remote stay apart
            context={"satellite_id": f"{self._home}/{_satellite(request)}"},
        )
        converter = AudioChunkConverter(rate=SAMPLE_RATE, width=2, channels=1)
        with self._connect() as (reader, writer):
            _send(synthesize.event(), writer)
            while True:
                event = self._read(reader)
                if cancel.is_set():
                    raise SynthesisCancelled
                if event is None:
                    raise RemoteFailed("closed the connection before audio-stop")
                if AudioChunk.is_type(event.type):
                    chunk = converter.convert(AudioChunk.from_event(event))
                    yield np.frombuffer(chunk.audio, dtype="<i2").astype(np.float32) / 32768.0
                elif AudioStop.is_type(event.type):
                    return
                elif Error.is_type(event.type):
                    raise RemoteFailed(f"remote {self.name}: {Error.from_event(event).text}")

    def _read(self, reader: BinaryIO) -> Event | None:
        """The remote's next event, within the same limits as a client's."""
        try:
            return read_event_sync(reader, self._settings.max_frame_bytes)
        except FrameError as err:
            raise RemoteFailed(f"remote {self.name} sent a broken frame: {err}") from err

    def _connect(self) -> contextlib.AbstractContextManager[tuple[BinaryIO, BinaryIO]]:
        return _connection(self._address, self._settings.timeout)

    def close(self) -> None:
        self._stop.set()


def _installed_voices(info: Info) -> Iterator[TtsVoice]:
    for program in info.tts:
        if program.installed:
            yield from (voice for voice in program.voices if voice.installed)


def _satellite(request: SynthesisRequest) -> str:
    return request.conversation.key if request.conversation is not None else DEFAULT_SATELLITE


@contextlib.contextmanager
def _connection(address: tuple[str, int], timeout: float) -> Iterator[tuple[BinaryIO, BinaryIO]]:
    """A TCP connection with a timeout on connecting and on each read, as binary files."""
    with (
        socket.create_connection(address, timeout=timeout) as sock,
        sock.makefile("rb") as reader,
        sock.makefile("wb") as writer,
    ):
        yield reader, writer


def _send(event: Event, writer: BinaryIO) -> None:
    write_event(event, writer)
    writer.flush()
