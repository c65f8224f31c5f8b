"""The Wyoming protocol state machine of one connection.

Describe -> Info; a one-shot `synthesize`; or a stream of synthesize-start, chunks cut
anywhere, the full `synthesize` copy (ignored) and synthesize-stop. Audio is produced by
a reply task, so this loop keeps reading: a disconnect cancels the reply's queued work.
"""

from __future__ import annotations

import asyncio
import logging

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
    SynthesizeVoice,
)

from ..reply.service import TtsService
from ..reply.session import ReplyFailed, ReplySession
from .audio_stream import AudioStream
from .framing import FrameError, read_event
from .info import build_info

_LOGGER = logging.getLogger(__name__)


class ProtocolError(Exception):
    """A request that breaks the protocol or a limit; `code` goes into the error event."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class TtsEventHandler(AsyncEventHandler):
    """Serves one client connection."""

    def __init__(
        self,
        service: TtsService,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        super().__init__(reader, writer)
        self._service = service
        self._limits = service.config.server
        self._peer = writer.get_extra_info("peername")
        self._stream: ReplySession | None = None
        self._stream_chars = 0
        self._reply_task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Like AsyncEventHandler.run, with a frame reader that enforces limits."""
        try:
            while True:
                try:
                    event = await read_event(self.reader, self._limits.max_frame_bytes)
                except FrameError as err:
                    _LOGGER.warning("Closing connection from %s: %s", self._peer, err)
                    break
                except ConnectionError:
                    break
                if event is None or not await self.handle_event(event):
                    break
        finally:
            await self.disconnect()
            self.writer.close()

    async def handle_event(self, event: Event) -> bool:
        try:
            return await self._dispatch(event)
        except ProtocolError as err:
            _LOGGER.warning("Refused request from %s: %s", self._peer, err)
            await self.write_event(Error(text=str(err), code=err.code).event())
            # Home Assistant 2025.7 ignores errors mid-stream: only a close ends its wait
            in_stream = self._stream is not None
            await self._drop_stream()
            return not in_stream
        except ConnectionError:
            return False

    async def _dispatch(self, event: Event) -> bool:
        if Describe.is_type(event.type):
            await self.write_event(build_info(self._service.listed_voices()).event())
        elif SynthesizeStart.is_type(event.type):
            await self._start_stream(SynthesizeStart.from_event(event))
        elif SynthesizeChunk.is_type(event.type):
            self._add_stream_text(self._current_stream(event.type), event)
        elif SynthesizeStop.is_type(event.type):
            stream = self._current_stream(event.type)
            self._stream = None
            stream.end_text()
            self._reply_task = asyncio.create_task(self._serve(stream, streaming=True))
        elif Synthesize.is_type(event.type):
            if self._stream is None:
                await self._one_shot(Synthesize.from_event(event))
            # Inside a stream it is the full-text copy for old servers: already spoken
        else:
            _LOGGER.debug("Ignoring event %s from %s", event.type, self._peer)
        return True

    async def _start_stream(self, start: SynthesizeStart) -> None:
        if self._stream is not None:
            raise ProtocolError("protocol", "synthesize-start inside a stream that is not stopped")
        await self._wait_previous_reply()
        self._stream = self._open(start.voice, start.context, text_format=start.text_format)
        self._stream_chars = 0

    def _add_stream_text(self, stream: ReplySession, event: Event) -> None:
        text = SynthesizeChunk.from_event(event).text
        self._stream_chars += len(text)
        self._check_length(self._stream_chars)
        stream.add_text(text)

    async def _one_shot(self, synthesize: Synthesize) -> None:
        self._check_length(len(synthesize.text))
        await self._wait_previous_reply()
        reply = self._open(
            synthesize.voice,
            synthesize.context,
            len(synthesize.text),
            text_format=synthesize.text_format,
        )
        reply.add_text(synthesize.text)
        reply.end_text()
        self._reply_task = asyncio.create_task(self._serve(reply, streaming=False))

    def _open(
        self,
        voice: SynthesizeVoice | None,
        context: dict | None,
        text_length: int | None = None,
        *,
        text_format: str | None,
    ) -> ReplySession:
        try:
            sink = AudioStream(self.write_event, self._limits.chunk_ms)
            return self._service.open_reply(
                voice, context, sink, text_length=text_length, text_format=text_format
            )
        except ReplyFailed as err:
            raise ProtocolError(err.code, str(err)) from err

    def _current_stream(self, event_type: str) -> ReplySession:
        if self._stream is None:
            raise ProtocolError("protocol", f"{event_type} without synthesize-start")
        return self._stream

    def _check_length(self, chars: int) -> None:
        limit = self._limits.max_text_chars
        if chars > limit:
            raise ProtocolError(
                "text-too-long", f"text is {chars} characters long; the limit is {limit}"
            )

    async def _serve(self, reply: ReplySession, *, streaming: bool) -> None:
        try:
            await reply.wait()
            if streaming:
                await self.write_event(SynthesizeStopped().event())
        except ReplyFailed as err:
            _LOGGER.error("Reply to %s failed: %s", self._peer, err)
            await self.write_event(Error(text=str(err), code=err.code).event())
            self.writer.close()
        except ConnectionError:
            _LOGGER.debug("%s went away during its reply", self._peer)
            await reply.cancel()

    async def _wait_previous_reply(self) -> None:
        if self._reply_task is not None:
            await asyncio.shield(self._reply_task)

    async def _drop_stream(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.cancel()

    async def disconnect(self) -> None:
        await self._drop_stream()
        if self._reply_task is not None and not self._reply_task.done():
            _LOGGER.debug("%s disconnected; cancelling its reply", self._peer)
            self._reply_task.cancel()
