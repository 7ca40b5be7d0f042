"""The producer's cached picture of which open shard owns which hash keys.

The KPL aggregates only user records that will land in the same shard, so it must predict the
shard of every record: it hashes the key (MD5, or the explicit hash key) and looks the number up
in the stream's hash ranges, read with ``ListShards`` (kinesis-facts 1.7, 4.1). The picture goes
stale when the stream is resharded; the producer notices because a record comes back from a
shard it did not predict, and then refreshes (it also refreshes every ``shard_map_refresh_s``
while busy).

Only open shards (no ``EndingSequenceNumber``) are kept: closed parents still appear in
ListShards until they expire, but take no writes.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any


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
        for shard in shards:
            rng = shard["HashKeyRange"]
            self.ranges[shard["ShardId"]] = (int(rng["StartingHashKey"]), int(rng["EndingHashKey"]))
            if shard.get("SequenceNumberRange", {}).get("EndingSequenceNumber") is not None:
                continue  # closed: no longer takes writes, but its range still tells where data went
            entries.append((int(rng["EndingHashKey"]), int(rng["StartingHashKey"]), shard["ShardId"]))
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
