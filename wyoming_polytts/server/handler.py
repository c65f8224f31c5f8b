"""The Wyoming protocol state machine of one connection.

Describe -> Info; a one-shot `synthesize`; or a stream of synthesize-start, chunks cut
anywhere, the full `synthesize` copy (ignored) and synthesize-stop. Audio is produced by
a reply task, so this loop keeps reading: a disconnect cancels the reply's queued work.
Every wait on the client has a limit: a frame's arrival, the pause between events while
the server waits for the client, and each write of audio.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TypeVar

from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe
from wyoming.server import AsyncEventHandler
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
)

from ..framing import FrameError, FrameLimits, read_event
from ..reply.errors import ReplyFailed
from ..reply.service import TtsService
from ..reply.session import ReplySession
from .audio_stream import AudioStream
from .closing import LINGER_SECONDS, close_after_reading
from .health import HEALTH_EVENT, health_event
from .info import build_info
from .requests import BadRequest, SpeakRequest, chunk_text, speak_request
from .settings import ServerSettings

_LOGGER = logging.getLogger(__name__)

T = TypeVar("T")


class ProtocolError(Exception):
    """A request that breaks the protocol or a limit; `code` goes into the error event."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ClientNotReading(ConnectionError):
    """A write did not drain within the write timeout."""


