"""The producer's cached picture of which open shard owns which hash keys.

The KPL aggregates only user records that will land in the same shard, so it must predict the
shard of every record: it hashes the key (MD5, or the explicit hash key) and looks the number up
in the stream's hash ranges, read with ``ListShards`` (kinesis-facts 1.7, 4.1). The picture goes
stale when the stream is resharded; the producer notices because a record comes back from a
shard it did not predict, and then refreshes (it also refreshes every ``shard_map_refresh_s``
while busy).

Only open shards (no ``EndingSequenceNumber``) are kept: closed parents still appear in
ListShards until they expire, but take no writes.

:class:`ShardMapCache` is the producer's copy and when to read it again (KPL ``ShardMap``): every
``shard_map_refresh_s`` while busy, at once after a "Wrong Shard", and after a failed read with a
back-off of 1, 2, 4 ... up to 30 s.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from labsim.keyspace import shard_ranges

from .errors import error_of

__all__ = ["ShardMap", "ShardMapCache"]

_MAX_BACKOFF_S = 30.0


class ShardMap:
    """Open shards of one stream as sorted, contiguous hash ranges."""

    def __init__(self, shards: list[dict[str, Any]] | None = None, fetched_at: float | None = None) -> None:
        self.fetched_at = fetched_at
        self._ends: list[int] = []
        self._starts: list[int] = []
        self._ids: list[str] = []
        #: Hash range of every listed shard, open or closed.
        self.ranges: dict[str, tuple[int, int]] = {}
        if shards:
            self._load(shards)

    def _load(self, shards: list[dict[str, Any]]) -> None:
        entries = []
        for start, end, shard_id, is_open in shard_ranges(shards):
            self.ranges[shard_id] = (start, end)
            if is_open:  # a closed shard takes no writes, but its range still tells where data went
                entries.append((end, start, shard_id))
        entries.sort()
        self._ends = [e[0] for e in entries]
        self._starts = [e[1] for e in entries]
        self._ids = [e[2] for e in entries]

    @classmethod
    def fetch(cls, client: Any, stream_name: str, now: float) -> "ShardMap":
        """Read every shard with ListShards (following NextToken)."""
        shards: list[dict[str, Any]] = []
        response = client.list_shards(StreamName=stream_name)
        shards.extend(response.get("Shards", []))
        while response.get("NextToken"):
            response = client.list_shards(NextToken=response["NextToken"])
            shards.extend(response.get("Shards", []))
        return cls(shards, now)

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def shard_ids(self) -> list[str]:
        return list(self._ids)

    def shard_for(self, hash_key: int) -> str | None:
        """The open shard whose range holds ``hash_key``, or ``None`` if no open shard does."""
        i = bisect_left(self._ends, hash_key)
        if i < len(self._ids) and self._starts[i] <= hash_key:
            return self._ids[i]
        return None

    def contains(self, shard_id: str, hash_key: int) -> bool | None:
        """Whether ``shard_id``'s range holds ``hash_key``; ``None`` if the shard is unknown."""
        rng = self.ranges.get(shard_id)
        if rng is None:
            return None
        return rng[0] <= hash_key <= rng[1]

    def __repr__(self) -> str:
        return f"<ShardMap {len(self)} open shards>"


class ShardMapCache:
    """The producer's current :class:`ShardMap`, when to re-read it, and the last read's error."""

    __slots__ = ("client", "stream_name", "refresh_s", "current", "stale", "failures", "retry_at", "error")

    def __init__(self, client: Any, stream_name: str, refresh_s: float) -> None:
        self.client = client
        self.stream_name = stream_name
        self.refresh_s = refresh_s
        self.current: ShardMap | None = None
        self.stale = False
        self.failures = 0
        self.retry_at = 0.0
        #: The last error met while reading the map (None after a successful read).
        self.error: str | None = None

    def due(self, now: float) -> bool:
        """Should the map be read again at ``now``?"""
        smap = self.current
        if smap is None:
            return now >= self.retry_at
        return self.stale or (smap.fetched_at is not None and now - smap.fetched_at >= self.refresh_s)

    def read(self, now: float) -> "ShardMap | str":
        """ListShards now: the new map, or why it failed. Makes calls; changes nothing here."""
        try:
            new = ShardMap.fetch(self.client, self.stream_name, now)
        except Exception as exc:
            code, message = error_of(exc)
            return f"{code}: {message}"
        return new if len(new) else "ListShards returned no open shard"

    def apply(self, result: "ShardMap | str", now: float) -> bool:
        """Take what ``read`` gave; True if a map was replaced by one with other shards."""
        if isinstance(result, str):
            self.error = result
            self.failures += 1
            self.retry_at = now + min(_MAX_BACKOFF_S, 2.0 ** (self.failures - 1))
            return False
        old, self.current = self.current, result
        self.error = None
        self.failures = 0
        self.stale = False
        return old is not None and old.ranges != result.ranges
