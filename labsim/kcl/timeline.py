"""Who processed which shard when: the workers' event logs turned into intervals (for plots and tests)."""

from __future__ import annotations

from typing import Any, Iterable

_ENDS = ("lease_lost", "shard_ended", "crash", "shutdown", "handed off", "lost")


def ownership_timeline(workers: Iterable[Any], until: float | None = None) -> list[tuple[str, str, float, float]]:
    """(shard, worker id, start, end) for every stretch a processor ran, from initialize to its end.

    A stretch still running ends at ``until`` (default: the latest event seen).
    """
    events = sorted((e for w in workers for e in w.events), key=lambda e: e[0])
    if until is None:
        until = max((e[0] for e in events), default=0.0)
    open_: dict[tuple[str, str], float] = {}
    out: list[tuple[str, str, float, float]] = []
    for at, worker, shard, what in events:
        if not shard:
            continue
        key = (shard, worker)
        if what == "initialize":
            open_.setdefault(key, at)
        elif what in _ENDS and key in open_:
            out.append((shard, worker, open_.pop(key), at))
    out.extend((shard, worker, start, until) for (shard, worker), start in open_.items())
    return sorted(out, key=lambda seg: (seg[0], seg[2]))
