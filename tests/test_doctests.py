"""Examples in labsim's docstrings are executed, so the documentation cannot drift from the code.

Every module whose source holds an example (``>>>``) is found and run here; no list to keep.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "labsim"


def _modules_with_examples() -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ">>>" not in path.read_text(encoding="utf-8"):
            continue
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out.append(".".join(parts))
    return out


MODULES = _modules_with_examples()


def test_the_core_modules_carry_examples():
    for name in ("labsim.lab", "labsim.clock", "labsim.quotas", "labsim.context", "labsim.keyspace", "labsim.faults"):
        assert name in MODULES, f"{name} should carry at least one executable example"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
    assert result.attempted > 0, f"{name} has '>>>' in its source but no example doctest can find"
