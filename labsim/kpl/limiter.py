"""The per-shard rate limiter: a token bucket on records and on bytes.

A shard takes 1,000 records/s and 1 MiB/s. The KPL keeps one limiter per predicted shard
(``aws/kinesis/core/limiter.h``; kinesis-facts 4.4): a token bucket with two token streams,

- records: holds up to 1,000 tokens, refills at 1,000 x rate_limit% per second;
- bytes:   holds up to 1 MiB (``kBytesPerSecLimit = 1024 * 1024``), refills at 1 MiB x rate_limit% per second.

Each stream is a ``labsim.tokenbucket.TokenBucket``, the same model the lab uses for the shard's
own write budget.

A Kinesis record (an aggregate or a lone user record) leaves the limiter only when it can take
one record token and one token per byte. Buckets start full, so a producer may send a burst,
then settles at the refill rate. With the default ``rate_limit=150`` one producer alone can keep
a shard saturated (it offers 150 % and the shard throttles the excess, which is retried);
several producers writing to one shard throttle each other, and a lower rate_limit spreads the
shard between them. The limiter puts a ceiling on throttling; it does not avoid it.

Records wait in deadline order, and a record whose time to live runs out while waiting fails
with error code ``Expired``. The bytes counted are those the service counts: data + partition key.

A record that finds tokens goes at once. One that has to wait is let through by the limiter's
drain, which runs every 25 ms (``kDrainDelay``, ``KPL_LIMITER_DRAIN_MS``), so records released
after a wait leave in 25 ms batches that the collector can put into one request.

>>> limiter = Limiter(rate_multiplier=1.5)
>>> class Big:                                   # a Kinesis record of 600 KiB
...     shard, deadline, expiration, billed_size = "shard-0", 0.0, 30.0, 600 * 1024
>>> for _ in range(3):
...     limiter.put(Big(), now=0.0)
>>> released = []
>>> limiter.release(0.0, on_expired=None, on_release=released.append)
>>> len(released), limiter.next_event(0.0)     # 1 MiB holds one; 176 KiB more takes 0.115 s at 1.5 MiB/s
(1, 0.125)
>>> limiter.release(0.125, on_expired=None, on_release=released.append)   # the drain after that
>>> len(released)
2
"""

from __future__ import annotations

import heapq
import itertools
import math
from typing import Any, Callable

from labsim import quotas as q
from labsim.tokenbucket import TokenBucket

_DRAIN_S = q.KPL_LIMITER_DRAIN_MS / 1000.0

__all__ = ["Limiter", "ShardLimiter"]


class ShardLimiter:
    """Queue + token buckets (records, bytes) for one shard; a record takes from both or neither."""

    __slots__ = ("shard_id", "records", "bytes", "origin", "_queue", "_expiries", "_live", "_seq")

    def __init__(self, shard_id: str, rate_multiplier: float, now: float) -> None:
        self.shard_id = shard_id
        # The slack only absorbs float rounding (a few microseconds' refill) at a drain that falls when
        # the tokens just suffice; the drain rounds times within 2.5 us of a tick down to it.
        self.records = TokenBucket(
            capacity=float(q.KPL_LIMITER_RECORDS_CAPACITY), rate=q.SHARD_WRITE_RECORDS_PER_SECOND * rate_multiplier,
            now=now, slack=0.01,
        )
        self.bytes = TokenBucket(
            capacity=float(q.KPL_LIMITER_BYTES_CAPACITY), rate=q.SHARD_WRITE_BYTES_PER_SECOND * rate_multiplier,
            now=now, slack=8.0,
        )
        self.origin = now  # drains fall on origin + k x 25 ms
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
            size = float(container.billed_size)
            if not (self.records.can_take(1.0, now) and self.bytes.can_take(size, now)):
                return
            self.records.take(1.0, now)
            self.bytes.take(size, now)
            _, seq, _ = heapq.heappop(self._queue)
            self._live.discard(seq)
            on_release(container)

    def next_event(self, now: float) -> float | None:
        """When something can next happen here: tokens for the head, or the first expiry."""
        if not self._queue:
            return None
        head = self._queue[0][2]
        wait = max(self.records.time_until(1.0, now), self.bytes.time_until(float(head.billed_size), now))
        ready = now if wait <= 0 else self._next_drain(now + wait)
        first = self._first_expiry()
        return ready if first is None else min(ready, first)


    def _next_drain(self, t: float) -> float:
        """The first drain at or after ``t``."""
        k = math.ceil((t - self.origin) / _DRAIN_S - 1e-4)
        return self.origin + k * _DRAIN_S


class Limiter:
    """One :class:`ShardLimiter` per shard, made when the shard is first seen (KPL ``Limiter``)."""

    __slots__ = ("_shards", "rate_multiplier")

    def __init__(self, rate_multiplier: float) -> None:
        self._shards: dict[str, ShardLimiter] = {}
        self.rate_multiplier = rate_multiplier

    def put(self, container: Any, now: float) -> None:
        shard = self._shards.get(container.shard)
        if shard is None:
            shard = self._shards[container.shard] = ShardLimiter(container.shard, self.rate_multiplier, now)
        shard.put(container)

    def release(self, now: float, on_expired: Callable[[Any], None] | None, on_release: Callable[[Any], None]) -> None:
        """Fail what expired while waiting (``on_expired``), then let through what the tokens allow."""
        for shard in self._shards.values():
            if on_expired is not None:
                shard.expire(now, on_expired)
            shard.drain(now, on_release)

    def next_event(self, now: float) -> float | None:
        times = [t for t in (shard.next_event(now) for shard in self._shards.values()) if t is not None]
        return min(times) if times else None

    def take_all(self) -> list[Any]:
        """Everything waiting, in every shard (the producer fails it when its lab has stopped)."""
        out = []
        for shard in self._shards.values():
            out.extend(shard.items())
        self._shards.clear()
        return out