class TtsEventHandler(AsyncEventHandler):
    """Serves one client connection."""

    def __init__(
        self,
        service: TtsService,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        limits: ServerSettings,
        max_id_chars: int,
    ) -> None:
        """`max_id_chars`: the longest satellite or conversation id a request may carry."""
        super().__init__(reader, writer)
        self._service = service
        self._limits = limits
        self._max_id_chars = max_id_chars
        self._frames = FrameLimits(self._limits.max_frame_bytes, self._limits.frame_timeout)
        self._peer = writer.get_extra_info("peername")
        self._stream: ReplySession | None = None
        self._stream_chars = 0
        self._reply: ReplySession | None = None
        self._reply_task: asyncio.Task[None] | None = None
        self._idle: asyncio.Timeout | None = None
        self._heard_at = asyncio.get_running_loop().time()
        self._refused_stream = False
        """The last synthesize-start was refused: the rest of its stream is dropped, and its
        synthesize-stop closes the connection."""

    async def run(self) -> None:
        """Like AsyncEventHandler.run, with frame limits and an idle limit."""
        self._service.recorder.connection_opened()
        try:
            while (event := await self._next_event()) is not None:
                if not await self.handle_event(event):
                    break
        finally:
            self._service.recorder.connection_closed()
            await self.disconnect()
            await close_after_reading(self.reader, self.writer)

    async def _next_event(self) -> Event | None:
        """The next event; None when the connection is to end."""
        try:
            async with asyncio.timeout_at(self._idle_deadline()) as self._idle:
                event = await read_event(self.reader, self._frames, self._idle)
            self._heard_at = asyncio.get_running_loop().time()
            return event
        except TimeoutError:
            idle = self._limits.idle_timeout
            await self._refuse(ProtocolError("timeout", f"no event for {idle} s; closing"))
        except FrameError as err:
            _LOGGER.warning("Closing connection from %s: %s", self._peer, err)
        except ConnectionError:
            pass
        finally:
            self._idle = None
        return None

    def _idle_deadline(self) -> float | None:
        """While a reply is spoken and no stream is open, the client has nothing to send."""
        if self._stream is None and self._reply is not None:
            return None
        return asyncio.get_running_loop().time() + self._limits.idle_timeout

    async def handle_event(self, event: Event) -> bool:
        try:
            return await self._dispatch(event)
        except ProtocolError as err:
            await self._refuse(err)
            # Home Assistant 2025.7 ignores errors mid-stream: only a close ends its wait
            in_stream = self._stream is not None
            self._refused_stream = not in_stream and SynthesizeStart.is_type(event.type)
            await self._drop_stream()
            return not in_stream
        except ConnectionError:
            return False
        except Exception:
            _LOGGER.exception("Unexpected failure on an event from %s", self._peer)
            await self._refuse(ProtocolError("internal", "internal error; see the server's log"))
            return False

    async def write_event(self, event: Event) -> None:
        try:
            async with asyncio.timeout(self._limits.write_timeout):
                await super().write_event(event)
        except TimeoutError as err:
            timeout = self._limits.write_timeout
            raise ClientNotReading(f"{self._peer} took no audio for {timeout} s") from err

    async def _refuse(self, err: ProtocolError, *, recorded: bool = False) -> None:
        """Send an error event; `recorded`: the reply's own record counts it already."""
        _LOGGER.warning("Refused request from %s: %s (%s)", self._peer, err, err.code)
        if not recorded:
            self._service.recorder.refused(err.code)
        with contextlib.suppress(ConnectionError):
            await self.write_event(Error(text=str(err), code=err.code).event())

    async def _dispatch(self, event: Event) -> bool:
        if self._refused_stream and (
            SynthesizeChunk.is_type(event.type) or Synthesize.is_type(event.type)
        ):
            return True  # its chunks and full-text copy: refused once, not once per event
        if self._refused_stream and SynthesizeStop.is_type(event.type):
            return False  # a streaming client (Home Assistant) waits for a close
        if Describe.is_type(event.type):
            await self.write_event(build_info(self._service.voices.listed_voices()).event())
        elif event.type == HEALTH_EVENT:
            await self.write_event(health_event(self._service.problems()))
        elif SynthesizeStart.is_type(event.type):
            await self._start_stream(self._request(event, with_text=False))
        elif SynthesizeChunk.is_type(event.type):
            stream = self._current_stream(event.type)
            self._add_stream_text(stream, self._checked(chunk_text, event))
        elif SynthesizeStop.is_type(event.type):
            stream = self._current_stream(event.type)
            self._stream = None
            stream.end_text()
            self._serve_in_background(stream, streaming=True)
        elif Synthesize.is_type(event.type):
            if self._stream is None:
                await self._one_shot(self._request(event, with_text=True))
            # Inside a stream it is the full-text copy for old servers: already spoken
        else:
            _LOGGER.debug("Ignoring event %s from %s", event.type, self._peer)
        return True

    def _request(self, event: Event, *, with_text: bool) -> SpeakRequest:
        return self._checked(
            lambda checked: speak_request(
                checked, with_text=with_text, max_id_chars=self._max_id_chars
            ),
            event,
        )

    @staticmethod
    def _checked(read: Callable[[Event], T], event: Event) -> T:
        try:
            return read(event)
        except BadRequest as err:
            raise ProtocolError("bad-request", str(err)) from err

    async def _start_stream(self, request: SpeakRequest) -> None:
        self._refused_stream = False
        if self._stream is not None:
            raise ProtocolError("protocol", "synthesize-start inside a stream that is not stopped")
        await self._wait_previous_reply()
        self._stream = self._open(request)
        self._stream_chars = 0

    def _add_stream_text(self, stream: ReplySession, text: str) -> None:
        self._stream_chars += len(text)
        self._check_length(self._stream_chars)
        stream.add_text(text)

    async def _one_shot(self, request: SpeakRequest) -> None:
        assert request.text is not None
        self._check_length(len(request.text))
        await self._wait_previous_reply()
        reply = self._open(request, len(request.text))
        try:
            reply.add_text(request.text)
            reply.end_text()
        except BaseException:
            await reply.cancel()
            raise
        self._serve_in_background(reply, streaming=False)

    def _open(self, request: SpeakRequest, text_length: int | None = None) -> ReplySession:
        sink = AudioStream(self.write_event, self._limits.chunk_ms)
        try:
            return self._service.open_reply(
                request.voice,
                request.context,
                sink,
                text_length=text_length,
                text_format=request.text_format,
            )
        except ReplyFailed as err:
            raise ProtocolError(err.code, str(err)) from err

    def _current_stream(self, event_type: str) -> ReplySession:
        if self._stream is None:
            raise ProtocolError("protocol", f"{event_type} without synthesize-start")
        return self._stream

    def _check_length(self, chars: int) -> None:
        if problem := self._limits.text_too_long(chars):
            raise ProtocolError("text-too-long", problem)

    def _serve_in_background(self, reply: ReplySession, *, streaming: bool) -> None:
        self._reply = reply
        self._reply_task = asyncio.create_task(self._serve(reply, streaming=streaming))

    async def _serve(self, reply: ReplySession, *, streaming: bool) -> None:
        try:
            await reply.wait()
            if streaming:
                await self.write_event(SynthesizeStopped().event())
        except ReplyFailed as err:
            await self._refuse(ProtocolError(err.code, str(err)), recorded=True)
            self.writer.close()
        except ConnectionError as err:
            _LOGGER.debug("%s went away during its reply: %s", self._peer, err)
            self.writer.close()
        finally:
            await reply.cancel()  # whatever is left of it: its admissions, its queued work
            if self._reply is reply:
                self._reply = None
                if self._idle is not None:  # the client may speak again: it is waited for
                    self._idle.reschedule(self._idle_deadline())

    async def _wait_previous_reply(self) -> None:
        if self._reply_task is not None:
            await asyncio.shield(self._reply_task)

    async def _drop_stream(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.cancel()

    @property
    def quiet_for(self) -> float:
        """Seconds since the client last sent an event (or connected)."""
        return asyncio.get_running_loop().time() - self._heard_at

    async def give_way(self, message: str) -> None:
        """Tell a quiet client it is closed to make room (`busy`), without waiting long for
        it to read; the caller then ends this handler's task."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(LINGER_SECONDS):
                await self._refuse(ProtocolError("busy", message))

    @property
    def busy(self) -> bool:
        """A reply is streaming in or being spoken."""
        return self._stream is not None or self._reply is not None

    async def abort(self, message: str) -> None:
        """End whatever is in progress with an `unavailable` error and close."""
        if self.busy:
            await self._refuse(ProtocolError("unavailable", message))
        await self.disconnect()
        self.writer.close()

    async def disconnect(self) -> None:
        await self._drop_stream()
        if self._reply is not None:
            _LOGGER.debug("%s disconnected; cancelling its reply", self._peer)
            await self._reply.cancel()
        if self._reply_task is not None and not self._reply_task.done():
            self._reply_task.cancel()
