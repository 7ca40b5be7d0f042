"""labsim.viz.producers and labsim.viz.shards, without a browser: the numbers obey the service's limits."""

from __future__ import annotations

import datetime

import matplotlib

matplotlib.use("Agg")

import pytest

from labsim import Lab, quotas
from labsim.keyspace import even_hash_ranges, shard_for_key
from labsim.viz import producers, shards
from labsim.viz.producers import (
    RequestCounter,
    capacity_planner,
    plot_run,
    run_keyed_workload,
    shard_metric,
    shards_needed,
    simulate_producer,
)

MIB = quotas.SHARD_WRITE_BYTES_PER_SECOND
RPS = quotas.SHARD_WRITE_RECORDS_PER_SECOND


@pytest.fixture
def lab():
    with Lab() as lab:
        yield lab


def _windows_obey_limits(run, window: int) -> None:
    """Over any `window` consecutive seconds a shard accepts at most (window + 1) seconds' worth:
    the per-second limit plus one second's burst from a full bucket (labsim.streams.budgets)."""
    for shard in run.shard_ids:
        recs = [s[shard] for s in run.accepted_by_shard]
        byts = [s[shard] for s in run.bytes_by_shard]
        for i in range(len(recs) - window + 1):
            assert sum(recs[i:i + window]) <= (window + 1) * RPS, (shard, i)
            assert sum(byts[i:i + window]) <= (window + 1) * MIB, (shard, i)


def test_every_offered_record_is_counted_once(lab):
    run = simulate_producer(lab, record_size=1024, rate=1500, shards=1, seconds=5)
    assert run.offered == [1500] * 5
    assert [a + t for a, t in zip(run.accepted, run.throttled)] == run.offered
    assert run.total_offered == 7500
    assert run.requests == 5 * 10  # 150 records per tick: one PutRecords each


def test_record_limit_binds_for_small_records(lab):
    run = simulate_producer(lab, record_size=100, rate=3000, shards=1, seconds=10)
    _windows_obey_limits(run, 1)
    _windows_obey_limits(run, 5)
    # once the initial one-second burst is spent, a shard takes 1,000 records per second
    assert all(abs(a - RPS) <= 10 for a in run.accepted[2:])
    assert set(run.error_codes) == {"ProvisionedThroughputExceededException"}
    assert run.total_throttled == run.total_offered - run.total_accepted > 0


def test_byte_limit_binds_for_large_records(lab):
    run = simulate_producer(lab, record_size=10 * 1024, rate=300, shards=1, seconds=8)  # 2.9 MiB/s offered
    _windows_obey_limits(run, 1)
    steady = [s[run.shard_ids[0]] for s in run.bytes_by_shard][1:]
    # 1 MiB/s, give or take the one 10 KiB record that straddles a second boundary
    assert all(MIB - 10 * 1024 <= b <= MIB + 10 * 1024 for b in steady)
    assert sum(steady) <= len(steady) * MIB + 10 * 1024
    assert max(run.accepted[2:]) < RPS  # the records/s limit is nowhere near


def test_enough_shards_and_an_even_spread_means_no_throttling(lab):
    need = shards_needed(1024, 3000)
    assert need == 3
    run = simulate_producer(lab, record_size=1024, rate=3000, shards=need + 1, seconds=6)
    assert run.total_throttled == 0
    totals = run.shard_totals()
    assert max(totals.values()) < 1.3 * min(totals.values())


def test_a_hot_key_throttles_one_shard_however_many_shards(lab):
    run = simulate_producer(lab, record_size=200, rate=3000, skew=0.6, shards=8, seconds=6)
    _windows_obey_limits(run, 1)
    refused = run.shard_totals("throttled")
    hot = max(refused, key=refused.get)
    assert refused[hot] == run.total_throttled > 0  # only the hot key's shard refuses anything
    # ~1,950 records/s offered to the hot shard, which takes 1,000/s after its first-second burst
    assert 0.2 < run.throttled_share < 0.3


def test_runs_are_deterministic(lab):
    a = simulate_producer(lab, record_size=500, rate=2000, skew=0.5, shards=2, seconds=4, seed=3)
    b = simulate_producer(lab, record_size=500, rate=2000, skew=0.5, shards=2, seconds=4, seed=3)
    assert (a.accepted, a.throttled, a.accepted_by_shard) == (b.accepted, b.throttled, b.accepted_by_shard)


def test_bad_arguments_are_refused(lab):
    with pytest.raises(ValueError):
        simulate_producer(lab, shards=0)
    with pytest.raises(ValueError):
        simulate_producer(lab, record_size=2 * MIB)
    with pytest.raises(ValueError):
        simulate_producer(lab, skew=1.5)


def test_shards_needed_follows_the_sizing_formula():
    assert shards_needed(1024, 1000) == 1
    assert shards_needed(1024, 1001) == 2          # records/s decide
    assert shards_needed(100 * 1024, 25) == 3      # 2.44 MiB/s: bytes decide
    assert shards_needed(1024, 1000, consumers=3) == 2  # 3 readers x 1,000 KiB/s > 2 MiB/s read
    with pytest.raises(ValueError):
        shards_needed(0, 10)


