"""Where partition keys land: the 128-bit hash-key space and the open shards' slices of it.

Kinesis routes a record by MD5(partition key), read as a 128-bit unsigned integer, to the open
shard whose ``HashKeyRange`` contains it (``labsim.keyspace``). Positions here are given as
a fraction of the space (0 = hash key 0, 1 = 2**128 - 1) so pictures do not need 39-digit axes.

>>> round(hash_fraction("user-42"), 4)
0.4617
"""

from __future__ import annotations

from typing import Any

from labsim.keyspace import HASH_KEY_SPACE, partition_key_hash, shard_for_key, shard_ranges

__all__ = ["HASH_KEY_SPACE", "hash_fraction", "describe_key", "open_ranges", "shard_label"]


def hash_fraction(partition_key: str) -> float:
    """Where ``partition_key`` lands in the hash space, as a fraction between 0 and 1."""
    return partition_key_hash(partition_key) / HASH_KEY_SPACE


def describe_key(shards: Any, partition_key: str) -> dict[str, Any]:
    """Everything about one key's routing: MD5 digest, 128-bit hash key, fraction and shard."""
    if not isinstance(partition_key, str) or not partition_key:
        raise ValueError("a partition key is a non-empty string (1 to 256 characters)")
    if len(partition_key) > 256:
        raise ValueError(f"a partition key has at most 256 characters; this one has {len(partition_key)}")
    hash_key = partition_key_hash(partition_key)
    return {
        "PartitionKey": partition_key,
        "md5": f"{hash_key:032x}",
        "HashKey": hash_key,
        "fraction": hash_key / HASH_KEY_SPACE,
        "ShardId": shard_for_key(shards, partition_key),
    }


def open_ranges(shards: Any) -> list[tuple[int, int, str]]:
    """(start, end, shard id) of the open shards, by start: from a ``list_shards`` /
    ``describe_stream`` response or its ``Shards`` list."""
    entries = [(start, end, shard_id) for start, end, shard_id, is_open in shard_ranges(shards) if is_open]
    if not entries:
        raise ValueError("no open shards to draw: pass a list_shards/describe_stream response")
    return sorted(entries)


def shard_label(shard_id: str) -> str:
    """``shardId-000000000003`` -> ``shard 3`` (the full id is in the text output).

    >>> shard_label("shardId-000000000003")
    'shard 3'
    """
    tail = shard_id.rsplit("-", 1)[-1]
    return f"shard {int(tail)}" if tail.isdigit() else shard_id
