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
