"""The Supervisor's checks of add-on options against the add-on's `schema:`, for the tests.

Written after the Supervisor's `supervisor/addons/options.py` (AddonOptions): the element
types it knows (`str`, `int(low,high)`, `float(low,high)`, `bool`, `match(regex)`,
`list(a|b|c)`, ... with a trailing `?` for optional), nested lists and dicts, and which
missing keys it accepts (optional ones, and lists of optional elements). The Supervisor
drops unknown keys with a warning; here they are an error, so a test cannot pass an option
the add-on never receives.
"""

from __future__ import annotations

import re
from typing import Any

ELEMENT = re.compile(
    r"^(?:(?P<plain>bool|email|url|port)"
    r"|(?P<ranged>str|password|int|float)(?:\((?P<low>[\d.]+)?,(?P<high>[\d.]+)?\))?"
    r"|match\((?P<match>.*)\)"
    r"|list\((?P<choices>.+)\))\??$"
)


class InvalidOption(ValueError):
    pass


def validate(schema: dict[str, Any], options: dict[str, Any]) -> None:
    """Raise InvalidOption where the Supervisor would refuse `options`."""
    _dict(schema, options, "root")


def _element(kind: Any, value: Any, key: str) -> None:
    if isinstance(kind, list):
        if not isinstance(value, list):
            raise InvalidOption(f"{key}: expected a list, got {value!r}")
        for item in value:
            _element(kind[0], item, key)
    elif isinstance(kind, dict):
        if not isinstance(value, dict):
            raise InvalidOption(f"{key}: expected a mapping, got {value!r}")
        _dict(kind, value, key)
    else:
        _single(kind, value, key)


def _dict(schema: dict[str, Any], options: dict[str, Any], where: str) -> None:
    unknown = set(options) - set(schema)
    if unknown:
        raise InvalidOption(f"{where}: not in the schema: {', '.join(sorted(unknown))}")
    for key, value in options.items():
        _element(schema[key], value, key)
    for key in set(schema) - set(options):
        kind = schema[key]
        kind = kind[0] if isinstance(kind, list) and kind else kind
        if not (isinstance(kind, str) and kind.endswith("?")):
            raise InvalidOption(f"{where}: missing option {key!r}")


def _single(kind: str, value: Any, key: str) -> None:
    found = ELEMENT.match(kind)
    if found is None:
        raise InvalidOption(f"{key}: unknown type {kind!r}")
    if value is None:
        raise InvalidOption(f"{key}: missing required value")
    ranged = found["ranged"]
    if ranged in ("int", "float"):
        number = _number(int if ranged == "int" else float, value, key)
        low, high = found["low"], found["high"]
        if (low and number < float(low)) or (high and number > float(high)):
            raise InvalidOption(f"{key}: {value!r} is out of range ({low}, {high})")
    elif found["plain"] == "bool" and not isinstance(value, bool):
        raise InvalidOption(f"{key}: expected true or false, got {value!r}")
    elif found["match"] is not None and not re.match(found["match"], str(value)):
        raise InvalidOption(f"{key}: {value!r} does not match {found['match']}")
    elif found["choices"] is not None and str(value) not in found["choices"].split("|"):
        raise InvalidOption(f"{key}: {value!r} is not one of the choices")


def _number(kind: type, value: Any, key: str) -> float:
    try:
        return float(kind(value))
    except (TypeError, ValueError):
        raise InvalidOption(f"{key}: expected a number, got {value!r}") from None
