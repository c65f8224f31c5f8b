"""The rules of the house, checked on the source: imports run one way, one composition root,
one front door to satellites, privates stay private, modules and functions stay small."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "wyoming_polytts"
HEAVY = ("torch", "transformers")
HEAVY_ALLOWED = (PACKAGE / "engines" / "csm", PACKAGE / "testing" / "csm_tiny.py")
"""CSM's own folder, and the tiny CSM that tests and benchmarks build."""


def python_files(*folders: Path) -> list[Path]:
    return sorted(path for folder in folders for path in folder.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> Iterator[str]:
    """Every module an import in `path` names, function-level and TYPE_CHECKING ones included."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            if node.module is not None:
                yield base
            for alias in node.names:
                # `from . import pins` imports the module pins
                yield f"{base}.{alias.name}" if node.module is None else base


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in python_files(PACKAGE)}

    def module_of(found: str) -> str:
        # `from .. import __version__` names a package's attribute: the package is imported
        return found if found in modules else found.rpartition(".")[0]

    return {
        name: {
            module_of(found)
            for found in imported_modules(path)
            if module_of(found) in modules and module_of(found) != name
        }
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                group.append(member)
            if group:
                found.append(sorted([node, *group]))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


PUBLIC_UNDERSCORED = {("os", "_exit")}
"""Documented functions of the standard library whose names start with an underscore."""


def private_uses(path: Path) -> Iterator[str]:
    """`thing._name` where thing is not self or cls, and imports of `_name`s."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = node.value.id if isinstance(node.value, ast.Name) else ""
            if owner not in ("self", "cls") and (owner, node.attr) not in PUBLIC_UNDERSCORED:
                yield f"{path.relative_to(REPO)}:{node.lineno} .{node.attr}"
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if _private(alias.name):
                    yield f"{path.relative_to(REPO)}:{node.lineno} import {alias.name}"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_module_reads_another_ones_privates() -> None:
    files = python_files(PACKAGE, REPO / "tests", REPO / "scripts")
    assert [use for path in files for use in private_uses(path)] == []


def test_scripts_import_nothing_from_the_tests() -> None:
    imports = {
        f"{path.name}: {module}"
        for path in python_files(REPO / "scripts")
        for module in imported_modules(path)
        if module == "tests" or module.startswith("tests.")
    }
    assert imports == set()


def test_torch_and_transformers_stay_in_the_csm_engine() -> None:
    outside = {
        f"{module_name(path)}: {module}"
        for path in python_files(PACKAGE)
        if not any(path == place or place in path.parents for place in HEAVY_ALLOWED)
        for module in imported_modules(path)
        if module.split(".")[0] in HEAVY
    }
    assert outside == set()


COMPOSERS = {
    "wyoming_polytts.app": "the composition root",
    "wyoming_polytts.config": "composes the sections",
    "wyoming_polytts.startup_checks": "checks the whole configuration against the engines",
    "wyoming_polytts.__main__": "the command line makes the Config",
    "wyoming_polytts.addon": "the add-on's options make the Config",
    "wyoming_polytts.testing.in_process": "stands in for __main__ in tests, through app",
}
"""The only modules that see the whole Config: every part takes the sections it reads."""
TOP = ("wyoming_polytts.app", "wyoming_polytts.config")


def takes_config(path: Path) -> Iterator[str]:
    """Parameters annotated with Config (alone or in a union)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for arg in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs):
                annotation = ast.unparse(arg.annotation) if arg.annotation else ""
                if "Config" in re.findall(r"\w+", annotation):
                    yield f"{path.name}:{node.lineno} {node.name}({arg.arg})"


def test_only_the_composers_import_the_root_or_the_whole_config() -> None:
    up = {
        f"{name} imports {target}"
        for name, targets in import_graph().items()
        if name not in COMPOSERS
        for target in targets
        if target in TOP
    }
    assert up == set()


def test_only_the_composers_take_the_whole_config() -> None:
    taking = [
        found
        for path in python_files(PACKAGE)
        if module_name(path) not in COMPOSERS
        for found in takes_config(path)
    ]
    assert taking == []


def test_the_config_rule_finds_a_part_that_takes_config(tmp_path: Path) -> None:
    part = tmp_path / "part.py"
    part.write_text("def build(config: Config | None, sections: KokoroSettings) -> None: ...\n")
    assert [found.split(" ")[1] for found in takes_config(part)] == ["build(config)"]


SATELLITES_DOORS = ("wyoming_polytts.satellites.front_door", "wyoming_polytts.satellites.settings")
"""What the rest of the package may import of satellites/: its front door, and the settings
sections it owns (read by the composer and the planner)."""


def test_satellites_are_reached_through_their_front_door() -> None:
    around = {
        f"{name} imports {target}"
        for name, targets in import_graph().items()
        if not name.startswith("wyoming_polytts.satellites") and name not in COMPOSERS
        for target in targets
        if target.startswith("wyoming_polytts.satellites.") and target not in SATELLITES_DOORS
    }
    assert around == set()


MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60


def test_modules_and_functions_stay_small() -> None:
    too_long = []
    for path in python_files(PACKAGE):
        source = path.read_text(encoding="utf-8")
        if len(source.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{module_name(path)}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{module_name(path)}.{node.name}: {length} lines")
    assert too_long == []


LAYERS = (
    ("", "uri", "framing", "schema", "storage"),
    ("engines", "satellites", "text"),
    ("reply",),
    ("server", "web"),
    ("app", "config", "startup_checks", "addon"),
    ("__main__", "testing"),
)
"""The package's parts from the bottom up: an import never reaches a higher layer."""


def layer(module: str) -> int:
    part = module.split(".")[1] if "." in module else ""
    return next(index for index, parts in enumerate(LAYERS) if part in parts)


def test_no_import_runs_back_up() -> None:
    up = {
        f"{name} imports {target}"
        for name, targets in import_graph().items()
        for target in targets
        if layer(target) > layer(name)
    }
    assert up == set()
