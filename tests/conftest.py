"""Shared fixtures."""

from __future__ import annotations

import pytest

from labsim import Lab


@pytest.fixture
def lab():
    """A running lab with every physics module installed, stopped after the test."""
    with Lab() as running:
        yield running


def pytest_terminal_summary(terminalreporter):
    """List each executed notebook's run time (recorded by tests/test_notebooks.py, never asserted)."""
    timed = [
        (report.nodeid, dict(report.user_properties)["execution_seconds"])
        for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
        if report.when == "call" and "execution_seconds" in dict(report.user_properties)
    ]
    if timed:
        terminalreporter.section("notebook execution times (wall clock, this machine)")
        for nodeid, seconds in sorted(timed):
            terminalreporter.write_line(f"{seconds:6.1f} s  {nodeid.split('[', 1)[-1].rstrip(']')}")
