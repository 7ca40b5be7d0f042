"""On-demand capacity: how an ON_DEMAND stream adds shards when a shard runs hot.

What AWS documents (kinesis-facts 1.4, KDS-DG22 how-do-i-size-a-stream.md, KDS-Q): a new on-demand
stream has 4 MB/s of write capacity; it accommodates up to twice the previous peak; a shard that
sees more than 500 KB/s is split within 15 minutes; splits are even (a single hot key is not
isolated, and one key stays capped at 1 MB/s and 1,000 records/s).

labsim's model, kept deliberately simple:

1. A new on-demand stream has ``quotas.ON_DEMAND_INITIAL_SHARDS`` (4) shards, each with the
   ordinary per-shard write budget (``labsim.streams.budgets``), so 4 MiB/s in total.
2. The accepted bytes of each open shard are summed per window of
   ``quotas.ON_DEMAND_MEASURE_SECONDS`` (60 s). When a window closes (a clock task is scheduled only
   for windows that saw writes), a shard whose average exceeded
   ``quotas.ON_DEMAND_SPLIT_THRESHOLD_BYTES_PER_SECOND`` (500 KB/s) is marked hot.
3. A hot shard is split evenly (at the middle of its hash range)
   ``quotas.ON_DEMAND_SCALE_WINDOW_SECONDS`` (15 min) after the start of the window in which it was
   first hot, if the stream is still ON_DEMAND and the shard still open. Each child has a fresh
   budget, so the key range's capacity doubles: sustained traffic above half a shard keeps
   doubling capacity, which is how "2x the previous peak" shows up in a lab.
4. The stream stays ACTIVE during these splits (the service does this behind the scenes).

Throttling still happens in the meantime: traffic that more than doubles within 15 minutes is
refused, exactly the situation AWS warns about.
"""

from __future__ import annotations

import threading
from typing import Any

from labsim import quotas

from .model import Shard, Stream


class OnDemandShardState:
    """What the scaler knows of one shard: bytes per measuring window, and a split already planned."""

    __slots__ = ("windows", "split_at")

    def __init__(self) -> None:
        self.windows: dict[int, int] = {}
        self.split_at: float | None = None


class OnDemandScaler:
    """Watches the shards of ON_DEMAND streams and splits the hot ones (see module docstring)."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.window = float(quotas.ON_DEMAND_MEASURE_SECONDS)
        self.threshold = float(quotas.ON_DEMAND_SPLIT_THRESHOLD_BYTES_PER_SECOND)
        self.delay = float(quotas.ON_DEMAND_SCALE_WINDOW_SECONDS)
        self._lock = threading.Lock()
        self.splits: list[tuple[float, str, str]] = []  # (time, stream, parent shard) for lessons

    def observe(self, stream: Stream, shard: Shard, nbytes: int, now: float) -> None:
        """Count ``nbytes`` accepted by ``shard`` at ``now`` (called once per shard per request)."""
        w = int(now // self.window)
        with self._lock:
            state = shard.scaling
            if state is None:
                state = shard.scaling = OnDemandShardState()
            windows = state.windows
            if w not in windows:
                windows[w] = 0
                self.clock.call_at((w + 1) * self.window, lambda: self._evaluate(stream, shard, w), name="kinesis-on-demand-check")
            windows[w] += nbytes

    def _evaluate(self, stream: Stream, shard: Shard, w: int) -> None:
        state = shard.scaling
        with self._lock:
            nbytes = state.windows.pop(w, 0)
        if nbytes / self.window <= self.threshold or not shard.is_open or state.split_at is not None:
            return
        due = w * self.window + self.delay
        state.split_at = due
        self.clock.call_at(max(due, self.clock.now()), lambda: self._split(stream, shard), name="kinesis-on-demand-split")

    def _split(self, stream: Stream, shard: Shard) -> None:
        if stream.mode != "ON_DEMAND" or not shard.is_open or stream.status == "DELETING":
            return
        if shard.ending_hash - shard.starting_hash < 1:
            return
        middle = shard.starting_hash + (shard.ending_hash - shard.starting_hash + 1) // 2
        stream.split_shard(shard, middle)
        self.splits.append((self.clock.now(), stream.name, shard.shard_id))

