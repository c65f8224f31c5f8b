"""Build frozen dataclasses from YAML mappings, with errors that name the key.

Any section of the configuration is a frozen dataclass with defaults, owned by the part it
configures; `build` fills it from a mapping, checks types and the bounds declared with
`bounded`/`choice`, and rejects unknown keys, so a typo in config.yaml stops start-up with a
clear message. A section may list keys it no longer has in `REMOVED` (key -> what to do
instead), so an old config.yaml is told what changed.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """An invalid configuration value; the message names the key, the value and what is allowed."""


def bounded(default: Any, low: float | None = None, high: float | None = None) -> Any:
    """A numeric field with inclusive bounds."""
    return dataclasses.field(default=default, metadata={"low": low, "high": high})


def secret(default: str | None = None) -> Any:
    """A string kept out of reprs (and so out of logs and tracebacks)."""
    return dataclasses.field(default=default, repr=False)


def choice(default: str, *allowed: str) -> Any:
    """A string field restricted to `allowed`."""
    return dataclasses.field(default=default, metadata={"choices": allowed})


def number_as_text(default: str | None = None) -> Any:
    """A string field that also takes a bare number (YAML reads `listen: 8749` as one)."""
    return dataclasses.field(default=default, metadata={"number_as_text": True})


def did_you_mean(value: str, known: Iterable[str]) -> str:
    """`did you mean af_heart?` naming the known names closest to a mistyped `value`, or
    some of them when none is close."""
    names = sorted(set(known))
    if not names:
        return "none is known"
    scored = sorted((-difflib.SequenceMatcher(None, value, name).ratio(), name) for name in names)
    # The closest ones only: af_hert suggests af_heart, not af_river as well
    best = -scored[0][0]
    close = [name for score, name in scored[:3] if -score >= max(0.6, best - 0.1)]
    if close:
        return f"did you mean {_either(close)}?"
    more = f" and {len(names) - 8} more" if len(names) > 8 else ""
    return f"known: {', '.join(names[:8])}{more}"


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def build(cls: type[T], data: Any, path: str = "") -> T:
    """Create dataclass `cls` from `data` (a mapping, or None for all defaults)."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{_name(path)}: expected a mapping, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    removed: Mapping[str, str] = getattr(cls, "REMOVED", {})
    for key in map(str, data):
        if key in removed:
            raise ConfigError(f"{_name(_join(path, key))} was removed: {removed[key]}")
    unknown = sorted(set(map(str, data)) - set(fields))
    if unknown:
        raise ConfigError(
            f"{_name(path)}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(fields)}"
        )
    required = [
        name
        for name, field in fields.items()
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    ]
    missing = [name for name in required if name not in data]
    if missing:
        raise ConfigError(f"{_name(_join(path, missing[0]))} is required")
    hints = typing.get_type_hints(cls)
    values = {
        key: _convert(hints[key], value, _join(path, key), fields[key].metadata)
        for key, value in data.items()
    }
    return cls(**values)


def _convert(hint: Any, value: Any, path: str, meta: Mapping[str, Any]) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [arg for arg in args if arg is not type(None)]
        return _convert(inner, value, path, meta)
    if dataclasses.is_dataclass(hint):
        return build(hint, value, path)  # type: ignore[arg-type]
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ConfigError(f"{_name(path)}: expected a list, got {value!r}")
        return tuple(_convert(args[0], item, f"{path}[{i}]", {}) for i, item in enumerate(value))
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{_name(path)}: expected a mapping, got {value!r}")
        return types.MappingProxyType(
            {str(k): _convert(args[1], v, _join(path, str(k)), {}) for k, v in value.items()}
        )
    return _scalar(hint, value, path, meta)


def _scalar(hint: Any, value: Any, path: str, meta: Mapping[str, Any]) -> Any:
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{_name(path)}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{_name(path)}: expected an integer{_range(meta)}, got {value!r}")
    elif hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{_name(path)}: expected a number{_range(meta)}, got {value!r}")
        value = float(value)
    elif hint is str:
        if meta.get("number_as_text") and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ConfigError(f"{_name(path)}: expected a string, got {value!r}")
        choices = meta.get("choices")
        if choices and value not in choices:
            raise ConfigError(f"{_name(path)}: got {value!r}, allowed: {', '.join(choices)}")
        return value
    else:
        raise ConfigError(f"{_name(path)}: unsupported type {hint!r}")
    low, high = meta.get("low"), meta.get("high")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{_name(path)}: got {value!r}, expected a value{_range(meta)}")
    return value


def _range(meta: Mapping[str, Any]) -> str:
    low, high = meta.get("low"), meta.get("high")
    if low is not None and high is not None:
        return f" between {low} and {high}"
    if low is not None:
        return f" >= {low}"
    if high is not None:
        return f" <= {high}"
    return ""


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _name(path: str) -> str:
    return f"config key {path!r}" if path else "configuration"
