"""The CSM engine through the Engine interface, with the tiny random CSM on the CPU."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from wyoming_polytts.engines.base import SAMPLE_RATE, SynthesisRequest
from wyoming_polytts.engines.csm.engine import CsmEngine, csm_wanted, frame_limit
from wyoming_polytts.engines.csm.prompt import Utterance
from wyoming_polytts.engines.csm.settings import CsmSettings, CsmVoiceSettings
from wyoming_polytts.engines.errors import EngineUnavailable, SynthesisCancelled
from wyoming_polytts.satellites.history import HistoryStore, HistoryView
from wyoming_polytts.satellites.settings import ContextSettings
from wyoming_polytts.testing.csm_server import save_model
from wyoming_polytts.testing.csm_tiny import (
    CODEBOOK_SIZE,
    SETTINGS,
    WINDOW,
    build_tiny_csm,
    decode_once,
    prefer_codes_the_codec_lacks,
    tiny_csm_engine,
)

SAMPLES_PER_FRAME = SAMPLE_RATE * 2 // 25  # 12.5 frames per second
TEXT = "Hello there, how are you today?"


class Backbone:
    """Watches CSM's backbone (its runs): one call per prompt, then one per frame, the
    end-of-audio frame included; can hold generation at a call."""

    def __init__(self, engine: CsmEngine, hold_at: int | None = None) -> None:
        self.lengths: list[int] = []
        """Input length of each call: the prompt for a prefill, else 1."""
        self.hold_at = hold_at
        self.release = threading.Event()
        backbone = engine.runtime.frames.backbone
        run = backbone.run

        def watched(inputs: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
            self._seen(inputs)
            return run(inputs, *args, **kwargs)

        backbone.run = watched  # type: ignore[method-assign]

    def _seen(self, inputs: torch.Tensor) -> None:
        self.lengths.append(int(inputs.shape[1]))
        if len(self.lengths) == self.hold_at:
            self.release.wait(timeout=30)

    @property
    def prefills(self) -> list[int]:
        return [length for length in self.lengths if length > 1]


@pytest.fixture(name="model")
def model_fixture() -> Any:
    model, _processor = build_tiny_csm()
    return model


def engine_for(
    model: Any, settings: CsmSettings = SETTINGS, data_dirs: tuple[Path, ...] = ()
) -> CsmEngine:
    _model, processor = build_tiny_csm()
    return CsmEngine(settings, data_dirs, components=lambda: (model, processor))


def loaded(model: Any, settings: CsmSettings = SETTINGS, **changes: Any) -> CsmEngine:
    engine = engine_for(model, dataclasses.replace(settings, **changes))
    engine.load()
    return engine


def limit_for(engine: CsmEngine, text: str = TEXT) -> int:
    runtime = engine.runtime
    return frame_limit(text, len(runtime.text_ids(0, text)), runtime.window, runtime.frame_rate)


def conversation(key: str = "default") -> HistoryView:
    return HistoryStore(ContextSettings()).open(key)


def utterances(reply: HistoryView) -> list[Utterance]:
    """What CSM remembered of the reply's segments, oldest first."""
    return [Utterance.from_blob(blob) for blob in reply.history("csm")]


def speak(
    engine: CsmEngine,
    text: str = TEXT,
    voice: str = "csm_0",
    reply: HistoryView | None = None,
) -> Any:
    return engine.synthesize(SynthesisRequest(text, voice, conversation=reply), threading.Event())


def test_streamed_audio_equals_one_shot_decoding(model: Any) -> None:
    engine = loaded(model)
    reply = conversation()
    blocks = list(speak(engine, reply=reply))
    (turn,) = utterances(reply)
    one_shot = decode_once(engine.runtime, turn.codes)
    streamed = np.concatenate(blocks)
    assert len(blocks) > 2
    assert streamed.shape == one_shot.shape == (len(turn.codes) * SAMPLES_PER_FRAME,)
    assert np.abs(streamed - one_shot).max() < 1e-4
    assert all(block.dtype == np.float32 for block in blocks)


def test_first_audio_leaves_while_csm_still_generates(model: Any) -> None:
    engine = loaded(model)
    watch = Backbone(engine, hold_at=SETTINGS.first_chunk_frames + 2)
    stream = speak(engine)
    first = next(stream)  # generation is held a frame past the first chunk meanwhile
    frames_so_far = len(watch.lengths)
    watch.release.set()
    rest = list(stream)
    assert len(first) == SETTINGS.first_chunk_frames * SAMPLES_PER_FRAME
    assert frames_so_far < len(watch.lengths)
    # later chunks: at least chunk_frames, more when the decoder fell behind
    assert all(len(block) >= SETTINGS.chunk_frames * SAMPLES_PER_FRAME for block in rest[:-1])
    assert {len(block) % SAMPLES_PER_FRAME for block in rest} == {0}


