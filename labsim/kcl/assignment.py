"""Who should hold which lease: the 2.x-mode lease taker and the 3.x leader's assignment, as pure functions.

Both work on leases as last read from the table plus the set of lease keys the caller considers
expired (a counter that has not moved for ``failover_time_millis`` while watched, or no owner).

>>> from labsim.kcl.lease_table import Lease
>>> leases = [Lease(f"shardId-{n}", owner="w1") for n in range(4)]
>>> [lease.key for lease in leases_to_take(leases, "w2", expired=set(), max_leases=99, max_steal=1)]
['shardId-0']
>>> moves = assignment_moves(leases, ["w1", "w2"], expired=set(), by_throughput=False, threshold_pct=10, dampening_pct=60)
>>> [(lease.key, owner) for lease, owner, move in moves]
[('shardId-0', 'w2'), ('shardId-1', 'w2')]
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Iterable

from .lease_table import Lease


def leases_to_take(leases: Iterable[Lease], me: str, *, expired: set[str], max_leases: int, max_steal: int) -> list[Lease]:
    """KCL 2.x ``DynamoDBLeaseTaker``: take expired or unowned leases up to the target, else steal.

    target = ceil(leases ÷ workers), workers being the owners of unexpired leases plus this one,
    capped at ``max_leases``. Expired and unowned leases come first; if there are none, steal from the
    most loaded worker: up to ``max_steal`` if it is above target, or 1 if it is exactly at target and
    this worker needs more than one.
    """
    live = [lease for lease in leases if not lease.ended]
    if not live:
        return []
    owners = Counter(lease.owner for lease in live if lease.owner and lease.key not in expired)
    workers = set(owners) | {me}
    target = min(max_leases, math.ceil(len(live) / len(workers)))
    need = target - owners.get(me, 0)
    if need <= 0:
        return []
    available = [lease for lease in live if lease.owner is None or lease.key in expired]
    if available:
        return available[:need]
    others = [(count, owner) for owner, count in owners.items() if owner != me]
    if not others:
        return []
    count, victim = max(others, key=lambda pair: (pair[0], pair[1]))
    if count > target:
        steal = min(max_steal, count - target, need)
    elif count == target and need > 1:
        steal = 1
    else:
        return []
    return [lease for lease in live if lease.owner == victim][:steal]


def assignment_moves(leases: Iterable[Lease], active_workers: list[str], *, expired: set[str], by_throughput: bool,
                     threshold_pct: int, dampening_pct: int, handoff_pending: set[str] = frozenset()
                     ) -> list[tuple[Lease, str, bool]]:
    """KCL 3.x ``LeaseAssignmentManager``: (lease, new owner, is_rebalance) for one run.

    1. Leases with no owner, an expired one, or an owner that is no longer active go to the active
       worker with the least load.
    2. Then, while the most loaded worker is more than ``threshold_pct`` above the average, one of its
       leases moves to the least loaded worker if it moves at most half the gap (a rebalance, done by graceful
       handoff). Load is lease throughput (the lab has no CPU to measure; 3.x falls back to
       throughput), or the lease count when no throughput is known yet. ``dampening_pct`` caps the
       throughput moved per step at that share of the excess.
    """
    if not active_workers:
        return []
    live = [lease for lease in leases if not lease.ended and lease.key not in handoff_pending]
    active = set(active_workers)
    use_tp = by_throughput and any(lease.throughput_kbps > 0 for lease in live)

    def weight(lease: Lease) -> float:
        return lease.throughput_kbps if use_tp else 1.0

    held: dict[str, list[Lease]] = {w: [] for w in sorted(active)}
    orphans = []
    for lease in live:
        if lease.owner in active and lease.key not in expired:
            held[lease.owner].append(lease)
        else:
            orphans.append(lease)
    load = {w: sum(weight(lease) for lease in ls) for w, ls in held.items()}
    moves: list[tuple[Lease, str, bool]] = []
    for lease in orphans:
        target = min(held, key=lambda w: (load[w], len(held[w]), w))
        moves.append((lease, target, False))
        held[target].append(lease)
        load[target] += weight(lease)
    if len(held) < 2:
        return moves
    moved: set[str] = {lease.key for lease, _, _ in moves}
    for _ in range(len(live)):
        average = sum(load.values()) / len(load)
        most = max(held, key=lambda w: (load[w], w))
        least = min(held, key=lambda w: (load[w], w))
        gap = load[most] - load[least]
        if load[most] <= average * (1 + threshold_pct / 100) or gap <= 0:
            break
        budget = (load[most] - average) * dampening_pct / 100 if use_tp else gap
        # a move must not turn the receiver into the new most loaded worker (no ping-pong between runs)
        candidates = [lease for lease in held[most] if lease.key not in moved and 0 < weight(lease) <= gap / 2]
        if not candidates:
            break
        fitting = [lease for lease in candidates if weight(lease) <= budget]
        lease = max(fitting, key=weight) if fitting else min(candidates, key=weight)
        held[most].remove(lease)
        held[least].append(lease)
        load[most] -= weight(lease)
        load[least] += weight(lease)
        moved.add(lease.key)
        moves.append((lease, least, True))
    return moves
