"""Shared fixtures."""

from __future__ import annotations

import pytest

from labsim import Lab


@pytest.fixture
def lab():
    """A running lab with every physics module installed, stopped after the test."""
    with Lab() as running:
        yield running
