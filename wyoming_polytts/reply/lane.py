"""A reply's lanes (the plan's voice choices and their backends) and waiting for a lane's audio,
with a limit on every wait.

Time a segment spends queued for a worker, or waiting for its engine to load, is load and
not failure: past its limit the reply moves on (or fails with `timeout`), but the engine's
circuit breaker is not told. An engine that started a segment and stays silent, or fails,
is at fault.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from ..engines.base import SAMPLE_RATE, Audio
from ..engines.errors import EngineUnavailable, NoAudio
from ..satellites.front_door import SpokenConversation
from ..text import Segment, TextPipeline
from .audio import silence
from .backend import Backend
from .planner import VoiceChoice, VoicePlan
from .scheduler import Job, ReplyTicket

STRETCH_STEP = 0.05
"""Seconds of silence a stretched pause grows by at a time."""


@dataclass
class Lane:
    """A voice choice of the plan and the backend that speaks it."""

    choice: VoiceChoice
    backend: Backend
    ticket: ReplyTicket | None = None
    ready: bool = False


@dataclass
class Pending:
    """A segment of a reply submitted to a lane and not yet spoken."""

    segment: Segment
    deadline: float
    seconds: float
    """About how long its audio lasts."""
    job: Job
    lane: int
    stretch: float = 0.0
    """Seconds the pause after it may stretch while the segment after it is made."""

    async def stretch_pause(
        self,
        longest: float,
        plays_for: Callable[[], float],
        write: Callable[[Audio], Awaitable[None]],
    ) -> float:
        """Silence of up to `longest` seconds while it has no audio yet, a STRETCH_STEP at a
        time as the listener's player (`plays_for`) is about to run out: the pause before it
        lasts longer rather than the player falling silent. Returns the seconds not used."""
        answered = self.job.answered
        while longest > 0 and not answered.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(plays_for() - STRETCH_STEP, 0.0)):
                    await answered.wait()
            if answered.is_set():
                break
            step = min(STRETCH_STEP, longest)
            await write(silence(SAMPLE_RATE, step))
            longest -= step
        return longest


@dataclass
class ReplySetup:
    """What a reply speaks with, and the history it belongs to."""

    plan: VoicePlan
    lanes: list[Lane]
    pipeline: TextPipeline
    conversation: SpokenConversation


@dataclass(frozen=True)
class ReplyLimits:
    first_audio_timeout: float
    """Seconds an engine that started a segment may stay silent (where another can take over)."""
    max_rtf: float
    """The last engine may stay silent first_audio_timeout plus this many times the
    segment's expected duration."""
    queue_timeout: float
    """Seconds a segment may wait for a worker (or its engine to load) once it is needed."""
    retry_pause: float = 0.0
    """Silence between a segment cut off by a failing engine and its repetition by the next."""
    read_ahead: float = 30.0
    """Seconds of audio synthesized at most beyond what the listener has taken."""


class LaneFailed(Exception):
    """A lane cannot go on; the message is for the log (it may name engine errors)."""

    def __init__(
        self, code: str, message: str, *, fault: bool, client_message: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.fault = fault
        """Whether the engine is to blame (its circuit breaker counts it)."""
        self.client_message = client_message
        """What the client is told, where the code's usual words would not say what to fix."""
        self.partial = False
        """Whether some of the segment was heard before it failed (set by the session)."""


async def wait_ready(backend: Backend, limit: float) -> None:
    """Until the lane's engine has loaded; LaneFailed when it cannot or takes too long."""
    engine = backend.engine.name
    try:
        async with asyncio.timeout(limit):
            await backend.wait_ready()
    except EngineUnavailable as err:
        raise LaneFailed("engine-unavailable", str(err), fault=True) from err
    except TimeoutError as err:
        raise LaneFailed(
            "timeout", f"{engine} was not ready within {limit} s", fault=False
        ) from err


async def speak_segment(
    job: Job, engine: str, silence_limit: float, queue_limit: float
) -> AsyncIterator[Audio]:
    """The segment's audio blocks as the engine makes them; LaneFailed when no worker takes it
    within `queue_limit` s, or the engine is silent for `silence_limit` s once it started."""
    try:
        async with asyncio.timeout(queue_limit):
            await job.started.wait()
    except TimeoutError as err:
        message = f"{engine} had no free worker for {queue_limit} s"
        raise LaneFailed("timeout", message, fault=False) from err
    blocks = aiter(job.blocks())
    while True:
        deadline = asyncio.timeout(silence_limit)
        try:
            async with deadline:
                block = await anext(blocks)
        except StopAsyncIteration:
            return
        except NoAudio as err:  # the voice is the client's own choice: it may be named
            voice = job.request.voice
            raise LaneFailed(
                "synthesis-failed",
                str(err),
                fault=True,
                client_message=f"voice {voice} gave no audio for this text; try another voice",
            ) from err
        except TimeoutError as err:
            if not deadline.expired():  # the engine's own (a remote's socket timed out)
                raise _engine_failed(engine, err) from err
            message = f"{engine} gave no audio for {silence_limit:.1f} s"
            raise LaneFailed("timeout", message, fault=True) from err
        except Exception as err:
            raise _engine_failed(engine, err) from err
        yield block


def _engine_failed(engine: str, err: Exception) -> LaneFailed:
    # Its message may quote the text (the user's): the scheduler logged it at DEBUG
    return LaneFailed("synthesis-failed", f"{engine} failed: {type(err).__name__}", fault=True)
