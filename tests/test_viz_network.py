"""The networking runs, plots and explorer that lesson 12 uses."""

from __future__ import annotations

import pytest

from labsim import Lab
from labsim.viz.network import network_explorer, plot_backpressure, plot_paths, run_kpl_backpressure, run_loop, run_paths


@pytest.fixture(scope="module")
def lab():
    with Lab() as lab:
        kinesis = lab.client("kinesis")
        for name in ("paths", "explore", "kpl"):
            kinesis.create_stream(StreamName=name, ShardCount=1)
        lab.clock.advance(30)
        yield lab


def test_paths_rank_by_round_trip_and_leave_the_network_ideal(lab):
    runs = run_paths(lab, "paths", seconds=0.5)
    rates = [runs[p].rate for p in ("vpc-endpoint", "internet", "cross-region")]
    assert rates[0] > rates[1] > 5 * rates[2] > 0, rates
    assert all(len(r.latencies_ms) == r.requests for r in runs.values())
    assert runs["cross-region"].median_ms > 10 * runs["vpc-endpoint"].median_ms
    assert not lab.network.placed
    axes = plot_paths(runs)
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["vpc-endpoint", "internet", "cross-region"]


def test_explorer_batches_beat_latency_until_the_shard_limit(lab):
    explorer = network_explorer(lab, "explore", path="cross-region", batch=1)
    one = explorer.result
    many = explorer.set(batch=250)
    assert one.throttled == 0 and one.accepted_rate < 15
    assert many.accepted_rate > 50 * one.accepted_rate and many.throttled > 0
    assert explorer.redraws == 2 and explorer.png.startswith(b"\x89PNG")
    assert "records/s accepted" in explorer.summary.value
    with pytest.raises(ValueError, match="batch must be one of"):
        network_explorer(lab, "explore", batch=7)
    with pytest.raises(ValueError, match="batch must be 1 to 500"):
        run_loop(lab, "explore", "internet", None, batch=501)
    with pytest.raises(ValueError, match="path must be one of"):
        run_loop(lab, "explore", "moon", None)
    assert not lab.network.placed


def test_kpl_backpressure_rises_then_drains(lab):
    run = run_kpl_backpressure(lab, "kpl", rate=1000, record_bytes=2048, seconds=2, drain=4)
    during = [p for t, p in zip(run.times, run.pending) if t <= run.offered_until]
    assert during[-1] == run.peak > 300 and run.pending[-1] == 0
    assert run.extra["UserRecordsPending max"] >= run.peak
    axes = plot_backpressure([run])
    assert axes[0].get_ylabel() == "KPL UserRecordsPending"
