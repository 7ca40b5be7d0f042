"""The per-shard rate limiter: a token bucket on records and on bytes.

A shard takes 1,000 records/s and 1 MiB/s. The KPL keeps one limiter per predicted shard
(``aws/kinesis/core/limiter.h``; kinesis-facts 4.4): a token bucket with two token streams,

- records: holds up to 1,000 tokens, refills at 1,000 x rate_limit% per second;
- bytes:   holds up to 10 MiB, refills at 1 MiB x rate_limit% per second.

A Kinesis record (an aggregate or a lone user record) leaves the limiter only when it can take
one record token and one token per byte. Buckets start full, so a producer may send a burst,
then settles at the refill rate. With the default ``rate_limit=150`` one producer alone can keep
a shard saturated (it offers 150 % and the shard throttles the excess, which is retried);
several producers writing to one shard throttle each other, and a lower rate_limit spreads the
shard between them. The limiter puts a ceiling on throttling; it does not avoid it.

Records wait in deadline order, and a record whose time to live runs out while waiting fails
with error code ``Expired``. The bytes counted are those the service counts: data + partition key.

labsim drains a limiter exactly when its tokens suffice (the KPL polls every 25 ms).
"""

from __future__ import annotations

import heapq
import itertools
from typing import Any, Callable

from labsim import quotas as q


class TokenBucket:
    """Several token streams taken together (all or nothing), refilled continuously."""

    def __init__(self, capacities: tuple[float, ...], rates: tuple[float, ...], now: float) -> None:
        self.capacities = capacities
        self.rates = rates
        self.tokens = list(capacities)  # start full
        self.last = now

    def _refill(self, now: float) -> None:
        elapsed = now - self.last
        if elapsed > 0:
            for i, rate in enumerate(self.rates):
                self.tokens[i] = min(self.capacities[i], self.tokens[i] + rate * elapsed)
            self.last = now

    def _needed(self, amounts: tuple[float, ...]) -> list[float]:
        # A request bigger than the bucket may go once the bucket is full (it then runs into debt),
        # so a record larger than the capacity is slowed down, never stuck.
        return [min(a, c) for a, c in zip(amounts, self.capacities)]

    def try_take(self, amounts: tuple[float, ...], now: float) -> bool:
        self._refill(now)
        need = self._needed(amounts)
        if any(t < n for t, n in zip(self.tokens, need)):
            return False
        for i, amount in enumerate(amounts):
            self.tokens[i] -= amount
        return True

    def time_until(self, amounts: tuple[float, ...], now: float) -> float:
        """Seconds from ``now`` until ``try_take(amounts)`` would succeed."""
        self._refill(now)
        wait = 0.0
        for tokens, need, rate in zip(self.tokens, self._needed(amounts), self.rates):
            if tokens < need:
                wait = max(wait, (need - tokens) / rate)
        return wait


class ShardLimiter:
    """Queue + token bucket for one shard."""

    def __init__(self, shard_id: str, rate_multiplier: float, now: float) -> None:
        self.shard_id = shard_id
        self.bucket = TokenBucket(
            (float(q.KPL_LIMITER_RECORDS_CAPACITY), float(q.KPL_LIMITER_BYTES_CAPACITY)),
            (
                q.SHARD_WRITE_RECORDS_PER_SECOND * rate_multiplier,
                q.SHARD_WRITE_BYTES_PER_SECOND * rate_multiplier,
            ),
            now,
        )
        self._queue: list[tuple[float, int, Any]] = []  # (deadline, seq, container), a heap
        self._expiries: list[tuple[float, int]] = []  # (expiration, seq), a heap; drained seqs linger
        self._live: set[int] = set()  # seqs still waiting here
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._live)

    def put(self, container: Any) -> None:
        seq = next(self._seq)
        heapq.heappush(self._queue, (container.deadline, seq, container))
        heapq.heappush(self._expiries, (container.expiration, seq))
        self._live.add(seq)

    def items(self) -> list[Any]:
        return [entry[2] for entry in self._queue if entry[1] in self._live]

    def _first_expiry(self) -> float | None:
        # Earliest expiration among waiting containers, without scanning the queue (O(log n)).
        exp, live = self._expiries, self._live
        while exp and exp[0][1] not in live:
            heapq.heappop(exp)
        return exp[0][0] if exp else None

    def expire(self, now: float, on_expired: Callable[[Any], None]) -> None:
        first = self._first_expiry()
        if first is None or first > now:
            return
        expired = set()
        while self._expiries and self._expiries[0][0] <= now:
            _, seq = heapq.heappop(self._expiries)
            if seq in self._live:
                self._live.discard(seq)
                expired.add(seq)
        keep = []
        for entry in self._queue:
            if entry[1] in expired:
                on_expired(entry[2])
            else:
                keep.append(entry)
        heapq.heapify(keep)
        self._queue = keep

    def drain(self, now: float, on_release: Callable[[Any], None]) -> None:
        """Release records, soonest deadline first, while tokens last."""
        while self._queue:
            container = self._queue[0][2]
            if not self.bucket.try_take((1.0, float(container.billed_size)), now):
                return
            _, seq, _ = heapq.heappop(self._queue)
            self._live.discard(seq)
            on_release(container)

    def next_event(self, now: float) -> float | None:
        """When something can next happen here: tokens for the head, or the first expiry."""
        if not self._queue:
            return None
        head = self._queue[0][2]
        ready = now + self.bucket.time_until((1.0, float(head.billed_size)), now)
        first = self._first_expiry()
        return ready if first is None else min(ready, first)
