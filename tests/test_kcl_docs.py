"""The examples in labsim.kcl's and labsim.dynamodb's docstrings run, so the documentation cannot drift."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["labsim.kcl", "labsim.kcl.config", "labsim.kcl.assignment", "labsim.kcl.messages",
           "labsim.dynamodb", "labsim.dynamodb.capacity"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
    assert result.attempted > 0, f"{name} should carry at least one executable example"
