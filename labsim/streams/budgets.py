"""Per-shard write budgets on the lab clock: 1 MiB/s (data + partition key) and 1,000 records/s.

Model (documented so lessons can explain what they see)
------------------------------------------------------
The service states its shard limits per second (kinesis-facts 1.1). labsim models each as a
**token bucket refilled continuously** on the lab clock:

- bytes:   capacity 1 MiB,       refill 1 MiB/s  (``quotas.SHARD_WRITE_BYTES_PER_SECOND``)
- records: capacity 1,000,       refill 1,000/s  (``quotas.SHARD_WRITE_RECORDS_PER_SECOND``)

A new shard starts with both buckets full. A record is accepted only if *both* buckets hold enough
for it, and then it takes from both; otherwise it is refused and takes nothing. So a burst of one
second's worth goes through at once, after which writes are admitted at the sustained rate. Over
any window of T seconds a shard accepts at most (T + 1) seconds' worth: the same "per second"
promise the service makes, without artefacts at second boundaries.

Large records (a stream's ``MaxRecordSizeInKiB`` above 1024): the service keeps the shard at
1 MiB/s but absorbs an occasional big record in a burst "tank" that refills over time
(kinesis-facts 1.2, KDS-LARGE). labsim models the tank as *debt*: a record larger than the bucket
is accepted when the bucket is full, the bucket goes negative, and the 1 MiB/s refill pays the
debt back before anything else is accepted. A 5 MiB record thus blocks its shard for ~5 s.

Time only comes from the ``now`` passed in; with the virtual clock nothing refills until the lab's
time moves (``lab.clock.advance``, or a ``time.sleep`` inside the lab, e.g. botocore's retry back-off).
"""

from __future__ import annotations

from labsim import quotas
from labsim.tokenbucket import TokenBucket


# Lab time is epoch seconds in a float (resolution ~0.2 us near 2026), so a refill of exactly one
# record or byte can come out a hair short; these tolerances absorb that rounding, nothing more.
_ONE_RECORD = 1.0 - 1e-3
_BYTE_SLACK = 0.5


class ShardWriteBudget:
    """Both write limits of one shard. ``admit(size, now)`` -> True if the record may be stored."""

    __slots__ = ("bytes", "records", "throttled")

    def __init__(
        self,
        now: float,
        bytes_per_second: float = quotas.SHARD_WRITE_BYTES_PER_SECOND,
        records_per_second: float = quotas.SHARD_WRITE_RECORDS_PER_SECOND,
    ) -> None:
        self.bytes = TokenBucket(capacity=bytes_per_second, rate=bytes_per_second, now=now, slack=_BYTE_SLACK)
        self.records = TokenBucket(capacity=records_per_second, rate=records_per_second, now=now, slack=1.0 - _ONE_RECORD)
        self.throttled = 0  # records refused so far (handy in lessons)

    def admit(self, size: int, now: float) -> bool:
        b = self.bytes
        r = self.records
        # ``records.can_take(1) and bytes.can_take(size)`` then both takes, written out: this runs
        # once per record, and the two buckets are only charged if both admit the record.
        if now > b.updated:
            t = b.tokens + (now - b.updated) * b.rate
            b.tokens = t if t < b.capacity else b.capacity
            b.updated = now
        if now > r.updated:
            t = r.tokens + (now - r.updated) * r.rate
            r.tokens = t if t < r.capacity else r.capacity
            r.updated = now
        if r.tokens >= _ONE_RECORD and (b.tokens >= size - _BYTE_SLACK or (size > b.capacity and b.tokens >= b.capacity - _BYTE_SLACK)):
            b.tokens -= size
            r.tokens -= 1.0
            return True
        self.throttled += 1
        return False

    def headroom(self, now: float) -> tuple[float, float]:
        """(bytes, records) that could be written at ``now`` without throttling."""
        return max(0.0, self.bytes.level(now)), max(0.0, self.records.level(now))
