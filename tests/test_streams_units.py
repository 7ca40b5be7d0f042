"""Unit tests of the streams physics' small parts, without a lab: read budget, iterator codec,
metrics aggregator, on-demand scaler, and the one read of a shard."""

from __future__ import annotations

import pytest

from labsim import quotas
from labsim.clock import VirtualClock
from labsim.keyspace import MAX_HASH_KEY
from labsim.streams.errors import InvalidArgumentError
from labsim.streams.errors import ExpiredIteratorError
from labsim.streams.iterators import IteratorCodec
from labsim.streams.metrics import MetricsAggregator
from labsim.streams.model import Stream
from labsim.streams.reads import ShardReadBudget, read_shard
from labsim.streams.scaling import OnDemandScaler

MiB = 1024 * 1024


def make_stream(clock, shards=1, mode="PROVISIONED"):
    return Stream("s", account_id="123456789012", region="us-east-1", now=clock.now, shard_count=shards, mode=mode, status="ACTIVE")


def fill(stream, n, now, size=10):
    shard = next(iter(stream.shards.values()))
    for i in range(n):
        shard.append(b"x" * size, f"k{i}", None, 0, size + 2, now)
    return shard


# --- read budget --------------------------------------------------------------------------------------
def test_read_budget_admits_five_calls_per_second():
    budget = ShardReadBudget(now=0.0)
    assert [budget.admit(0.1 * i) for i in range(5)] == [None] * 5
    assert budget.admit(0.5) == "calls" and budget.throttled == 1
    assert budget.admit(1.01) is None  # the first call left the window


def test_read_budget_allows_one_big_read_then_refuses_until_the_debt_is_repaid():
    budget = ShardReadBudget(now=0.0)
    assert budget.admit(0.0) is None
    budget.take(10 * MiB, 0.0, big=False)        # 2 MiB bucket, 8 MiB of debt
    assert budget.level(0.0) == pytest.approx(-8 * MiB)
    assert budget.admit(1.0) == "bytes"          # 6 MiB still owed
    assert budget.admit(4.01) is None            # repaid at 2 MiB/s


def test_a_call_that_hit_10_mib_blocks_the_shard_for_five_seconds():
    budget = ShardReadBudget(now=0.0, bytes_per_second=100 * MiB)
    budget.admit(0.0)
    budget.take(1, 0.0, big=True)
    assert budget.admit(4.9) == "a previous call returned 10 MiB"
    assert budget.admit(5.0) is None
    assert float(quotas.GET_RECORDS_BIG_READ_PENALTY_SECONDS) == 5.0


# --- iterator codec -------------------------------------------------------------------------------------
def test_iterators_round_trip_and_the_same_secret_gives_the_same_token():
    clock = VirtualClock(start=100.0)
    stream = make_stream(clock)
    shard = next(iter(stream.shards.values()))
    codec = IteratorCodec(secret=b"k" * 32)
    token = codec.encode(stream, shard, position=7, issued=100.0)
    state = codec.decode(token)
    assert (state.stream_name, state.shard_id, state.position, state.issued) == ("s", shard.shard_id, 7, 100.0)
    assert token == IteratorCodec(secret=b"k" * 32).encode(stream, shard, 7, 100.0)


@pytest.mark.parametrize("bad", ["", "not base64!", "QUJD", None, 5])
def test_a_token_that_is_not_ours_is_invalid_argument(bad):
    with pytest.raises(InvalidArgumentError, match="Invalid ShardIterator"):
        IteratorCodec(secret=b"k" * 32).decode(bad)


def test_a_token_signed_with_another_secret_is_refused():
    clock = VirtualClock(start=0.0)
    stream = make_stream(clock)
    token = IteratorCodec(secret=b"a" * 32).encode(stream, next(iter(stream.shards.values())), 0, 0.0)
    with pytest.raises(InvalidArgumentError):
        IteratorCodec(secret=b"b" * 32).decode(token)


def test_iterators_expire_after_five_minutes():
    clock = VirtualClock(start=0.0)
    stream = make_stream(clock)
    codec = IteratorCodec(secret=b"k" * 32)
    state = codec.decode(codec.encode(stream, next(iter(stream.shards.values())), 0, 0.0))
    codec.check_fresh(state, 300.0)
    with pytest.raises(ExpiredIteratorError, match="tolerated delay of 300000 milliseconds"):
        codec.check_fresh(state, 300.002)


