"""The agent's one error type: a configuration the Java agent would refuse."""

from __future__ import annotations


class AgentConfigError(ValueError):
    """agent.json is wrong; the message names the key, what was given and what is allowed."""
