"""The examples in labsim.agent's, labsim.logs' and labsim.iot's docstrings run, so the docs cannot drift."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["labsim.agent.agent", "labsim.agent.config", "labsim.agent.converters", "labsim.logs.filters", "labsim.iot.sql"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
    assert result.attempted > 0, f"{name} should carry at least one executable example"