def test_cancel_stops_generation_at_the_next_frame(model: Any) -> None:
    engine = loaded(model)
    watch = Backbone(engine)
    cancel = threading.Event()
    reply = conversation()
    stream = engine.synthesize(SynthesisRequest(TEXT, "csm_0", conversation=reply), cancel)
    next(stream)
    cancel.set()
    with pytest.raises(SynthesisCancelled):
        list(stream)
    generated = len(watch.lengths)
    assert generated < limit_for(engine)
    assert utterances(reply) == []
    assert len(list(speak(engine))) > 0  # still usable
    assert len(watch.lengths) > generated


def test_cancelled_before_start_generates_nothing(model: Any) -> None:
    engine = loaded(model)
    watch = Backbone(engine)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(SynthesisCancelled):
        list(engine.synthesize(SynthesisRequest(TEXT, "csm_0"), cancel))
    assert watch.lengths == []


def test_a_consumer_that_stops_reading_stops_generation(model: Any) -> None:
    engine = loaded(model)
    watch = Backbone(engine)
    reply = conversation()
    stream = speak(engine, reply=reply)
    next(stream)
    stream.close()
    generated = len(watch.lengths)
    assert generated < limit_for(engine)
    assert utterances(reply) == []


def test_end_of_audio_on_the_first_frame_yields_nothing(model: Any) -> None:
    with torch.no_grad():  # all-zero logits: greedy picks code 0 everywhere, CSM's end of audio
        model.lm_head.weight.zero_()
        model.depth_decoder.codebooks_head.weight.zero_()
    engine = loaded(model, temperature=0.0)
    watch = Backbone(engine)
    reply = conversation()
    assert list(speak(engine, reply=reply)) == []
    assert len(watch.lengths) == 2  # the prompt and the end frame: not on to the limit
    assert utterances(reply) == []


def test_engine_errors_propagate_and_the_engine_stays_usable(model: Any) -> None:
    engine = loaded(model)

    def out_of_memory(*_args: Any, **_kwargs: Any) -> None:
        raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")

    backbone = engine.runtime.frames.backbone
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(backbone, "run", out_of_memory)
        with pytest.raises(torch.cuda.OutOfMemoryError):
            list(speak(engine))
    assert len(list(speak(engine))) > 0


def test_each_segment_becomes_context_for_the_next(model: Any) -> None:
    engine = loaded(model, temperature=0.0)
    watch = Backbone(engine)
    runtime = engine.runtime
    kitchen = conversation("kitchen")
    texts = ["First.", "Second one.", "Third."]
    for text in texts:
        list(speak(engine, text, reply=kitchen))
    list(speak(engine, "Elsewhere.", reply=conversation("office")))
    turns = utterances(kitchen)
    assert [turn.text_ids for turn in turns] == [runtime.text_ids(0, text) for text in texts]
    first, second, third, office = watch.prefills
    assert first == len(runtime.text_ids(0, texts[0]))
    assert second == turns[0].tokens + len(runtime.text_ids(0, texts[1]))
    assert third == turns[0].tokens + turns[1].tokens + len(runtime.text_ids(0, texts[2]))
    assert office == len(runtime.text_ids(0, "Elsewhere."))


def test_context_is_trimmed_from_the_oldest_to_fit_the_window(model: Any) -> None:
    engine = loaded(model, temperature=0.0)
    watch = Backbone(engine)
    runtime = engine.runtime
    reply = conversation()
    texts = [f"Sentence number {n} is long enough." for n in range(5)]
    for text in texts:
        list(speak(engine, text, reply=reply))
    turns = utterances(reply)
    for index, (prefill, text) in enumerate(zip(watch.prefills, texts, strict=True)):
        text_tokens = len(runtime.text_ids(0, text))
        limit = frame_limit(text, text_tokens, WINDOW, runtime.frame_rate)
        assert prefill + limit <= WINDOW
        kept = prefill - text_tokens
        earlier = [turn.tokens for turn in turns[:index]]
        # the newest turns that fit, and not one more
        newest = [sum(earlier[len(earlier) - n :]) for n in range(len(earlier) + 1)]
        assert kept in newest
        fitting = [total for total in newest if total + text_tokens + limit <= WINDOW]
        assert kept == max(fitting)
    assert watch.prefills[-1] < sum(turn.tokens for turn in turns[:-1])  # something was dropped


