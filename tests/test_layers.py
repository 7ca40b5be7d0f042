"""labsim's layers point down only (see labsim/__init__.py), checked on every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "labsim"

LAYER = {
    "clock": 0, "quotas": 0, "keyspace": 0, "safety": 0, "transport": 0, "_moto": 0, "lab": 0, "context": 0,
    "errors": 0, "faults": 0, "jitter": 0, "pagetokens": 0, "validation": 0, "scheduling": 0, "tokenbucket": 0,
    "streams": 1, "cloudwatch": 1, "firehose": 1, "dynamodb": 1, "logs": 1, "iot": 1, "iam": 1, "kms": 1, "awslambda": 1, "redshift": 1,
    "kpl": 2, "kcl": 2, "agent": 2,
    "viz": 3, "quiz": 3, "grading": 3,
}
#: Modules that may import moto: layer 0's adapter and the layer-1 physics.
MOTO_ALLOWED = {"_moto", "streams", "cloudwatch", "firehose", "dynamodb", "logs", "iot", "iam", "awslambda"}


def _unit(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    package_parts = ["labsim", *path.relative_to(PACKAGE).parent.parts]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                names.add(module)
                if not node.module:  # from . import x
                    names.update(f"{module}.{alias.name}" for alias in node.names)
            elif node.module:
                names.add(node.module)
                if node.module == "labsim":
                    names.update(f"labsim.{alias.name}" for alias in node.names)
    return names


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_imports_point_down(path: Path):
    unit = _unit(path)
    assert unit in LAYER, f"{path.relative_to(PACKAGE)}: add its unit to LAYER in this test and to labsim/__init__.py's docstring"
    layer = LAYER[unit]
    for name in _imports(path):
        top = name.split(".")[0]
        if top == "moto":
            assert unit in MOTO_ALLOWED, f"{path.relative_to(PACKAGE)} (layer {layer}) imports moto: only labsim._moto and layer-1 physics may"
        if top != "labsim" or name == "labsim":
            continue
        target = name.split(".")[1]
        if target not in LAYER:
            continue
        assert LAYER[target] <= layer, (
            f"{path.relative_to(PACKAGE)} (layer {layer}) imports {name} (layer {LAYER[target]}): layers point down only"
        )
        if layer == 2:
            assert target not in ("_moto", "transport") and LAYER[target] != 1, (
                f"{path.relative_to(PACKAGE)}: client libraries use boto3 only, not {name}"
            )


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def test_no_import_circles():
    """No module of labsim reaches itself through its imports (function-level imports included)."""
    paths = sorted(PACKAGE.rglob("*.py"))
    names = {_module_name(p): p for p in paths}
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        targets = set()
        for imported in _imports(path):
            # "from labsim.streams import x" may name a submodule or an attribute: take the longest module.
            while imported and imported not in names:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and not name.startswith(imported + "."):
                targets.add(imported)
        graph[name] = targets
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