# --- the one read of a shard ----------------------------------------------------------------------------
def test_read_shard_pages_and_reports_how_far_behind():
    clock = VirtualClock(start=0.0)
    stream = make_stream(clock)
    shard = fill(stream, 5, now=0.0)
    first = read_shard(stream, shard, shard.store.start, 2, now=3.0)
    assert len(first.records) == 2 and first.millis_behind_latest == 3000 and not first.at_end
    rest = read_shard(stream, shard, first.next_position, 10, now=3.0)
    assert len(rest.records) == 3 and rest.millis_behind_latest == 0


def test_read_shard_at_a_closed_shards_end_names_its_children():
    clock = VirtualClock(start=0.0)
    stream = make_stream(clock)
    parent = fill(stream, 1, now=0.0)
    stream.split_shard(parent, MAX_HASH_KEY // 2)
    batch = read_shard(stream, parent, parent.store.start, 10, now=1.0)
    assert batch.at_end and len(batch.records) == 1
    assert [c["ParentShards"] for c in batch.child_shards] == [[parent.shard_id], [parent.shard_id]]


def test_read_shard_trims_records_past_retention():
    clock = VirtualClock(start=0.0)
    stream = make_stream(clock)
    shard = fill(stream, 3, now=0.0)
    batch = read_shard(stream, shard, 0, 10, now=24 * 3600.0 + 1)
    assert batch.records == [] and batch.millis_behind_latest == 0


# --- metrics aggregator ---------------------------------------------------------------------------------
class FakeCloudWatch:
    def __init__(self):
        self.data = []

    def put_metric_data(self, namespace, metric_data):
        self.data.extend((namespace, d) for d in metric_data)


def test_metrics_aggregate_per_second_and_publish_when_the_second_is_over():
    clock = VirtualClock(start=0.0)
    cw = FakeCloudWatch()
    agg = MetricsAggregator(clock, lambda: cw)
    agg.add(0.2, "s", [("IncomingRecords", 3.0)])
    agg.add(0.7, "s", [("IncomingRecords", 5.0)])
    agg.add(1.5, "s", [("IncomingRecords", 1.0)], shard="shardId-000000000000")
    assert cw.data == []
    clock.advance(1.0)
    (ns, datum), = cw.data
    assert ns == "AWS/Kinesis" and datum["MetricName"] == "IncomingRecords"
    assert datum["StatisticValues"] == {"SampleCount": 2.0, "Sum": 8.0, "Minimum": 3.0, "Maximum": 5.0}
    assert datum["Dimensions"] == [{"Name": "StreamName", "Value": "s"}]
    assert agg.flush() == 1  # the pending second 1, with its ShardId dimension
    assert cw.data[-1][1]["Dimensions"][1] == {"Name": "ShardId", "Value": "shardId-000000000000"}


# --- on-demand scaler -----------------------------------------------------------------------------------
def test_a_shard_above_the_threshold_is_split_fifteen_minutes_after_its_window():
    clock = VirtualClock(start=0.0)
    stream = make_stream(clock, shards=4, mode="ON_DEMAND")
    scaler = OnDemandScaler(clock)
    hot = next(iter(stream.shards.values()))
    window = float(quotas.ON_DEMAND_MEASURE_SECONDS)
    scaler.observe(stream, hot, int(quotas.ON_DEMAND_SPLIT_THRESHOLD_BYTES_PER_SECOND * window) + 1, now=1.0)
    clock.advance(float(quotas.ON_DEMAND_SCALE_WINDOW_SECONDS) - 2)
    assert hot.is_open and scaler.splits == []
    clock.advance(2)
    assert not hot.is_open and [p for _, _, p in scaler.splits] == [hot.shard_id]
    assert stream.shard_count == 5


def test_a_shard_below_the_threshold_is_left_alone():
    clock = VirtualClock(start=0.0)
    stream = make_stream(clock, shards=4, mode="ON_DEMAND")
    scaler = OnDemandScaler(clock)
    calm = next(iter(stream.shards.values()))
    scaler.observe(stream, calm, int(quotas.ON_DEMAND_SPLIT_THRESHOLD_BYTES_PER_SECOND * 10), now=1.0)
    clock.advance(3600)
    assert calm.is_open and scaler.splits == []