def test_the_requests_conversation_context_is_read_and_fed(model: Any) -> None:
    store = HistoryStore(ContextSettings())
    engine = loaded(model, temperature=0.0)
    runtime = engine.runtime
    watch = Backbone(engine)
    reply = store.open("kitchen")
    reply.remember("csm", {"text_ids": [0, 1], "codes": np.zeros((3, 5))})  # another model's
    for text in ("First.", "Second."):
        list(speak(engine, text, reply=reply))
    reply.commit("First. Second.")
    _other, first, second = utterances(reply)
    assert first.text_ids == runtime.text_ids(0, "First.")
    list(speak(engine, "Third.", reply=store.open("kitchen")))
    assert watch.prefills == [
        len(first.text_ids),
        first.tokens + len(runtime.text_ids(0, "Second.")),
        first.tokens + second.tokens + len(runtime.text_ids(0, "Third.")),
    ]


def test_the_prompt_holds_at_most_max_context_turns(model: Any) -> None:
    engine = loaded(model, max_context_turns=2)
    watch = Backbone(engine)
    reply = conversation()
    texts = ("One.", "Two.", "Three.", "Four.")
    for text in texts:
        list(speak(engine, text, reply=reply))
    _one, two, three, _four = utterances(reply)
    assert watch.prefills[-1] == two.tokens + three.tokens + len(
        engine.runtime.text_ids(0, "Four.")
    )


def write_wav(path: Path, seconds: float, rate: int = SAMPLE_RATE, channels: int = 1) -> None:
    rng = np.random.default_rng(0)
    samples = (rng.uniform(-0.3, 0.3, (int(rate * seconds), channels)) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())


def reference_settings(file_name: str) -> CsmSettings:
    voice = CsmVoiceSettings(speaker=2, reference_wav=file_name, reference_text="Hello.")
    return dataclasses.replace(SETTINGS, voices={"cloned": voice, "csm_0": CsmVoiceSettings()})


def test_a_reference_voice_opens_every_prompt(model: Any, tmp_path: Path) -> None:
    write_wav(tmp_path / "me.wav", 0.5, channels=2)
    engine = engine_for(model, reference_settings("me.wav"), (tmp_path,))
    engine.load()
    watch = Backbone(engine)
    runtime = engine.runtime
    (reference,) = engine.reference("cloned")
    assert reference.text_ids == runtime.text_ids(2, "Hello.")
    assert len(reference.codes) == 7  # 0.5 s at 12.5 frames/s, rounded up
    list(speak(engine, "Hi.", voice="cloned", reply=conversation("a")))
    list(speak(engine, "Hi.", voice="csm_0", reply=conversation("b")))
    assert watch.prefills == [
        reference.tokens + len(runtime.text_ids(2, "Hi.")),
        len(runtime.text_ids(0, "Hi.")),
    ]


@pytest.mark.parametrize(
    ("file_name", "rate", "message"),
    [("missing.wav", SAMPLE_RATE, "not found"), ("slow.wav", 16000, "24000 Hz")],
)
def test_a_bad_reference_voice_makes_the_engine_unavailable(
    model: Any, tmp_path: Path, file_name: str, rate: int, message: str
) -> None:
    write_wav(tmp_path / "slow.wav", 0.2, rate=rate)
    engine = engine_for(model, reference_settings(file_name), (tmp_path,))
    with pytest.raises(EngineUnavailable, match=message):
        engine.load()


def spoken(engine: CsmEngine, text: str, key: str) -> tuple[np.ndarray, np.ndarray]:
    """A reply's audio and the codes it was decoded from."""
    reply = conversation(key)
    audio = np.concatenate(list(speak(engine, text, reply=reply)))
    (turn,) = utterances(reply)
    return audio, turn.codes


def assert_same_reply(
    got: tuple[np.ndarray, np.ndarray], alone: tuple[np.ndarray, np.ndarray]
) -> None:
    """The same codes; the audio as streaming decodes them, whose chunks depend on timing
    (a lagging decoder takes what is ready), within the streaming tolerance."""
    assert np.array_equal(got[1], alone[1])
    assert got[0].shape == alone[0].shape
    assert np.abs(got[0] - alone[0]).max() < 1e-4


