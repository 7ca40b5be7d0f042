"""labsim.kcl's lease balancing: 3.x by throughput (vs lease count), 2.x stealing, graceful handoff's
``checkpointOwner``, and the leader's shard sync. Plain boto3 against the lab; simulated seconds."""

from __future__ import annotations

from collections import Counter

import pytest

from labsim.kcl import RecordProcessorBase, Worker
from labsim.kcl.assignment import assignment_moves
from labsim.kcl.lease_table import Lease

TWO_X = {"client_version_config": "CLIENT_VERSION_CONFIG_COMPATIBLE_WITH_2X"}


class Quiet(RecordProcessorBase):
    def initialize(self, i): pass
    def process_records(self, i): i.checkpointer.checkpoint()
    def lease_lost(self, i): pass
    def shard_ended(self, i): i.checkpointer.checkpoint()
    def shutdown_requested(self, i): i.checkpointer.checkpoint()


def _stream(lab, shards=4):
    kinesis = lab.client("kinesis")
    kinesis.create_stream(StreamName="orders", ShardCount=shards)
    lab.clock.advance(30)
    return kinesis


def _leases(lab, app="orders-app"):
    items = lab.client("dynamodb").scan(TableName=app, ConsistentRead=True)["Items"]
    return {i["leaseKey"]["S"]: i for i in items if i["entityType"]["S"] == "LEASE"}


def test_the_3x_leader_moves_light_leases_away_from_a_hot_one():
    hot = Lease("shardId-0", owner="w1", throughput_kbps=100.0)
    cold = [Lease(f"shardId-{n}", owner="w1", throughput_kbps=5.0) for n in (1, 2, 3)]
    moves = assignment_moves([hot, *cold], ["w1", "w2"], expired=set(), by_throughput=True,
                             threshold_pct=10, dampening_pct=60)
    assert sorted(lease.key for lease, owner, rebalance in moves if owner == "w2" and rebalance) == [
        "shardId-1", "shardId-2", "shardId-3"]  # the hot lease stays: moving it would only swap the imbalance
    by_count = assignment_moves([hot, *cold], ["w1", "w2"], expired=set(), by_throughput=False,
                                threshold_pct=10, dampening_pct=60)
    assert len(by_count) == 2  # LEASE_COUNT_BASED: two and two


@pytest.mark.parametrize("strategy, expected", [("WORKER_UTILIZATION_AWARE", [1, 3]), ("LEASE_COUNT_BASED", [2, 2])])
def test_workers_balance_by_measured_throughput_in_3x(lab, strategy, expected):
    kinesis = _stream(lab)
    shards = kinesis.list_shards(StreamName="orders")["Shards"]
    hot = shards[0]["ShardId"]

    def put():
        records = [{"Data": b"h" * 1000, "PartitionKey": "p", "ExplicitHashKey": shards[0]["HashKeyRange"]["StartingHashKey"]}
                   for _ in range(40)]
        records += [{"Data": b"c" * 100, "PartitionKey": "p", "ExplicitHashKey": s["HashKeyRange"]["StartingHashKey"]}
                    for s in shards[1:]]
        kinesis.put_records(StreamName="orders", Records=records)

    producer = lab.clock.call_every(1, put, name="producer")
    config = {"lease_assignment_strategy": strategy, "retrieval_mode": "POLLING"}
    w1 = Worker("orders-app", "orders", Quiet, worker_id="w1", config=config).start()
    lab.clock.advance(40)  # w1 holds all four and has measured their throughput
    w2 = Worker("orders-app", "orders", Quiet, worker_id="w2", config=config).start()
    lab.clock.advance(200)
    producer.cancel()
    counts = sorted([len(w1.leases()), len(w2.leases())])
    assert counts == expected
    if strategy == "WORKER_UTILIZATION_AWARE":
        alone = w1 if len(w1.leases()) == 1 else w2
        assert alone.leases() == [hot]
        tp = {k: float(v["throughputKBps"]["N"]) for k, v in _leases(lab).items()}
        assert tp[hot] > 10 * max(v for k, v in tp.items() if k != hot)  # what the leader balanced on
    for w in (w1, w2):
        w.shutdown()


