"""labsim.streams.model and routing: the data model the write and read sides share (no boto3)."""

from __future__ import annotations

import threading

import pytest

from labsim.streams.budgets import ShardWriteBudget
from labsim.tokenbucket import TokenBucket
from labsim.streams.model import (
    RecordStore,
    Stream,
    normalize_sequence_number,
    parse_sequence_number,
    sequence_number,
)
from labsim.keyspace import MAX_HASH_KEY, even_hash_ranges, partition_key_hash, shard_for_key

T0 = 1767225600.0


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t


def stream(shards=2, clock=None):
    return Stream("s", account_id="123456789012", region="us-east-1", now=clock or Clock(), shard_count=shards, status="ACTIVE")


def put(shard, n, clock, key="k", step=0.0):
    out = []
    for i in range(n):
        out.append(shard.append(b"%d" % i, key, None, 0, 1 + len(key), clock.t))
        clock.t += step
    return out


def test_even_hash_ranges_tile_the_key_space():
    for n in (1, 2, 3, 7, 64):
        ranges = even_hash_ranges(n)
        assert ranges[0][0] == 0 and ranges[-1][1] == MAX_HASH_KEY
        assert all(a[1] + 1 == b[0] for a, b in zip(ranges, ranges[1:]))
    with pytest.raises(ValueError):
        even_hash_ranges(0)


def test_routing_finds_the_open_shard_covering_the_hash():
    s = stream(4)
    for key in ("a", "b", "user-1", "ünï"):
        shard = s.route(key)
        assert shard.covers(partition_key_hash(key))
        assert shard_for_key(s.open_shards(), key) == shard.shard_id
    assert s.shard_for_hash(0).shard_id == "shardId-000000000000"
    assert s.shard_for_hash(MAX_HASH_KEY).shard_id == "shardId-000000000003"


def test_sequence_numbers_have_56_digits_and_order_like_numbers():
    seq = sequence_number(1767225600123, 7, 3, 42)
    assert len(seq) == 56 and seq.startswith("49")
    assert parse_sequence_number(seq) == {"arrival_ms": 1767225600123, "stream_tag": 7, "shard_index": 3, "counter": 42}
    assert normalize_sequence_number("12") == "0" * 54 + "12"
    assert normalize_sequence_number("9" * 80) > "9" * 56
    with pytest.raises(ValueError):
        normalize_sequence_number("12a")


def test_store_appends_in_order_and_looks_up_by_sequence_and_time():
    clock = Clock()
    s = stream(1, clock)
    shard = s.open_shards()[0]
    recs = put(shard, 10, clock, step=0.1)
    store = shard.store
    assert (store.start, store.end, len(store)) == (0, 10, 10)
    assert [r.sequence_number for r in store] == sorted(r.sequence_number for r in recs)
    assert shard.starting_sequence_number < recs[0].sequence_number
    assert store.position_of_sequence(recs[3].sequence_number) == 3
    assert store.position_of_sequence(recs[3].sequence_number, after=True) == 4
    assert store.position_of_sequence(int(recs[3].sequence_number)) == 3
    assert store.contains_sequence(recs[9].sequence_number) and not store.contains_sequence("1")
    assert store.position_at_time(T0 + 0.35) == 4
    got, nxt = store.read(2, 3)
    assert got == recs[2:5] and nxt == 5
    got, nxt = store.read(0, 100, max_bytes=5)
    assert len(got) == 2 and nxt == 2  # 2 bytes each: a third would exceed 5
    assert store.read(10, 5) == ([], 10)


def test_trim_keeps_absolute_positions_and_compacts():
    clock = Clock()
    shard = stream(1, clock).open_shards()[0]
    recs = put(shard, 10_000, clock, step=0.001)
    store = shard.store
    dropped = store.trim_before(T0 + 5.9995)  # between records 5999 and 6000
    assert dropped == 6000 and store.start == 6000 and store.end == 10_000
    assert store.segment().offset == 6000  # compacted: the front of the lists was released
    assert store.get(6000) is recs[6000]
    with pytest.raises(IndexError):
        store.get(5999)
    assert store.read(0, 2)[0] == recs[6000:6002]  # reads clamp to the trim horizon
    assert store.position_of_sequence(recs[10].sequence_number) == 6000
    assert store.trim_before(T0) == 0


def test_a_wall_clock_stepping_back_does_not_reorder_a_shard():
    clock = Clock()
    shard = stream(1, clock).open_shards()[0]
    a = put(shard, 1, clock)[0]
    clock.t -= 5
    b = put(shard, 1, clock)[0]
    assert b.sequence_number > a.sequence_number and b.arrival >= a.arrival


def test_split_and_merge_close_parents_and_keep_their_data():
    clock = Clock()
    s = stream(2, clock)
    s0, s1 = s.open_shards()
    put(s0, 3, clock)
    low, high = s.split_shard(s0, s0.starting_hash + 100)
    assert not s0.is_open and s0.ending_sequence_number > s0.store.last().sequence_number
    assert len(s0.store) == 3 and len(low.store) == 0
    assert (low.parent_shard_id, high.parent_shard_id) == (s0.shard_id, s0.shard_id)
    assert s.shard_count == 3 and s.shard_for_hash(s0.starting_hash + 100) is high
    merged = s.merge_shards(high, s1)
    assert merged.adjacent_parent_shard_id == s1.shard_id and merged.ending_hash == MAX_HASH_KEY
    j = merged.to_json()
    assert j["ParentShardId"] == high.shard_id and "EndingSequenceNumber" not in j["SequenceNumberRange"]
    with pytest.raises(ValueError):
        s.merge_shards(low, s1)  # s1 is closed now


def test_concurrent_appends_lose_nothing():
    clock = Clock()
    shard = stream(1, clock).open_shards()[0]

    def writer(t):
        for i in range(2000):
            shard.append(b"%d-%d" % (t, i), "k", None, 0, 5, clock.t)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    seqs = [r.sequence_number for r in shard.store]
    assert len(seqs) == len(set(seqs)) == 16_000 and seqs == sorted(seqs)


def test_token_buckets_refill_continuously_up_to_one_second():
    b = TokenBucket(capacity=1000, rate=1000, now=T0)
    assert all(b.try_take(1, T0) for _ in range(1000)) and not b.try_take(1, T0)
    assert b.level(T0 + 0.5) == pytest.approx(500)
    assert b.level(T0 + 100) == 1000
    budget = ShardWriteBudget(T0)
    assert budget.admit(1024 * 1024, T0) and not budget.admit(1, T0)
    assert budget.admit(10, T0 + 0.001)  # 1 ms refills ~1 KiB
    big = ShardWriteBudget(T0)
    assert big.admit(3 * 1024 * 1024, T0)  # a large record goes in on a full bucket, as debt
    assert not big.admit(1, T0 + 1.9) and big.admit(1, T0 + 2.01)
    with pytest.raises(ValueError):
        TokenBucket(capacity=0, rate=1, now=T0)


def test_records_store_is_importable_on_its_own():
    store = RecordStore()
    assert len(store) == 0 and store.last() is None and store.read(0, 10) == ([], 0)