def test_concurrent_replies_do_not_mix(model: Any) -> None:
    engine = loaded(model, temperature=0.0)
    made: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def run(key: str) -> None:
        made[key] = spoken(engine, "Same words.", key)

    threads = [threading.Thread(target=run, args=(key,)) for key in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    alone = spoken(engine, "Same words.", "c")
    assert_same_reply(made["a"], alone)
    assert_same_reply(made["b"], alone)


def test_replies_waiting_for_a_slot_get_the_audio_they_get_alone(model: Any) -> None:
    """With one slot the second reply waits for the first; with several they share frames."""
    engine = loaded(model, max_batch=1, temperature=0.0)
    assert engine.concurrency == 1
    made: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def run(key: str) -> None:
        made[key] = spoken(engine, f"Reply {key}.", key)

    threads = [threading.Thread(target=run, args=(key,)) for key in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    batched = loaded(model, temperature=0.0)
    assert batched.concurrency == SETTINGS.max_batch
    for key in ("a", "b"):
        assert_same_reply(made[key], spoken(batched, f"Reply {key}.", f"{key}-alone"))


def test_a_saved_model_that_prefers_codes_the_codec_lacks_still_speaks(tmp_path: Path) -> None:
    """CSM-1B's vocabulary is wider than Mimi's codebook; transformers' `suppress_tokens` do
    not survive `save_pretrained`, so the frame loop masks the codes the codec lacks itself.
    Here a saved model that votes for them is loaded as users load theirs, by folder."""
    model, processor = build_tiny_csm(vocab_size=CODEBOOK_SIZE + 3)
    prefer_codes_the_codec_lacks(model)
    save_model(model, processor, tmp_path / "csm")
    engine = CsmEngine(dataclasses.replace(SETTINGS, model="csm"), (tmp_path,))
    engine.load()
    reply = conversation()
    assert sum(len(block) for block in speak(engine, reply=reply)) > 0
    (turn,) = utterances(reply)
    assert int(turn.codes.max()) < CODEBOOK_SIZE
    engine.close()


def test_blank_text_and_unknown_voices(model: Any) -> None:
    engine = loaded(model)
    watch = Backbone(engine)
    assert list(speak(engine, "  ")) == []
    assert watch.lengths == []
    with pytest.raises(ValueError, match="no voice"):
        list(speak(engine, voice="af_heart"))


def test_voices_are_english_and_listed_before_loading() -> None:
    engine = CsmEngine(SETTINGS)
    assert [(voice.name, voice.engine) for voice in engine.voices()] == [
        ("csm_0", "csm"),
        ("csm_1", "csm"),
    ]
    assert all(voice.languages[0] == "en-US" for voice in engine.voices())
    assert engine.cacheable is False
    with pytest.raises(EngineUnavailable, match="not loaded"):
        list(speak(engine))


def test_frame_limit_follows_the_text_and_the_window() -> None:
    short = frame_limit("Hi.", 6, 2048, 12.5)
    long = frame_limit("Hi." * 20, 6, 2048, 12.5)
    assert 12 < short < long <= 2048 - 6
    assert frame_limit("x" * 5000, 5002, 5100, 12.5) == 98
    with pytest.raises(ValueError, match="too long"):
        frame_limit("x" * 5000, 5002, 5000, 12.5)


def test_no_cuda_makes_the_engine_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(EngineUnavailable, match="CUDA GPU"):
        CsmEngine(CsmSettings()).load()
    assert not csm_wanted(CsmSettings())
    assert csm_wanted(CsmSettings(device="cpu"))
    assert csm_wanted(CsmSettings(enabled=True))
    assert not csm_wanted(CsmSettings(enabled=False, device="cpu"))


def test_a_missing_model_makes_the_engine_unavailable(tmp_path: Path) -> None:
    settings = CsmSettings(device="cpu", model="nobody/no-such-model")
    with pytest.raises(EngineUnavailable, match="not found"):
        CsmEngine(settings, [tmp_path]).load()


def test_missing_packages_make_the_engine_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wyoming_polytts.engines.csm.runtime", None)
    with pytest.raises(EngineUnavailable, match="torch and transformers"):
        CsmEngine(SETTINGS).load()


def test_importing_the_engine_does_not_import_torch() -> None:
    code = (
        "import sys, wyoming_polytts.config, wyoming_polytts.engines.csm.engine;"
        "sys.exit(int(any(m in sys.modules for m in ('torch', 'transformers'))))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_the_tiny_engine_builder_is_ready_to_serve() -> None:
    engine = tiny_csm_engine()
    blocks: Iterator[np.ndarray] = speak(engine, "Ready?")
    assert sum(len(block) for block in blocks) > 0