def test_2x_mode_steals_one_lease_per_taker_run_until_even(lab):
    _stream(lab)
    w1 = Worker("orders-app", "orders", Quiet, worker_id="w1", config=TWO_X).start()
    lab.clock.advance(30)
    assert len(w1.leases()) == 4
    w2 = Worker("orders-app", "orders", Quiet, worker_id="w2", config=TWO_X).start()
    lab.clock.advance(1)  # w2's taker runs at once
    counts = [len(w2.leases())]
    for _ in range(3):
        lab.clock.advance(w2.config.taker_interval)
        counts.append(len(w2.leases()))
    # target ceil(4 / 2) = 2; w1 holds 4, above it: each run steals max_leases_to_steal_at_one_time = 1
    assert counts == [1, 2, 2, 2]
    assert Counter(v["leaseOwner"]["S"] for v in _leases(lab).values()) == {"w1": 2, "w2": 2}
    # no records, so no checkpoint: every owner change since the lease was created counts
    switches = {v["leaseOwner"]["S"]: set() for v in _leases(lab).values()}
    for v in _leases(lab).values():
        switches[v["leaseOwner"]["S"]].add(int(v["ownerSwitchesSinceCheckpoint"]["N"]))
    assert switches == {"w1": {1}, "w2": {2}}  # taken by w1, then stolen by w2
    for w in (w1, w2):
        w.shutdown()


def test_a_graceful_handoff_lets_the_old_owner_checkpoint_as_checkpoint_owner(lab):
    kinesis = _stream(lab, shards=2)
    starts = [s["HashKeyRange"]["StartingHashKey"] for s in kinesis.list_shards(StreamName="orders")["Shards"]]
    records = [{"Data": b"x" * 200, "PartitionKey": "k", "ExplicitHashKey": h} for h in starts]  # equal traffic
    producer = lab.clock.call_every(1, lambda: kinesis.put_records(StreamName="orders", Records=records), name="producer")
    ddb = lab.client("dynamodb")
    during = []

    class Handing(Quiet):
        def initialize(self, i):
            self.shard = i.shard_id

        def shutdown_requested(self, i):
            item = ddb.get_item(TableName="orders-app", Key={"leaseKey": {"S": self.shard}}, ConsistentRead=True)["Item"]
            during.append((item["leaseOwner"]["S"], item.get("checkpointOwner", {}).get("S")))
            i.checkpointer.checkpoint()  # allowed: this worker is the checkpointOwner

    w1 = Worker("orders-app", "orders", Handing, worker_id="w1", config={"retrieval_mode": "POLLING"}).start()
    lab.clock.advance(30)
    w2 = Worker("orders-app", "orders", Handing, worker_id="w2", config={"retrieval_mode": "POLLING"}).start()
    lab.clock.advance(90)
    producer.cancel()
    assert during and during[0] == ("w2", "w1")  # new owner named, old owner still may checkpoint
    assert all("checkpointOwner" not in v for v in _leases(lab).values())  # cleared once handed over
    assert (len(w1.leases()), len(w2.leases())) == (1, 1)
    for w in (w1, w2):
        w.shutdown()


def test_the_leaders_periodic_shard_sync_restores_a_shard_without_a_lease(lab):
    _stream(lab, shards=2)
    w1 = Worker("orders-app", "orders", Quiet, worker_id="w1", config={"retrieval_mode": "POLLING"}).start()
    lab.clock.advance(30)
    assert w1.is_leader and len(w1.leases()) == 2
    lab.client("dynamodb").delete_item(TableName="orders-app", Key={"leaseKey": {"S": "shardId-000000000001"}})
    lab.clock.advance(5)
    assert w1.leases() == ["shardId-000000000000"]  # its renewal found no item: the lease is gone
    lab.clock.advance(w1.config.shard_sync_interval_millis / 1000 + w1.config.assignment_interval + 10)
    assert sorted(_leases(lab)) == ["shardId-000000000000", "shardId-000000000001"]  # shard sync found the shard
    assert w1.leases() == ["shardId-000000000000", "shardId-000000000001"]
    w1.shutdown()
