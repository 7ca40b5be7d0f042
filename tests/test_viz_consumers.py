"""labsim.viz.consumers without a browser: iterator starts, polling readers, polling vs EFO, lineage."""

from __future__ import annotations

import datetime as dt

import matplotlib

matplotlib.use("Agg")

import pytest

from labsim import Lab, quotas
from labsim.viz import consumers as vc


@pytest.fixture
def lab():
    with Lab() as lab:
        yield lab


def _stream(lab, name="s", shards=1):
    k = lab.client("kinesis")
    k.create_stream(StreamName=name, ShardCount=shards)
    k.get_waiter("stream_exists").wait(StreamName=name)
    return k


def test_iterator_starts_match_the_five_definitions(lab):
    k = _stream(lab)
    seqs = []
    for i in range(6):
        seqs.append(k.put_record(StreamName="s", PartitionKey="k", Data=b"%d" % i)["SequenceNumber"])
        lab.clock.advance(2)
    first = k.get_records(ShardIterator=k.get_shard_iterator(
        StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")["ShardIterator"])["Records"]
    mark = first[0]["ApproximateArrivalTimestamp"] + dt.timedelta(seconds=5)
    lab.clock.advance(1)
    starts = vc.iterator_starts(k, "s", "shardId-000000000000", sequence_number=seqs[3], timestamp=mark)
    assert starts == {"TRIM_HORIZON": seqs[0], "AT_TIMESTAMP": seqs[3], "AT_SEQUENCE_NUMBER": seqs[3],
                      "AFTER_SEQUENCE_NUMBER": seqs[4], "LATEST": None}
    ax = vc.plot_iterator_starts(first, starts, timestamp=mark)
    labels = [t.get_text() for t in ax.texts]
    for kind in vc.ITERATOR_TYPES:
        assert any(label.startswith(kind) for label in labels), kind


def test_plot_iterator_starts_needs_records():
    with pytest.raises(ValueError):
        vc.plot_iterator_starts([], {})


def test_one_polling_reader_keeps_up_and_five_share_the_shard(lab):
    one = vc.simulate_polling_readers(lab, 1, seconds=5, write_kib_per_s=800)
    five = vc.simulate_polling_readers(lab, 5, seconds=5, write_kib_per_s=800)
    assert one.readers[0].throttled == 0
    assert one.per_reader_mib_per_s()[0] == pytest.approx(one.write_mib_per_s, rel=0.1)
    assert all(r.throttled > r.calls / 2 for r in five.readers)  # 25 calls/s asked of 5
    # together the five cannot read more than the shard serves (2 MiB/s plus one full bucket)
    total = sum(r.bytes for r in five.readers)
    assert total <= quotas.SHARD_READ_BYTES_PER_SECOND * (five.seconds + 1) + 11 * 1024 * 1024 // 10
    mean = lambda run: sum(r.mean_latency_ms for r in run.readers) / len(run.readers)
    assert mean(five) > 2 * mean(one)
    assert len(five.table()) == 5
    axes = vc.plot_polling_runs([one, five])
    assert len(axes) == 3


def test_simulate_polling_readers_rejects_bad_input(lab):
    with pytest.raises(ValueError):
        vc.simulate_polling_readers(lab, 0)
    with pytest.raises(ValueError):
        vc.simulate_polling_readers(lab, 1, seconds=0)


@pytest.mark.parametrize(
    "consumers, rate, shards, polling_each, keeps_up",
    [(1, 1.0, 1, 1.0, True), (2, 1.0, 1, 1.0, True), (3, 1.0, 1, 2 / 3, False), (5, 1.0, 2, 0.8, False)],
)
def test_consumer_comparison(consumers, rate, shards, polling_each, keeps_up):
    row = vc.consumer_comparison(consumers, rate, shards)
    assert row["polling"]["per_consumer_mib_per_s"] == pytest.approx(polling_each, abs=1e-6)
    assert row["polling"]["keeps_up"] is keeps_up
    assert row["polling"]["latency_ms"] == pytest.approx(200 * consumers)
    assert row["efo"] == {"per_consumer_mib_per_s": rate, "latency_ms": 70.0, "calls_per_s_each": 0.0, "keeps_up": True}


def test_consumer_comparison_rejects_bad_input():
    for args in [(0, 1.0, 1), (1, -1.0, 1), (1, 1.0, 0), (True, 1.0, 1)]:
        with pytest.raises(ValueError):
            vc.consumer_comparison(*args)


def test_consumer_mode_explorer_builds_without_a_browser():
    box = vc.consumer_mode_explorer(consumers=4)
    sliders = box.children[0].children
    assert [s.value for s in sliders] == [4, 1.0, 1]
    sliders[0].value = 6  # redraws without error


def test_cost_dimensions_scale_with_consumers_shards_and_hours():
    one = vc.cost_dimensions(1, 2, 1.0, hours=10, rates={"efo_consumer_shard_hour": 1.0, "efo_gb_retrieved": 0.0})
    assert one["efo"]["consumer_shard_hours"] == 20
    assert one["efo"]["extra_cost"] == 20
    three = vc.cost_dimensions(3, 2, 1.0, hours=10)
    assert three["efo"]["gb_retrieved"] == pytest.approx(3 * one["efo"]["gb_retrieved"])
    assert three["polling"]["extra_cost"] == 0
    with pytest.raises(ValueError):
        vc.cost_dimensions(1, 0, 1.0)


def test_lineage_after_split_and_merge(lab):
    k = _stream(lab, shards=2)
    k.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**126))
    lab.clock.advance(quotas.STREAM_UPDATING_SECONDS + 1)
    k.merge_shards(StreamName="s", ShardToMerge="shardId-000000000003", AdjacentShardToMerge="shardId-000000000001")
    tree = vc.lineage(k.list_shards(StreamName="s"))
    assert tree["shardId-000000000000"]["children"] == ["shardId-000000000002", "shardId-000000000003"]
    assert tree["shardId-000000000004"]["parents"] == ["shardId-000000000003", "shardId-000000000001"]
    assert tree["shardId-000000000004"]["generation"] == 2 and tree["shardId-000000000004"]["open"]
    assert not tree["shardId-000000000000"]["open"]
    ax = vc.plot_lineage(k.list_shards(StreamName="s"), records={"shardId-000000000000": 3})
    assert len(ax.patches) >= 5
