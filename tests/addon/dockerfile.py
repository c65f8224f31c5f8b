"""Read Dockerfiles as Docker does, enough for the tests: instructions, exec forms, variables."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    name: str
    """Upper case: RUN, ENV, ..."""
    text: str
    """Its arguments, continuation lines joined."""


def instructions(dockerfile: Path) -> list[Instruction]:
    lines = [
        line
        for line in dockerfile.read_text().splitlines()
        if not line.lstrip().startswith("#")  # comments, also between continued lines
    ]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            name, _, text = line.strip().partition(" ")
            found.append(Instruction(name.upper(), text.strip()))
    return found


def exec_form(dockerfile: Path, name: str) -> list[str]:
    """The JSON arguments of an exec-form instruction (ENTRYPOINT, HEALTHCHECK ... CMD)."""
    for instruction in instructions(dockerfile):
        if instruction.name == name:
            return json.loads(instruction.text[instruction.text.index("[") :])
    raise AssertionError(f"{dockerfile.name} has no {name}")


def variables(text: str) -> dict[str, str]:
    """`A=1 B="two words"` (ARG and ENV) as a mapping; a bare ARG name maps to ""."""
    pairs = (word.partition("=") for word in shlex.split(text))
    return {name: value for name, _, value in pairs}


def expand(text: str, values: dict[str, str]) -> str:
    """${NAME} and $NAME as Docker expands them in ARG, ENV and COPY."""
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values.get(m.group(1) or m.group(2), ""), text)