def test_planner_seconds_shrink_for_heavy_loads():
    assert producers.planner_seconds(1024, 1000, 30) == 30
    assert producers.planner_seconds(1024, 2000, 30) == 15
    assert producers.planner_seconds(1024, 5000, 30) == 6
    assert producers.planner_seconds(50 * 1024, 5000, 30) == producers.PLANNER_MIN_SECONDS


def test_capacity_planner_reruns_the_simulation_when_a_slider_moves(lab):
    planner = capacity_planner(lab, seconds=6, record_size=1024, rate=2000, shards=1)
    first = planner.run
    assert first.shards == 1 and first.throttled_share > 0.4
    assert "throttled" in planner.summary.value
    planner.shard_slider.value = 3  # what a learner's drag does
    assert planner.run is not first and planner.run.shards == 3 and planner.run.total_throttled == 0
    run = planner.set(skew=0.9)
    assert run.skew == 0.9 and run.total_throttled > 0 and "Hot key" in planner.summary.value
    assert planner.runs == 3
    with pytest.raises(ValueError):
        planner.set(colour="red")


def test_request_counter_counts_http_requests(lab):
    kinesis = lab.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName="s")
    counter = RequestCounter(kinesis)
    for i in range(20):
        kinesis.put_record(StreamName="s", Data=b"x", PartitionKey=str(i))
    kinesis.put_records(StreamName="s", Records=[{"Data": b"x", "PartitionKey": str(i)} for i in range(20)])
    assert counter.counts == {"PutRecord": 20, "PutRecords": 1}
    counter.close()
    kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")
    assert counter.total == 21


def test_shard_metrics_agree_with_the_run(lab):
    start = lab.clock.datetime()
    run = simulate_producer(lab, record_size=100, rate=2500, skew=0.8, shards=2, seconds=5,
                            delete=False, shard_metrics=True)
    cloudwatch = lab.client("cloudwatch")
    end = lab.clock.datetime() + datetime.timedelta(seconds=60)
    incoming = shard_metric(cloudwatch, run.stream, "IncomingRecords", run.shard_ids, start, end)
    refused = shard_metric(cloudwatch, run.stream, "WriteProvisionedThroughputExceeded", run.shard_ids, start, end)
    assert {s: sum(v for _, v in p) for s, p in incoming.items()} == run.shard_totals("accepted")
    assert {s: sum(v for _, v in p) for s, p in refused.items()} == run.shard_totals("throttled")
    per_second = shard_metric(cloudwatch, run.stream, "IncomingRecords", run.shard_ids, start, end, period=1)
    for shard, points in per_second.items():  # the run's seconds are CloudWatch's seconds
        assert [v for _, v in points] == [s[shard] for s in run.accepted_by_shard if s[shard]]
    producers.plot_shard_metric(refused, "WriteProvisionedThroughputExceeded")


def test_keyed_workload_reports_load_per_shard(lab):
    kinesis = lab.client("kinesis")
    kinesis.create_stream(StreamName="orders", ShardCount=4)
    kinesis.get_waiter("stream_exists").wait(StreamName="orders")
    events = [{"customer": "c-1" if i % 5 else f"c-{i}", "n": i} for i in range(6000)]
    bad = run_keyed_workload(lab, kinesis, "orders", events, lambda e: e["customer"], rate=2000)
    assert bad.total == 6000 and bad.throttled_share > 0.2 and bad.imbalance > 2
    good = run_keyed_workload(lab, kinesis, "orders", events, lambda e: f"{e['customer']}#{e['n'] % 40}", rate=2000)
    assert good.throttled_share == 0 and good.imbalance < 1.5


def test_plot_run_draws_two_panels(lab):
    run = simulate_producer(lab, record_size=1024, rate=1500, shards=2, seconds=3)
    ax, bx = plot_run(run)
    assert ax.get_xlabel() == "simulated second" and bx.get_xlabel() == "shard"


def test_hash_space_helpers():
    listing = {"Shards": [
        {"ShardId": f"shardId-{i:012d}", "HashKeyRange": {"StartingHashKey": str(a), "EndingHashKey": str(b)},
         "SequenceNumberRange": {"StartingSequenceNumber": "1"}}
        for i, (a, b) in enumerate(even_hash_ranges(4))
    ]}
    info = shards.describe_key(listing, "user-42")
    assert info["ShardId"] == shard_for_key(listing, "user-42") == "shardId-000000000001"
    assert 0.25 <= info["fraction"] < 0.5 and len(info["md5"]) == 32
    ax = shards.plot_hash_space(listing, ["a", "b"], highlight="a")
    assert ax.get_xlim() == (0, 1)
    widget = shards.key_explorer(listing, ["a"], value="user-42")
    assert widget.result["ShardId"] == "shardId-000000000001"
    widget.text.value = "customer-7"
    assert widget.result["PartitionKey"] == "customer-7"
    with pytest.raises(ValueError):
        shards.describe_key(listing, "")
