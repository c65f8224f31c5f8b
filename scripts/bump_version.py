"""Set the version everywhere it appears and open its changelog entry.

Usage: scripts/bump-version 0.2.0 "What changed" ["What else changed" ...]
Then commit, tag v0.2.0 and push the tag: the release workflow publishes from it (after
`scripts/bump-version --check 0.2.0`, which fails unless every place states 0.2.0).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VERSION = re.compile(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?")


@dataclass(frozen=True)
class Place:
    path: str
    pattern: str
    """A regex whose group 1 is the version."""


PLACES = (
    Place("wyoming_polytts/__init__.py", r'^__version__ = "([^"]+)"$'),
    Place("addon/config.yaml", r'^version: "([^"]+)"$'),
    Place("addon/Dockerfile", r"^ARG POLYTTS_VERSION=(\S+)$"),
    Place("addon/CHANGELOG.md", r"^## (\S+)$"),
)
"""Where the version is written; the changelog's first entry is the current version."""


def versions(root: Path = REPO) -> dict[str, str]:
    """The version each place states now."""
    found = {}
    for place in PLACES:
        match = re.search(place.pattern, (root / place.path).read_text(), re.MULTILINE)
        if match is None:
            raise ValueError(f"{place.path}: no version found")
        found[place.path] = match.group(1)
    return found


def bump(version: str, changes: list[str], root: Path = REPO) -> None:
    if not VERSION.fullmatch(version):
        raise ValueError(f"not a version: {version!r} (expected e.g. 0.2.0)")
    if version in versions(root).values():
        raise ValueError(f"{version} is already stated; pick a new version")
    if not changes:
        raise ValueError("say what changed: the changelog entry needs at least one line")
    for place in PLACES[:-1]:
        path = root / place.path
        text = path.read_text()
        path.write_text(re.sub(place.pattern, _replace(version), text, count=1, flags=re.M))
    changelog = root / PLACES[-1].path
    head, _, rest = changelog.read_text().partition("\n## ")
    entry = f"## {version}\n\n" + "".join(f"- {change}\n" for change in changes)
    changelog.write_text(f"{head}\n{entry}\n## {rest}")


def _replace(version: str) -> Callable[[re.Match[str]], str]:
    """Put `version` in place of group 1, keeping the rest of the match."""

    def replace(match: re.Match[str]) -> str:
        whole, start = match.group(0), match.start(1) - match.start(0)
        return whole[:start] + version + whole[start + len(match.group(1)) :]

    return replace


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help="the new version, e.g. 0.2.0")
    parser.add_argument("changes", nargs="*", help="one changelog line each")
    parser.add_argument("--check", action="store_true", help="only check that all state it")
    args = parser.parse_args(argv)
    try:
        if not args.check:
            bump(args.version, args.changes)
    except ValueError as err:
        sys.exit(f"bump-version: {err}")
    stated = versions()
    for path, version in stated.items():
        print(f"{path}: {version}")
    if set(stated.values()) != {args.version}:
        sys.exit(f"bump-version: not every place states {args.version}")


if __name__ == "__main__":
    main()
