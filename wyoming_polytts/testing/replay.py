"""Home Assistant's streaming sequence from several clients at once, for the benchmarks.

Each client streams the same reply as an LLM writes it (fragments cut mid-word, at the pace
of a fast LLM), as Home Assistant's Assist pipeline does for several satellites at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from .client import Reply, stream_reply

LLM_CHARS_PER_SECOND = 200.0
"""How fast a reply's text arrives: a fast LLM writes about 50 tokens a second."""


async def stream_replies(
    host: str,
    port: int,
    text: str | Sequence[str],
    clients: int,
    *,
    voice: str | None = None,
    fragment_chars: int = 7,
    contexts: Sequence[Mapping[str, Any]] | None = None,
) -> list[Reply]:
    """`clients` replies at once, of `text` or each of its own (`text[index]`); `contexts`
    (one per client) name their satellites."""
    texts = [text] * clients if isinstance(text, str) else list(text)
    delay = fragment_chars / LLM_CHARS_PER_SECOND
    return list(
        await asyncio.gather(
            *(
                stream_reply(
                    host,
                    port,
                    texts[index],
                    voice=voice,
                    fragment_chars=fragment_chars,
                    fragment_delay=delay,
                    context=dict(contexts[index]) if contexts else None,
                )
                for index in range(clients)
            )
        )
    )


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (`fraction` 0.5 is the median) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
