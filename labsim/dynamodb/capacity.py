"""Provisioned capacity as token buckets on the lab clock, and the per-table account of its use."""

from __future__ import annotations

import math

from .. import quotas


class CapacityBucket:
    """Capacity units refilled at ``rate`` per second, keeping at most ``DYNAMODB_BURST_SECONDS`` of them.

    >>> bucket = CapacityBucket(rate=2, now=0)
    >>> bucket.try_take(2, now=0), bucket.try_take(1, now=0), bucket.try_take(1, now=0.5)
    (True, False, True)
    """

    __slots__ = ("rate", "level", "updated")

    def __init__(self, rate: float, now: float) -> None:
        self.rate = float(rate)
        self.level = self.rate  # lab assumption: one second's worth at creation, not a full burst
        self.updated = now

    def refill(self, now: float) -> None:
        if now > self.updated:
            self.level = min(self.rate * quotas.DYNAMODB_BURST_SECONDS, self.level + self.rate * (now - self.updated))
            self.updated = now

    def try_take(self, units: float, now: float) -> bool:
        self.refill(now)
        if self.level + 1e-9 < units:
            return False
        self.level -= units
        return True

    def set_rate(self, rate: float, now: float) -> None:
        self.refill(now)
        self.rate = float(rate)
        self.level = min(self.level, self.rate * quotas.DYNAMODB_BURST_SECONDS)


class TableCapacity:
    """One table's consumption and throttling: totals and per lab second (for plots)."""

    __slots__ = ("table_name", "read", "write", "read_units", "write_units", "reads_throttled",
                 "writes_throttled", "per_second")

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.read: CapacityBucket | None = None
        self.write: CapacityBucket | None = None
        self.read_units = 0.0
        self.write_units = 0.0
        self.reads_throttled = 0
        self.writes_throttled = 0
        #: {int(second): [read units, write units, reads throttled, writes throttled]}
        self.per_second: dict[int, list[float]] = {}

    def provision(self, billing_mode: str, throughput: dict, now: float) -> None:
        """Follow the table's current billing mode and throughput (after CreateTable/UpdateTable)."""
        if billing_mode == "PAY_PER_REQUEST":
            self.read = self.write = None
            return
        rcu, wcu = throughput.get("ReadCapacityUnits", 0), throughput.get("WriteCapacityUnits", 0)
        if self.read is None or self.write is None:
            self.read, self.write = CapacityBucket(rcu, now), CapacityBucket(wcu, now)
        else:
            self.read.set_rate(rcu, now)
            self.write.set_rate(wcu, now)

    def charge(self, kind: str, units: float, now: float) -> bool:
        """Take ``units`` of ``kind`` ("read"/"write"); False (and counted as throttled) if it cannot pay."""
        bucket = self.read if kind == "read" else self.write
        cell = self.per_second.setdefault(int(now), [0.0, 0.0, 0, 0])
        if bucket is not None and not bucket.try_take(units, now):
            if kind == "read":
                self.reads_throttled += 1
                cell[2] += 1
            else:
                self.writes_throttled += 1
                cell[3] += 1
            return False
        if kind == "read":
            self.read_units += units
            cell[0] += units
        else:
            self.write_units += units
            cell[1] += units
        return True

    def __repr__(self) -> str:
        return (f"<TableCapacity {self.table_name}: {self.read_units:g} RCU / {self.write_units:g} WCU consumed, "
                f"{self.reads_throttled} reads and {self.writes_throttled} writes throttled>")


def write_units(size_bytes: int) -> float:
    """WCU of one write of an item of ``size_bytes`` (at least 1)."""
    return float(max(1, math.ceil(size_bytes / quotas.DYNAMODB_WRITE_UNIT_BYTES)))


def read_units(size_bytes: int, consistent: bool) -> float:
    """RCU of reading ``size_bytes`` of items (at least one unit's worth), half if eventually consistent."""
    units = float(max(1, math.ceil(size_bytes / quotas.DYNAMODB_READ_UNIT_BYTES)))
    return units if consistent else units / 2
