"""One token bucket, refilled continuously: the model behind every rate limit labsim enforces.

A bucket holds at most ``capacity`` tokens and gains ``rate`` tokens per second of the time it is
given (``now``: any clock's seconds; the bucket has no clock of its own, so simulated time works
as well as real time). It starts full. Three users, three ways of spending:

- **all or nothing** (``try_take``): the KPL's per-shard limiter (records and bytes, kinesis-facts
  4.4) and the shard's write budget (1 MiB/s and 1,000 records/s, kinesis-facts 1.1) let a request
  through only if the bucket holds enough, and otherwise take nothing;
- **pay afterwards** (``take``): a GetRecords call learns its size only once it has read, so the
  read budget (2 MiB/s per shard) charges what was returned and may go below zero: the *debt* is
  paid back by the refill before ``level(now)`` is positive again;
- **one big request** (``try_take`` of more than ``capacity``): it could never fit, so it is let
  through when the bucket is full and leaves the bucket in debt (a large record slows its shard
  down, it never blocks it for ever).

>>> bucket = TokenBucket(capacity=1000, rate=1000, now=0.0)      # 1,000 records/s, starts full
>>> bucket.try_take(600, now=0.0), bucket.try_take(600, now=0.0)  # the second does not fit
(True, False)
>>> bucket.level(0.0), bucket.time_until(600, now=0.0)            # 400 left; 0.2 s until 600
(400.0, 0.2)
>>> bucket.try_take(600, now=0.2), bucket.level(0.2)
(True, 0.0)
>>> reads = TokenBucket(capacity=2 * 2**20, rate=2 * 2**20, now=0.0)   # a shard's 2 MiB/s reads
>>> reads.take(3 * 2**20, now=0.0)                # a 3 MiB read: the bucket owes 1 MiB
-1048576.0
>>> reads.level(0.25) < 0, reads.level(0.5)       # the refill pays the debt first
(True, 0.0)
>>> big = TokenBucket(capacity=1.0, rate=1.0, now=0.0)
>>> big.try_take(5.0, now=0.0), big.level(0.0)    # bigger than the bucket: allowed when full
(True, -4.0)
>>> big.try_take(5.0, now=4.0), big.time_until(5.0, now=4.0)
(False, 1.0)

``slack`` absorbs float rounding: lab time is epoch seconds in a float (about 0.2 microseconds of
resolution near 2026), so a refill of exactly what was needed can come out a hair short. A bucket
with ``slack=1e-3`` treats 999.9995 tokens as enough for 1,000. It changes nothing else.
"""

from __future__ import annotations

import math

__all__ = ["TokenBucket"]


class TokenBucket:
    """``capacity`` tokens at most, ``rate`` tokens per second, full at ``now`` (see module docstring)."""

    __slots__ = ("capacity", "rate", "tokens", "updated", "slack")

    def __init__(self, *, capacity: float, rate: float, now: float, slack: float = 0.0) -> None:
        for what, value in (("capacity", capacity), ("rate", rate)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < value < math.inf):
                raise ValueError(f"{what} must be a positive, finite number, got {value!r}")
        if not 0 <= slack < capacity:
            raise ValueError(f"slack must be at least 0 and below the capacity, got {slack!r}")
        self.capacity = float(capacity)
        self.rate = float(rate)
        self.tokens = float(capacity)
        self.updated = float(now)
        self.slack = float(slack)

    def level(self, now: float) -> float:
        """Tokens held at ``now``, after refilling (never above capacity; negative while in debt).

        Time never runs backwards for a bucket: a ``now`` earlier than the last one refills nothing.
        """
        if now > self.updated:
            t = self.tokens + (now - self.updated) * self.rate
            self.tokens = t if t < self.capacity else self.capacity
            self.updated = now
        return self.tokens

    def _needed(self, amount: float) -> float:
        # More than the bucket can ever hold is allowed once it is full (then it runs into debt).
        return (amount if amount < self.capacity else self.capacity) - self.slack

    def can_take(self, amount: float, now: float) -> bool:
        """Would ``try_take(amount, now)`` succeed? (Takes nothing.)"""
        return self.level(now) >= self._needed(amount)

    def try_take(self, amount: float, now: float) -> bool:
        """Take ``amount`` tokens if the bucket holds them (or is full, for a request bigger than it)."""
        if self.level(now) >= self._needed(amount):
            self.tokens -= amount
            return True
        return False

    def take(self, amount: float, now: float) -> float:
        """Take ``amount`` tokens whatever the bucket holds (it may go into debt); returns the new level."""
        self.level(now)
        self.tokens -= amount
        return self.tokens

    def time_until(self, amount: float, now: float) -> float:
        """Seconds from ``now`` until ``try_take(amount)`` would succeed (0.0 if it would now)."""
        missing = self._needed(amount) - self.level(now)
        return missing / self.rate if missing > 0 else 0.0

    def __repr__(self) -> str:
        return f"<TokenBucket {self.tokens:g}/{self.capacity:g} tokens, +{self.rate:g}/s at t={self.updated:g}>"
