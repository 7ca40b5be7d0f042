"""CloudWatch in the lab matches dimensions exactly, as the real service does."""

from __future__ import annotations

import datetime as dt

from labsim import Lab


def _stats(cw, dims, start):
    resp = cw.get_metric_statistics(
        Namespace="Demo", MetricName="Hits", Dimensions=dims,
        StartTime=start, EndTime=start + dt.timedelta(minutes=5), Period=60, Statistics=["Sum"],
    )
    return sum(p["Sum"] for p in resp["Datapoints"])


def test_query_matches_the_exact_dimension_set():
    with Lab() as lab:
        cw = lab.client("cloudwatch")
        now = lab.clock.datetime()
        cw.put_metric_data(Namespace="Demo", MetricData=[
            {"MetricName": "Hits", "Value": 10, "Timestamp": now, "Dimensions": [{"Name": "StreamName", "Value": "s"}]},
            {"MetricName": "Hits", "Value": 4, "Timestamp": now,
             "Dimensions": [{"Name": "StreamName", "Value": "s"}, {"Name": "ShardId", "Value": "shardId-000000000000"}]},
            {"MetricName": "Hits", "Value": 6, "Timestamp": now,
             "Dimensions": [{"Name": "StreamName", "Value": "s"}, {"Name": "ShardId", "Value": "shardId-000000000001"}]},
            {"MetricName": "Hits", "Value": 1, "Timestamp": now},
        ])
        start = now - dt.timedelta(minutes=1)
        assert _stats(cw, [{"Name": "StreamName", "Value": "s"}], start) == 10, "stream total only, no shard copies"
        assert _stats(cw, [{"Name": "StreamName", "Value": "s"}, {"Name": "ShardId", "Value": "shardId-000000000001"}], start) == 6
        assert _stats(cw, [], start) == 1, "no dimensions matches only the metric without dimensions"
        names = {m["MetricName"] for m in cw.list_metrics(Namespace="Demo")["Metrics"]}
        assert names == {"Hits"}
        assert len(cw.list_metrics(Namespace="Demo")["Metrics"]) == 4, "listing is unaffected"
