"""The real Kokoro engine loads every session with its memory settings (read back from
onnxruntime's objects) and runs it with the arena shrunk after every run."""

from __future__ import annotations

import threading
from typing import Any

import onnxruntime
import pytest

from wyoming_polytts.engines.base import SynthesisRequest
from wyoming_polytts.engines.kokoro.engine import KokoroEngine
from wyoming_polytts.engines.kokoro.files import KokoroFiles, find_kokoro
from wyoming_polytts.engines.kokoro.settings import KokoroSettings
from wyoming_polytts.storage import default_data_dir


def test_every_session_is_loaded_with_the_memory_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = find_kokoro([default_data_dir()])
    assert files is not None, "run scripts/setup to fetch the model"
    sessions: list[Any] = []
    arenas: list[Any] = []
    runs: list[Any] = []
    load_session = onnxruntime.InferenceSession

    class RecordingSession(load_session):  # type: ignore[misc,valid-type]
        def run(self, output_names: Any, inputs: Any, run_options: Any = None) -> Any:
            runs.append(run_options)
            return super().run(output_names, inputs, run_options)

    def recording_session(path: str, sess_options: Any, providers: list[str]) -> Any:
        sessions.append(sess_options)
        return RecordingSession(path, sess_options=sess_options, providers=providers)

    # Recorded only: an allocator registered here would stay in this process's environment
    monkeypatch.setattr(onnxruntime, "InferenceSession", recording_session)
    monkeypatch.setattr(
        onnxruntime, "create_and_register_allocator", lambda info, arena: arenas.append(arena)
    )

    def locate(closing: threading.Event) -> KokoroFiles:
        return files

    engine = KokoroEngine(KokoroSettings(workers=2, threads_per_worker=1), locate)
    engine.load()
    engine.close()
    assert len(arenas) == 1 and arenas[0].arena_extend_strategy == -1  # onnxruntime's
    assert len(sessions) == 2
    for options in sessions:
        assert options.get_session_config_entry("session.use_env_allocators") == "1"
        assert options.get_session_config_entry("session.use_device_allocator_for_initializers")
        assert options.enable_mem_pattern
        assert options.intra_op_num_threads == 1
    assert len(runs) == 2  # each session's warm-up
    for options in runs:
        assert options.get_run_config_entry("memory.enable_memory_arena_shrinkage") == "cpu:0"


@pytest.mark.parametrize(("limit", "runs"), [(510, 1), (30, 3)])
def test_a_segment_is_spoken_in_runs_of_at_most_the_phoneme_limit(
    monkeypatch: pytest.MonkeyPatch, limit: int, runs: int
) -> None:
    files = find_kokoro([default_data_dir()])
    assert files is not None, "run scripts/setup to fetch the model"
    tokens: list[int] = []
    load_session = onnxruntime.InferenceSession

    class RecordingSession(load_session):  # type: ignore[misc,valid-type]
        def run(self, output_names: Any, inputs: Any, run_options: Any = None) -> Any:
            tokens.extend(value.shape[-1] for value in inputs.values() if value.dtype == "int64")
            return super().run(output_names, inputs, run_options)

    monkeypatch.setattr(onnxruntime, "InferenceSession", RecordingSession)
    engine = KokoroEngine(KokoroSettings(max_phonemes_per_run=limit), lambda closing: files)
    engine.load()
    tokens.clear()  # the warm-up
    request = SynthesisRequest(
        "Good morning, the kitchen is warm, and the coffee is ready.", "af_heart"
    )
    blocks = list(engine.synthesize(request, threading.Event()))
    engine.close()
    assert len(tokens) == len(blocks) == runs
    assert max(tokens) <= limit + 2  # the pad token at each end
    assert all(len(block) > 0.3 * 24000 for block in blocks)
