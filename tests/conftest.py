"""Shared fixtures."""

from __future__ import annotations

import socket

import pytest

from labsim import Lab


@pytest.fixture
def lab():
    """A running lab with every physics module installed, stopped after the test."""
    with Lab() as running:
        yield running


@pytest.fixture
def no_network(monkeypatch):
    """Block and record every attempt to resolve or connect, for the whole test."""
    attempts: list[tuple] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def pytest_collection_modifyitems(items):
    """The site's build goes last: by then tests/test_notebooks.py has run (and kept) most lessons,
    which the build shows instead of executing them again."""
    items.sort(key=lambda item: item.get_closest_marker("site") is not None)


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
