"""labsim.viz.kpl without a browser: the runs' numbers agree with the stream, CloudWatch and the limits."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from labsim import Lab, quotas
from labsim.grading import read_stream
from labsim.kpl import deaggregate
from labsim.viz import kpl as vk
from labsim.viz.kpl import (
    hexdump,
    kpl_explorer,
    kpl_metric,
    percentile,
    plot_delivery,
    plot_kpl_metrics,
    plot_latency,
    plot_tradeoff,
    plot_usage,
    run_kpl,
    run_table,
    stream_usage,
    sweep_buffered_time,
)

RPS = quotas.SHARD_WRITE_RECORDS_PER_SECOND


@pytest.fixture
def lab():
    with Lab() as lab:
        yield lab


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_a_run_delivers_every_record_once_and_the_stream_agrees(lab):
    run = run_kpl(lab, rate=3000, seconds=1, shards=2, stream="agree")
    assert (run.offered, run.delivered, run.failed) == (3000, 3000, 0)
    assert run.exactly_once_by_result()
    stored = read_stream(lab.client("kinesis"), "agree")
    assert len(stored) == run.kinesis_records < 100  # aggregation: few Kinesis records
    users = Counter((u.data, u.partition_key) for u in deaggregate(stored))
    assert users == Counter(run.sent)
    assert sum(run.per_second("user")) == 3000
    assert sum(run.per_second("kinesis")) == run.kinesis_records
    assert run.user_per_kinesis_record == pytest.approx(3000 / run.kinesis_records)
    assert run.requests >= 1 and run.retries == 0
    assert run.throughput == pytest.approx(3000 / run.elapsed)
    assert all(len(data) == 100 for data, _ in run.sent)
    assert run.metrics["UserRecordsPut"]["Sum"] == 3000


def test_the_same_run_gives_the_same_numbers(lab):
    a = run_kpl(lab, rate=2000, seconds=1, delete=True)
    b = run_kpl(lab, rate=2000, seconds=1, delete=True)
    assert a.row() == b.row()
    assert a.latencies_ms == b.latencies_ms


def test_without_aggregation_the_record_limit_binds(lab):
    run = run_kpl(lab, rate=2000, seconds=2, shards=1, aggregation_enabled=False, delete=True)
    assert run.delivered == run.offered == 4000
    assert run.kinesis_records == 4000  # one Kinesis record per user record
    assert run.retries > 0 and sum(run.per_second("retries")) > 0
    # a shard takes 1,000 records per second, plus one second's burst from a full budget
    per_second = run.per_second("user")
    assert sum(per_second) <= (len(per_second) + 1) * RPS
    assert all(n <= RPS * 1.05 for n in per_second[2:])
    assert run.throughput < 1500
    assert run.p95 > 500


def test_buffered_time_trades_latency_for_fuller_records(lab):
    short, long = sweep_buffered_time(lab, [50, 1000], rate=2000, seconds=2)
    assert short.p95 < long.p95
    assert short.user_per_kinesis_record < long.user_per_kinesis_record
    assert short.requests > long.requests
    assert long.p95 <= 1000 + 100
    axes = plot_tradeoff([short, long])
    assert len(axes) == 2


def test_ttl_expiry_is_reported_not_silent(lab):
    run = run_kpl(lab, rate=2000, seconds=2, record_size=1000, record_ttl_ms=1000, delete=True)
    assert run.failed > 0
    assert run.error_codes == Counter({"Expired": run.failed})
    assert run.delivered + run.failed == run.offered
    assert "Expired" in run.summary()


def test_stream_usage_matches_the_run(lab):
    cloudwatch = lab.client("cloudwatch")
    agg = run_kpl(lab, rate=3000, seconds=2, shards=1, stream="use-agg")
    plain = run_kpl(lab, rate=3000, seconds=2, shards=1, stream="use-plain", aggregation_enabled=False)
    use = stream_usage(cloudwatch, agg)
    assert sum(use["IncomingRecords"]) == agg.kinesis_records
    assert max(use["bytes_share"]) < 1 and max(use["records_share"]) < 0.1
    # bytes counted = data + partition key of each stored Kinesis record
    stored = read_stream(lab.client("kinesis"), "use-agg")
    assert sum(use["IncomingBytes"]) == sum(len(r["Data"]) + len(r["PartitionKey"]) for r in stored)
    use_plain = stream_usage(cloudwatch, plain)
    assert sum(use_plain["IncomingRecords"]) == 6000
    assert max(use_plain["records_share"][1:]) <= 1.05
    assert max(use_plain["bytes_share"][1:]) < 0.15
    axes = plot_usage(cloudwatch, [agg, plain], labels=["on", "off"])
    assert len(axes[0].get_lines()) >= 2
    ax = plot_latency([agg, plain])
    assert len(ax.get_legend().get_texts()) == 2
    plot_delivery([agg, plain])


def test_kpl_metrics_from_cloudwatch(lab):
    cloudwatch = lab.client("cloudwatch")
    run = run_kpl(lab, rate=1500, seconds=2, record_size=1000, stream="metered",
                  metrics_granularity="stream", metrics_upload_delay_ms=1000)
    put = kpl_metric(cloudwatch, "metered", "UserRecordsPut", run.start_datetime, run.end_datetime)
    assert sum(v for _, v in put) == run.delivered
    kinesis = kpl_metric(cloudwatch, "metered", "KinesisRecordsPut", run.start_datetime, run.end_datetime)
    assert sum(v for _, v in kinesis) == run.kinesis_records
    assert len(put) >= 2  # one datapoint per upload second
    axes = plot_kpl_metrics(cloudwatch, "metered", run.start_datetime, run.end_datetime)
    assert axes[0].get_title().startswith("UserRecordsPut")


def test_writing_to_an_existing_stream_uses_its_shards(lab):
    kinesis = lab.client("kinesis")
    kinesis.create_stream(StreamName="given", ShardCount=3)
    kinesis.get_waiter("stream_exists").wait(StreamName="given")
    run = run_kpl(lab, rate=600, seconds=1, stream="given", shards=1)
    assert run.shards == 3
    assert {r.shard_id for r in run.results} == {f"shardId-00000000000{i}" for i in range(3)}


def test_bad_arguments_are_refused(lab):
    with pytest.raises(ValueError, match="record_size"):
        run_kpl(lab, record_size=5)
    with pytest.raises(ValueError, match="rate"):
        run_kpl(lab, rate=0)
    with pytest.raises(TypeError, match="record_max_buffered_time_ms"):
        run_kpl(lab, RecordMaxBufferedTime=10)


def test_percentile_and_table_and_hexdump():
    assert percentile([3, 1, 2], 0) == 1 and percentile([3, 1, 2], 100) == 3
    assert percentile([5], 95) == 5
    assert percentile([], 50) != percentile([], 50)  # NaN
    with pytest.raises(ValueError):
        percentile([1], 101)
    assert hexdump(b"\xf3\x89\x9a\xc2", 2) == "f3 89  |..| ..."
    assert run_table([]).startswith("settings")


def test_run_table_rows(lab):
    runs = sweep_buffered_time(lab, [100, 200], rate=1000, seconds=1)
    text = run_table(runs, ["settings", "Kinesis records", "p95 ms"], labels=["a", "b"])
    lines = text.splitlines()
    assert len(lines) == 3 and lines[1].startswith("a") and lines[2].startswith("b")
    assert "Kinesis records" in lines[0]


def test_explorer_reruns_on_every_change(lab):
    explorer = kpl_explorer(lab, rate=2000)
    first = explorer.run
    assert first.delivered == first.offered and first.settings["aggregation_enabled"] is True
    assert "p95" in explorer.summary.value
    off = explorer.set(aggregation_enabled=False)
    assert off.kinesis_records == off.delivered
    assert off.offered <= vk.EXPLORER_MAX_RECORDS_UNAGGREGATED
    slow = explorer.set(aggregation_enabled=True, record_max_buffered_time_ms=1000)
    assert slow.p95 > first.p95
    explorer.buffer_slider.value = 50  # a slider move re-runs too
    assert explorer.run.settings["record_max_buffered_time_ms"] == 50 and explorer.runs == 4
    with pytest.raises(ValueError, match="unknown"):
        explorer.set(shards=2)
    with pytest.raises(ValueError):
        kpl_explorer(lab, record_size=123)
    # the explorer deletes its streams (their metrics stay)
    kinesis = lab.client("kinesis")
    statuses = {kinesis.describe_stream_summary(StreamName=n)["StreamDescriptionSummary"]["StreamStatus"]
                for n in kinesis.list_streams()["StreamNames"]}
    assert statuses <= {"DELETING"}


def test_layer_rule_no_moto_no_physics():
    imported = set()
    viz = Path(vk.__file__).parent
    for node in (n for f in sorted(viz.rglob("*.py")) for n in ast.walk(ast.parse(f.read_text()))):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert not any(m.startswith("moto") for m in imported), imported
    # the read/write physics only through its public latency model
    assert {m for m in imported if m.startswith("labsim.streams")} <= {"labsim.streams.latency"}


def test_docstring_examples_run():
    import doctest

    from labsim.viz.runs import kpl as runs_kpl
    from labsim.viz.widgets import kpl as widgets_kpl

    for module in (runs_kpl, widgets_kpl):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0 and result.attempted > 0, module.__name__
