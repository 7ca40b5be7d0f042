"""KPL metrics: names, levels, granularity, upload to CloudWatch on the scheduler and on close."""

from __future__ import annotations

import datetime as dt

import pytest

from labsim.kpl import KinesisProducer
from labsim.kpl.metrics import METRICS, MetricsRecorder
from test_kpl_helpers import lab_stream

SUMMARY = {name for name, (level, _) in METRICS.items() if level == "summary"}


def _listed(cw, namespace="KinesisProducerLibrary"):
    metrics = cw.list_metrics(Namespace=namespace)["Metrics"]
    return {(m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"]))) for m in metrics}


def _produce(kinesis, n=200, **settings):
    with KinesisProducer("clicks", client=kinesis, **settings) as producer:
        for i in range(n):
            producer.put_record(b"x" * 100, partition_key=f"k{i}")
    return producer


def test_all_kpl_metric_names_with_shard_granularity():
    with lab_stream(shards=2) as (lab, kinesis):
        producer = _produce(kinesis)
        listed = _listed(lab.client("cloudwatch"))
        names = {name for name, _ in listed}
        expected = set(METRICS) - {"ErrorsByCode", "UserRecordExpired"}  # nothing failed here
        assert expected <= names
        assert ("KinesisRecordsPut", ()) in listed
        assert ("KinesisRecordsPut", (("StreamName", "clicks"),)) in listed
        assert ("KinesisRecordsPut", (("ShardId", "shardId-000000000000"), ("StreamName", "clicks"))) in listed
        m = producer.metrics()
        assert m["UserRecordsReceived"]["Sum"] == m["UserRecordsPut"]["Sum"] == 200
        assert m["UserRecordsDataPut"]["Sum"] == 200 * 100
        assert m["KinesisRecordsPut"]["Sum"] == m["UserRecordsPerKinesisRecord"]["SampleCount"] == 2  # one aggregate per shard
        assert m["UserRecordsPerPutRecordsRequest"]["Sum"] == 200
        assert m["RetriesPerRecord"]["Sum"] == 0 and m["AllErrors"]["Sum"] == 0


def test_statistics_reach_cloudwatch():
    with lab_stream() as (lab, kinesis):
        # (moto matches datapoints whose dimensions include the requested ones, where CloudWatch wants
        # an exact match; stream granularity keeps the shard-level copies out of the sum.)
        _produce(kinesis, n=50, metrics_granularity="stream")
        cw = lab.client("cloudwatch")
        now = dt.datetime.fromtimestamp(lab.clock.now(), tz=dt.timezone.utc)
        stats = cw.get_metric_statistics(
            Namespace="KinesisProducerLibrary", MetricName="UserRecordsPut", Dimensions=[{"Name": "StreamName", "Value": "clicks"}],
            StartTime=now - dt.timedelta(minutes=5), EndTime=now + dt.timedelta(minutes=1), Period=60, Statistics=["Sum", "SampleCount"],
        )["Datapoints"]
        assert sum(p["Sum"] for p in stats) == 50


@pytest.mark.parametrize(
    "granularity, dims",
    [("global", {()}), ("stream", {(), (("StreamName", "clicks"),)})],
)
def test_granularity_limits_the_dimensions(granularity, dims):
    with lab_stream() as (lab, kinesis):
        _produce(kinesis, metrics_granularity=granularity)
        listed = _listed(lab.client("cloudwatch"))
        assert {d for _, d in listed} == dims


def test_summary_level_uploads_only_summary_metrics_and_none_uploads_nothing():
    with lab_stream() as (lab, kinesis):
        _produce(kinesis, metrics_level="summary", metrics_namespace="Summary")
        names = {n for n, _ in _listed(lab.client("cloudwatch"), "Summary")}
        assert names and names <= SUMMARY
        producer = _produce(kinesis, metrics_level="none", metrics_namespace="Nothing")
        assert _listed(lab.client("cloudwatch"), "Nothing") == set()
        assert producer.metrics()["UserRecordsPut"]["Sum"] == 200  # still visible to the lesson


def test_metrics_are_uploaded_periodically_on_the_scheduler():
    with lab_stream() as (lab, kinesis):
        cw = lab.client("cloudwatch")
        producer = KinesisProducer("clicks", client=kinesis, metrics_upload_delay_ms=5000, metrics_namespace="Periodic")
        producer.put_record(b"x", partition_key="k")
        lab.clock.advance(1)
        assert _listed(cw, "Periodic") == set()
        lab.clock.advance(5)
        assert ("UserRecordsPut", ()) in _listed(cw, "Periodic")
        producer.close()


def test_errors_by_code_carry_the_error_code_dimension():
    with lab_stream() as (lab, kinesis):
        producer = KinesisProducer("clicks", client=kinesis, aggregation_enabled=False, rate_limit=300, metrics_namespace="Errors")
        for i in range(1300):  # the limiter lets 1,000 through at once, the shard takes 1,000
            producer.put_record(b"x", partition_key=f"k{i}")
        producer.close()
        listed = _listed(lab.client("cloudwatch"), "Errors")
        assert ("ErrorsByCode", (("ErrorCode", "ProvisionedThroughputExceededException"),)) in listed
        assert ("ErrorsByCode", (("ErrorCode", "ProvisionedThroughputExceededException"), ("ShardId", "shardId-000000000000"), ("StreamName", "clicks"))) in listed
        rows = producer.metrics(detail=True)
        assert any(r["MetricName"] == "ErrorsByCode" and {"Name": "ErrorCode", "Value": "ProvisionedThroughputExceededException"} in r["Dimensions"] for r in rows)


def test_metrics_upload_failure_warns_once_and_does_not_stop_the_producer():
    class Broken:
        def put_metric_data(self, **kwargs):
            raise RuntimeError("no CloudWatch here")

    with lab_stream() as (lab, kinesis):
        producer = KinesisProducer("clicks", client=kinesis, cloudwatch_client=Broken(), metrics_upload_delay_ms=1000)
        with pytest.warns(UserWarning, match="metrics upload to CloudWatch failed"):
            f = producer.put_record(b"x", partition_key="k")
            lab.clock.advance(3)
        assert f.result().successful
        producer.close()
        assert producer._metrics.upload_errors


def test_recorder_rolls_up_the_dimension_hierarchy():
    rec = MetricsRecorder("detailed", "shard", "NS")
    rec.put("KinesisRecordsPut", 1, "s", "shard-1")
    rec.put("KinesisRecordsPut", 0, "s", "shard-2")
    rec.put_many("BufferingTime", [5, 15], "s", "shard-1")
    rows = {(r["MetricName"], tuple(d["Value"] for d in r["Dimensions"])): r for r in rec.snapshot(detail=True)}
    assert rows[("KinesisRecordsPut", ())]["SampleCount"] == 2
    assert rows[("KinesisRecordsPut", ("s",))]["Sum"] == 1
    assert rows[("KinesisRecordsPut", ("s", "shard-2"))]["Maximum"] == 0
    assert rec.snapshot()["BufferingTime"]["Average"] == 10
    data = rec.take_window(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    assert {d["Unit"] for d in data if d["MetricName"] == "BufferingTime"} == {"Milliseconds"}
    assert rec.take_window(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)) == []  # a new window starts empty
