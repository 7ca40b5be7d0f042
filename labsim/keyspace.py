"""Which shard a record goes to: the service's hashing and hash ranges, as pure functions (layer 0).

Shared by the streams physics (routing writes), the KPL (predicting shards for aggregation) and
the graders, so the one rule is written once.

Kinesis hashes the partition key with MD5 (over its UTF-8 bytes), reads the 16-byte digest as a
128-bit big-endian unsigned integer, and stores the record in the open shard whose inclusive hash
range ``[StartingHashKey, EndingHashKey]`` contains that number. ``ExplicitHashKey`` (a decimal
string, 0 to 2**128 - 1) skips the MD5 step. (kinesis-facts 1.7: KDS-API PutRecord.)

>>> partition_key_hash("user-42")
157107139746365290205026809710278036035
>>> even_hash_ranges(2)
[(0, 170141183460469231731687303715884105727), (170141183460469231731687303715884105728, 340282366920938463463374607431768211455)]
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from typing import Any, Iterable, Mapping

#: Every hash key lies in 0 .. 2**128 - 1 (kinesis-facts 1.7).
HASH_KEY_SPACE = 2**128
MAX_HASH_KEY = HASH_KEY_SPACE - 1

#: The model's ``HashKey`` pattern (KDS-API ``HashKey``): a decimal without leading zeros, 1-39 digits.
HASH_KEY_PATTERN = re.compile(r"^(0|([1-9]\d{0,38}))$")

_md5 = hashlib.md5


def partition_key_hash(partition_key: str) -> int:
    """The 128-bit hash key the service derives from a partition key."""
    return int.from_bytes(_md5(partition_key.encode("utf-8")).digest(), "big")


def hash_key_for(partition_key: str, explicit_hash_key: str | None = None) -> int:
    """The hash key a record is routed by: ``ExplicitHashKey`` if given, else MD5 of the key."""
    if explicit_hash_key is not None:
        return int(explicit_hash_key)
    return partition_key_hash(partition_key)


def even_hash_ranges(count: int) -> list[tuple[int, int]]:
    """Split the hash key space into ``count`` contiguous inclusive ranges, as CreateStream does.

    Each range gets ``2**128 // count`` keys; the last one also takes the remainder.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive int, got {count!r}")
    step = HASH_KEY_SPACE // count
    ranges = [(i * step, (i + 1) * step - 1) for i in range(count - 1)]
    ranges.append(((count - 1) * step, MAX_HASH_KEY))
    return ranges


def shard_ranges(shards: Any) -> list[tuple[int, int, str, bool]]:
    """Normalise the many shapes a caller may hold into (start, end, shard_id, is_open)."""
    if isinstance(shards, Mapping):
        if "StreamDescription" in shards:
            shards = shards["StreamDescription"]["Shards"]
        elif "Shards" in shards:
            shards = shards["Shards"]
        else:
            shards = list(shards.values())
    out = []
    for shard in shards:
        if isinstance(shard, Mapping):  # the API's Shard shape (DescribeStream / ListShards)
            rng = shard["HashKeyRange"]
            ending = shard.get("SequenceNumberRange", {}).get("EndingSequenceNumber")
            out.append((int(rng["StartingHashKey"]), int(rng["EndingHashKey"]), shard["ShardId"], ending is None))
        else:  # a labsim model Shard
            out.append((shard.starting_hash, shard.ending_hash, shard.shard_id, shard.is_open))
    return out


def shard_for_key(shards: Any, partition_key: str, explicit_hash_key: str | None = None) -> str:
    """The ShardId an open shard would store ``partition_key`` in.

    ``shards`` may be a ``describe_stream`` or ``list_shards`` response, its ``Shards`` list, or
    labsim model shards. Closed shards (those with an ``EndingSequenceNumber``) are skipped,
    because only open shards take writes.

    >>> desc = {"Shards": [
    ...     {"ShardId": "shardId-000000000000", "HashKeyRange": {"StartingHashKey": "0",
    ...      "EndingHashKey": "170141183460469231731687303715884105727"}, "SequenceNumberRange": {}},
    ...     {"ShardId": "shardId-000000000001", "HashKeyRange": {"StartingHashKey": "170141183460469231731687303715884105728",
    ...      "EndingHashKey": "340282366920938463463374607431768211455"}, "SequenceNumberRange": {}}]}
    >>> shard_for_key(desc, "user-42")
    'shardId-000000000000'
    """
    key = hash_key_for(partition_key, explicit_hash_key)
    for start, end, shard_id, is_open in shard_ranges(shards):
        if is_open and start <= key <= end:
            return shard_id
    raise LookupError(f"no open shard covers hash key {key} (partition key {partition_key!r})")


class RangeIndex:
    """Find the open shard for a hash key in O(log n): bisect over sorted starting hash keys.

    Built from objects with ``starting_hash`` / ``ending_hash``; rebuilt when shards open or close.
    """

    __slots__ = ("starts", "items")

    def __init__(self, items: Iterable[Any]) -> None:
        ordered = sorted(items, key=lambda s: s.starting_hash)
        self.items = ordered
        self.starts = [s.starting_hash for s in ordered]

    def find(self, hash_key: int) -> Any:
        i = bisect_right(self.starts, hash_key) - 1
        if i >= 0:
            item = self.items[i]
            if hash_key <= item.ending_hash:
                return item
        return None
