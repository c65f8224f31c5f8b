"""The Kokoro graph this server loads: derived once from the verified model, stored, checked.

The derived graph caps the durations of tokens that are only silence kokoro-onnx trims away
(graph.py), so a call stops paying for them. It is stored in the download dir under the
source model's sha256 and the derivation's version, with a record of its own sha256; a
stored graph that is damaged or was derived from something else is derived again. Before it
is used it is checked against the original on a few probes (check.py); if the check fails,
the server loads the original graph and says so.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import onnx

from ...storage import durable_replace
from . import graph, pins, rewrites
from .check import Listener, check_derived
from .files import KokoroFiles, exclusive
from .sources import sha256_of

_LOGGER = logging.getLogger(__name__)

PUNCTUATION = ';:,.!?—…"()“”'
"""Marks whose trailing duration is capped (kokoro-onnx's vocabulary, as tokens)."""


@dataclass(frozen=True)
class Derivation:
    """What the derived graph changes; `version` changes whenever the result would."""

    version: int = 2
    vocoder_lead_frames: int = 4
    """Frames of the pad the vocoder speaks before the first phoneme (of the 18-20 the model
    gives it; the decoder keeps them all). Chosen by measurement (README)."""
    trailing_punctuation_frames: int | None = 3
    """Of 7-15: at 1 the German "offen" lost its last sound."""
    fuse_instance_norm: bool = False
    """Measured 0.996x the time (README, Benchmark): not worth a different graph."""
    square_as_mul: bool = False
    """Measured 1.07x the time."""

    def apply(self, model: onnx.ModelProto, vocabulary: dict[str, int]) -> None:
        marks = [vocabulary[mark] for mark in PUNCTUATION if mark in vocabulary]
        graph.cap_silent_durations(
            model, self.vocoder_lead_frames, self.trailing_punctuation_frames, marks
        )
        if self.fuse_instance_norm:
            rewrites.fuse_instance_norm(model)
        if self.square_as_mul:
            rewrites.square_as_mul(model)


CURRENT = Derivation()


@dataclass(frozen=True)
class _Record:
    source_sha256: str
    derivation: dict[str, object]
    sha256: str | None
    """Of the derived graph; None when it failed its check."""
    rejected: str | None = None


def graph_to_load(
    source: Path,
    source_sha256: str,
    voices: Path,
    store: Path,
    *,
    search: Sequence[Path] = (),
    listener: Callable[[], Listener | None] = lambda: None,
    derivation: Derivation = CURRENT,
    edit: Callable[[onnx.ModelProto], None] | None = None,
) -> Path:
    """The derived graph of `source` (derived, checked and stored the first time), or
    `source` itself when the derivation fails its check or cannot be stored.

    `search`: other data dirs where a stored derived graph is used as it is (never changed).
    `listener` gives the check an ASR, if there is one; it is called only to derive. `edit`:
    one more change after the derivation's own (tests break the graph with it)."""
    name = f"kokoro-derived-{source_sha256[:16]}-v{derivation.version}"
    derived, record_path = store / f"{name}.onnx", store / f"{name}.json"
    wanted = _Record(source_sha256, asdict(derivation), None)
    found = _stored(source, derived, _read(record_path), wanted)
    if found is not None:
        return found
    for directory in (directory for directory in search if directory != store):
        if _checked_in(directory / derived.name, _read(directory / record_path.name), wanted):
            return directory / derived.name
    try:
        store.mkdir(parents=True, exist_ok=True)
        with exclusive(store):
            # Another process may have derived it while this one waited
            found = _stored(source, derived, _read(record_path), wanted)
            if found is not None:
                return found
            try:
                problem = _derive(source, voices, derived, derivation, listen=listener(), edit=edit)
            except OSError:
                raise  # the disk, not the graph: derived again at the next start
            except (ValueError, graph.GraphMismatch) as err:
                problem = f"cannot be made: {err}"
            except Exception as err:  # noqa: BLE001 - onnxruntime's errors are bare Exceptions
                problem = f"does not run: {err}"
            if problem:
                _write(record_path, replace(wanted, rejected=f"the derived graph {problem}"))
            else:
                _write(record_path, replace(wanted, sha256=sha256_of(derived)))
                _remove_older(store, name)
    except OSError as err:
        _LOGGER.warning("Loading the original Kokoro graph: cannot derive one: %s", err)
        return source
    if problem:
        _LOGGER.warning("Loading the original Kokoro graph: the derived one %s", problem)
        return source
    _LOGGER.info("Derived Kokoro graph checked and stored: %s", derived)
    return derived


def _remove_older(store: Path, name: str) -> None:
    """Other versions' graphs of the same model in `store` (92 MB each): never loaded again."""
    prefix = name.rsplit("-v", 1)[0]
    for older in store.glob(f"{prefix}-v*"):
        if older.stem != name and older.suffix in (".onnx", ".json"):
            _LOGGER.info("Removing %s: derived by another version", older.name)
            older.unlink(missing_ok=True)


def _checked_in(derived: Path, record: _Record | None, wanted: _Record) -> bool:
    """`derived` is a graph stored and checked as `wanted`, as its record says."""
    if record is None or record.rejected or record.sha256 is None:
        return False
    if replace(record, sha256=None) != wanted:
        return False
    return derived.is_file() and sha256_of(derived) == record.sha256


def _stored(source: Path, derived: Path, record: _Record | None, wanted: _Record) -> Path | None:
    """The graph to load as the record says, or None to derive it (again)."""
    if record is None or (record.source_sha256, record.derivation) != (
        wanted.source_sha256,
        wanted.derivation,
    ):
        if derived.exists():
            _LOGGER.warning("%s was not derived from this model; deriving it again", derived)
        return None
    if record.rejected:
        _LOGGER.warning("Loading the original Kokoro graph: %s", record.rejected)
        return source
    if derived.is_file() and sha256_of(derived) == record.sha256:
        return derived
    _LOGGER.warning("The stored derived Kokoro graph %s is damaged; deriving it again", derived)
    return None


def _derive(
    source: Path,
    voices: Path,
    derived: Path,
    derivation: Derivation,
    *,
    listen: Listener | None,
    edit: Callable[[onnx.ModelProto], None] | None,
) -> str | None:
    """Derive, check and store the graph at `derived`; what is wrong with it, if anything."""
    from kokoro_onnx.config import get_vocab

    _LOGGER.info("Deriving a Kokoro graph without the silence it trims (once): %s", derived)
    model = onnx.load(str(source))
    derivation.apply(model, get_vocab())
    if edit is not None:
        edit(model)
    with tempfile.NamedTemporaryFile(
        dir=derived.parent, prefix=f".{derived.name}.", delete=False
    ) as out:
        out.write(model.SerializeToString())
    written = Path(out.name)
    del model
    try:
        problem = check_derived(source, written, voices, listen)
        if problem is None:
            written.chmod(0o644)
            durable_replace(written, derived)
        return problem
    finally:
        written.unlink(missing_ok=True)


def _read(path: Path) -> _Record | None:
    try:
        return _Record(**json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _write(path: Path, record: _Record) -> None:
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", delete=False, encoding="utf-8"
    ) as out:
        json.dump(asdict(record), out)
    Path(out.name).chmod(0o644)
    durable_replace(Path(out.name), path)


def with_derived_graph(
    files: KokoroFiles,
    store: Path,
    listener: Callable[[], Listener | None] = lambda: None,
    search: Sequence[Path] = (),
) -> KokoroFiles:
    """`files` with the graph to load: the derived one where it passes its check. The server
    checks without listening (it has no ASR); the tests and scripts/bench pass Whisper."""
    return KokoroFiles(
        graph_to_load(
            files.model,
            pins.MODEL_SHA256,
            files.voices,
            store,
            search=search,
            listener=listener,
        ),
        files.voices,
    )
