"""labsim.kcl's Worker against the lab: lease table, balancing, failover, resharding, de-aggregation.

Everything runs on the lab's virtual clock, so the timings asserted are simulated seconds.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter, defaultdict

import pytest

from labsim import quotas
from labsim.kcl import CheckpointError, KclWarning, RecordProcessorBase, Worker, ownership_timeline
from labsim.kpl import KinesisProducer

TRIM = {"initial_position_in_stream": "TRIM_HORIZON"}  # fan-out: the KCL 3.x default retrieval
POLL = {**TRIM, "retrieval_mode": "POLLING"}  # GetRecords every 1.5 s: quicker first delivery for callback tests
TWO_X = {**TRIM, "client_version_config": "CLIENT_VERSION_CONFIG_COMPATIBLE_WITH_2X"}


class Log:
    """What every processor saw, in order: calls, records per shard, deliveries per record."""

    def __init__(self):
        self.calls = []  # (worker-visible shard, action)
        self.by_shard = defaultdict(list)  # shard -> [(seq, sub)]
        self.deliveries = Counter()  # (seq, sub) -> times delivered
        self.data = []

    def factory(self, checkpoint="each batch", fail_on=None):
        log = self

        class Processor(RecordProcessorBase):
            def initialize(self, i):
                self.shard = i.shard_id
                self.start = (i.sequence_number, i.sub_sequence_number)
                log.calls.append((self.shard, "initialize", self.start))

            def process_records(self, i):
                for r in i.records:
                    key = (r.sequence_number, r.sub_sequence_number)
                    log.by_shard[self.shard].append(key)
                    log.deliveries[key] += 1
                    log.data.append((r.partition_key, r.binary_data))
                    if fail_on is not None and r.binary_data == fail_on:
                        raise RuntimeError("cannot parse " + repr(r.binary_data))
                if checkpoint == "each batch":
                    i.checkpointer.checkpoint()

            def lease_lost(self, i):
                log.calls.append((self.shard, "lease_lost", None))

            def shard_ended(self, i):
                log.calls.append((self.shard, "shard_ended", None))
                if checkpoint != "never":
                    i.checkpointer.checkpoint()

            def shutdown_requested(self, i):
                log.calls.append((self.shard, "shutdown_requested", None))
                i.checkpointer.checkpoint()

        return Processor


def _stream(lab, name="orders", shards=4):
    kinesis = lab.client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    lab.clock.advance(30)
    return kinesis


def _producer(lab, kinesis, name="orders", per_second=40):
    sent = []

    def put():
        n = len(sent)
        records = [{"Data": b"r%06d" % (n + i), "PartitionKey": f"k{(n + i) % 16}"} for i in range(per_second)]
        kinesis.put_records(StreamName=name, Records=records)
        sent.extend((r["PartitionKey"], r["Data"]) for r in records)

    task = lab.clock.call_every(1, put, name="producer")
    return sent, task


def _items(lab, app="orders-app"):
    return lab.client("dynamodb").scan(TableName=app, ConsistentRead=True)["Items"]


def _leases(lab, app="orders-app"):
    return {i["leaseKey"]["S"]: i for i in _items(lab, app) if i["entityType"]["S"] == "LEASE"}


def _owners(lab, app="orders-app"):
    return Counter(i.get("leaseOwner", {}).get("S") for i in _leases(lab, app).values())


def test_lease_table_has_the_kcl_schema_and_items(lab):
    kinesis = _stream(lab, shards=2)
    kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="a")
    log = Log()
    worker = Worker("orders-app", "orders", log.factory(), worker_id="w1", config=TRIM).start()
    lab.clock.advance(40)
    table = lab.client("dynamodb").describe_table(TableName="orders-app")["Table"]
    assert table["KeySchema"] == [{"AttributeName": "leaseKey", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    index = table["GlobalSecondaryIndexes"][0]
    assert index["IndexName"] == "LeaseOwnerToLeaseKeyIndex"
    assert index["KeySchema"] == [{"AttributeName": "leaseOwner", "KeyType": "HASH"},
                                  {"AttributeName": "leaseKey", "KeyType": "RANGE"}]
    kinds = Counter(i["entityType"]["S"] for i in _items(lab))
    assert kinds == {"LEASE": 2, "WORKER_METRIC_STATS": 1, "LEADER": 1}
    leases = _leases(lab)
    assert set(leases) == {"shardId-000000000000", "shardId-000000000001"}
    for item in leases.values():
        assert item["leaseOwner"] == {"S": "w1"}
        assert {"leaseCounter", "checkpoint", "checkpointSubSequenceNumber", "ownerSwitchesSinceCheckpoint",
                "startingHashKey", "endingHashKey", "throughputKBps"} <= set(item)
        assert "N" in item["leaseCounter"] and "S" in item["checkpoint"]
    written = [k for k in leases if leases[k]["checkpoint"]["S"].isdigit()]
    assert len(written) == 1  # the shard with the record has a sequence-number checkpoint
    assert log.by_shard[written[0]] == [(leases[written[0]]["checkpoint"]["S"], 0)]
    counter = int(leases[written[0]]["leaseCounter"]["N"])
    lab.clock.advance(10)
    assert int(_leases(lab)[written[0]]["leaseCounter"]["N"]) >= counter + 3  # renewed every ~3.3 s
    assert worker.is_leader and worker.state == "STARTED"
    worker.shutdown()
    assert worker.state == "SHUT_DOWN" and _owners(lab) == {None: 2}


def test_every_record_reaches_one_processor_gap_free_and_in_order(lab):
    kinesis = _stream(lab)
    sent, producer = _producer(lab, kinesis)
    lab.clock.advance(5)
    log = Log()
    workers = [Worker("orders-app", "orders", log.factory(), worker_id=f"w{n}", config=TRIM).start() for n in (1, 2)]
    lab.clock.advance(60)
    producer.cancel()
    lab.clock.advance(10)
    assert sorted(log.data) == sorted(sent)
    assert max(log.deliveries.values()) == 1  # graceful handoffs while balancing: no duplicates
    for shard, keys in log.by_shard.items():
        assert keys == sorted(keys, key=lambda k: int(k[0]))
    leases = _leases(lab)
    for shard, keys in log.by_shard.items():
        assert leases[shard]["checkpoint"]["S"] == keys[-1][0]
    for w in workers:
        w.shutdown()


def test_two_workers_balance_two_and_two_then_stay(lab):
    kinesis = _stream(lab)
    _, producer = _producer(lab, kinesis, per_second=40)
    log = Log()
    w1 = Worker("orders-app", "orders", log.factory(), worker_id="w1", config=TRIM).start()
    lab.clock.advance(30)
    assert len(w1.leases()) == 4
    w2 = Worker("orders-app", "orders", log.factory(), worker_id="w2", config=TRIM).start()
    lab.clock.advance(3 * 20 + 10)  # a few assignment rounds (every 2 x failover time)
    assert (len(w1.leases()), len(w2.leases())) == (2, 2)
    moves = sum(1 for e in w1.events + w2.events if e[3] == "handed off")
    lab.clock.advance(80)
    assert (len(w1.leases()), len(w2.leases())) == (2, 2)
    assert sum(1 for e in w1.events + w2.events if e[3] == "handed off") == moves  # stable
    assert _owners(lab) == {"w1": 2, "w2": 2}
    assert ("shutdown_requested" in {c[1] for c in log.calls})  # the handoff let the old owner checkpoint
    producer.cancel()


def _failover(lab, config, checkpoint_every=None):
    kinesis = _stream(lab, shards=2)
    sent, producer = _producer(lab, kinesis, per_second=20)
    log = Log()
    factory = log.factory(checkpoint="each batch" if checkpoint_every is None else "never")
    if checkpoint_every is not None:
        class Sparse(factory):
            def initialize(self, i):
                super().initialize(i)
                self.last = time.time()

            def process_records(self, i):
                super().process_records(i)
                if time.time() - self.last >= checkpoint_every:  # the kclpy sample's pacing
                    i.checkpointer.checkpoint()
                    self.last = time.time()
        factory = Sparse
    w1 = Worker("orders-app", "orders", factory, worker_id="w1", config=config).start()
    w2 = Worker("orders-app", "orders", factory, worker_id="w2", config=config).start()
    lab.clock.advance(124)  # not on a checkpoint tick: the victim has records delivered after its checkpoint
    victim = w2 if not w2.is_leader else w1
    survivor = w1 if victim is w2 else w2
    lost = victim.leases()
    assert lost, "the non-leader holds leases before the crash"
    checkpoints = {k: _leases(lab)[k]["checkpoint"]["S"] for k in lost}
    crash_at = lab.clock.now()
    victim.crash()
    return kinesis, sent, producer, log, survivor, victim, lost, checkpoints, crash_at


def test_crash_failover_3x_takes_about_90_seconds_and_resumes_from_the_checkpoint(lab):
    _, sent, producer, log, survivor, victim, lost, checkpoints, crash_at = _failover(lab, TRIM, checkpoint_every=10)
    cfg = survivor.config
    early = cfg.failover - cfg.renewal_interval
    lab.clock.advance(early)
    owners = _leases(lab)
    assert all(owners[k]["leaseOwner"]["S"] == victim.worker_id for k in lost)  # no early steal
    lab.clock.advance(150)
    producer.cancel()
    lab.clock.advance(20)
    assert set(lost) <= set(survivor.leases())
    resumed = {c[0]: c for c in log.calls if c[1] == "initialize" and c[0] in lost}
    starts = [e[0] for e in survivor.events if e[2] in lost and e[3] == "initialize" and e[0] > crash_at]
    delay = min(starts) - crash_at
    bound = max(cfg.assignment_interval * (-(-cfg.failover // cfg.assignment_interval) + 1),
                2 * cfg.worker_metrics_reporter_freq_in_millis / 1000 + cfg.assignment_interval) + cfg.discovery_interval
    assert 60 <= delay <= bound + 1, delay  # ~90 s, not "failover time + one tick"
    for shard in lost:
        assert resumed[shard][2][0] == checkpoints[shard]  # initialize gets the last checkpoint
    # at-least-once: every record processed, duplicates only after the checkpoint of a lost shard
    assert Counter(log.data) >= Counter(sent[: len(sent) - 50]) and set(log.data) == set(sent)
    twice = [k for k, n in log.deliveries.items() if n > 1]
    assert twice, "records after the checkpoint are seen again"
    for seq, sub in twice:
        shard = next(s for s in lost if (seq, sub) in log.by_shard[s])
        assert int(seq) >= int(checkpoints[shard])


def test_crash_failover_in_2x_mode_takes_at_most_two_taker_runs(lab):
    _, sent, producer, log, survivor, victim, lost, checkpoints, crash_at = _failover(lab, TWO_X)
    lab.clock.advance(60)
    producer.cancel()
    lab.clock.advance(20)
    starts = [e[0] for e in survivor.events if e[2] in lost and e[3] == "initialize" and e[0] > crash_at]
    delay = min(starts) - crash_at
    assert survivor.config.failover < delay <= 2 * survivor.config.taker_interval + 1
    assert set(log.data) == set(sent)


def test_graceful_shutdown_hands_over_without_duplicates(lab):
    kinesis = _stream(lab, shards=2)
    sent, producer = _producer(lab, kinesis, per_second=20)
    log = Log()
    w1 = Worker("orders-app", "orders", log.factory(checkpoint="never"), worker_id="w1", config=TRIM).start()
    w2 = Worker("orders-app", "orders", log.factory(checkpoint="never"), worker_id="w2", config=TRIM).start()
    lab.clock.advance(90)
    leaving = w2 if not w2.is_leader else w1
    staying = w1 if leaving is w2 else w2
    leaving.shutdown()
    assert _owners(lab)[leaving.worker_id] == 0
    lab.clock.advance(60)
    producer.cancel()
    lab.clock.advance(10)
    assert len(staying.leases()) == 2
    released = [k for k in _leases(lab)]
    assert set(log.data) == set(sent)
    # only shutdown_requested checkpoints here, so shards that never moved are fine; moved ones resume exactly
    moved = {c[0] for c in log.calls if c[1] == "shutdown_requested"}
    assert moved and all(log.deliveries[k] == 1 for s in moved for k in log.by_shard[s])
    assert released


def test_split_parents_end_before_children_start(lab):
    kinesis = _stream(lab, shards=1)
    sent, producer = _producer(lab, kinesis, per_second=20)
    log = Log()
    worker = Worker("orders-app", "orders", log.factory(), worker_id="w1", config=TRIM).start()
    lab.clock.advance(20)
    kinesis.split_shard(StreamName="orders", ShardToSplit="shardId-000000000000",
                        NewStartingHashKey=str(2**127))
    lab.clock.advance(60)
    producer.cancel()
    lab.clock.advance(30)
    order = [(c[0], c[1]) for c in log.calls]
    parent_end = order.index(("shardId-000000000000", "shard_ended"))
    child_starts = [i for i, c in enumerate(order) if c[1] == "initialize" and c[0] != "shardId-000000000000"]
    assert len(child_starts) == 2 and min(child_starts) > parent_end
    leases = _leases(lab)
    parent = leases.get("shardId-000000000000")
    children = sorted(k for k in leases if k != "shardId-000000000000")
    for child in children:
        assert leases[child]["parentShardId"] == {"SS": ["shardId-000000000000"]}
    if parent is not None:
        assert parent["checkpoint"]["S"] == "SHARD_END" and sorted(parent["childShardIds"]["SS"]) == children
    assert sorted(log.data) == sorted(sent)
    by_key = defaultdict(list)
    for key, data in log.data:
        by_key[key].append(data)
    for key, values in by_key.items():
        assert values == sorted(values)  # per partition key, the order survives the split
    lab.clock.advance(quotas.KCL_COMPLETED_LEASE_CLEANUP_MILLIS / 1000 + 10)
    assert sorted(_leases(lab)) == children  # the finished parent's lease is cleaned up once children run
    worker.shutdown()


def test_no_checkpoint_at_shard_end_means_children_never_start(lab):
    kinesis = _stream(lab, shards=1)
    kinesis.put_record(StreamName="orders", Data=b"before", PartitionKey="a")
    log = Log()
    worker = Worker("orders-app", "orders", log.factory(checkpoint="never"), worker_id="w1", config=TRIM).start()
    lab.clock.advance(5)
    with pytest.warns(KclWarning, match="didn't checkpoint at end of shard"):
        kinesis.split_shard(StreamName="orders", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
        lab.clock.advance(5)
        kinesis.put_record(StreamName="orders", Data=b"after", PartitionKey="a")
        lab.clock.advance(120)
    assert [d for _, d in log.data] == [b"before"]
    assert [f.action for f in worker.failures] == ["shard_ended"]
    assert sum(1 for c in log.calls if c[1] == "initialize") == 1
    leases = _leases(lab)
    assert len(leases) == 3 and leases["shardId-000000000000"]["checkpoint"]["S"] != "SHARD_END"


def test_kpl_aggregates_are_deaggregated_and_resume_inside_an_aggregate(lab):
    kinesis = _stream(lab, shards=1)
    with KinesisProducer("orders", client=kinesis) as producer:
        for n in range(50):
            producer.put_record(b"u%02d" % n, partition_key=f"user-{n}")
    stored = kinesis.get_records(ShardIterator=kinesis.get_shard_iterator(
        StreamName="orders", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")["ShardIterator"])["Records"]
    assert len(stored) == 1
    seq = stored[0]["SequenceNumber"]
    checkpointed = []

    class Partial(RecordProcessorBase):
        def initialize(self, i):
            checkpointed.append(("init", i.sequence_number, i.sub_sequence_number))

        def process_records(self, i):
            subs = [r.sub_sequence_number for r in i.records]
            checkpointed.append(("batch", subs[0], subs[-1], {r.sequence_number for r in i.records}))
            i.checkpointer.checkpoint(i.records[19].sequence_number, i.records[19].sub_sequence_number)

        def lease_lost(self, i): pass
        def shard_ended(self, i): i.checkpointer.checkpoint()
        def shutdown_requested(self, i): pass

    w1 = Worker("orders-app", "orders", Partial, worker_id="w1", config=TRIM).start()
    lab.clock.advance(8)  # the fan-out consumer is ACTIVE after 5 s; the first event follows
    w1.crash()
    item = _leases(lab)["shardId-000000000000"]
    assert (item["checkpoint"]["S"], item["checkpointSubSequenceNumber"]["N"]) == (seq, "19")
    w2 = Worker("orders-app", "orders", Partial, worker_id="w2", config=TRIM).start()
    lab.clock.advance(100)
    assert len(checkpointed) == 2 and not w2.is_leader  # the dead leader's lock lasts 120 s
    lab.clock.advance(60)
    assert w2.is_leader
    assert checkpointed[0] == ("init", "TRIM_HORIZON", 0)
    assert checkpointed[1] == ("batch", 0, 49, {seq})
    assert ("init", seq, 19) in checkpointed
    assert ("batch", 20, 49, {seq}) in checkpointed  # resumed at sub 20, inside the aggregate


def test_checkpoint_rules_and_errors(lab):
    kinesis = _stream(lab, shards=1)
    for n in range(3):
        kinesis.put_record(StreamName="orders", Data=b"%d" % n, PartitionKey="a")
    outcomes = []

    class Picky(RecordProcessorBase):
        def initialize(self, i): pass

        def process_records(self, i):
            records = i.records
            cp = i.checkpointer
            for args in ((str(int(records[-1].sequence_number) + 1),), ("abc",), (records[0].sequence_number, -1)):
                try:
                    cp.checkpoint(*args)
                except CheckpointError as err:
                    outcomes.append(err.value)
            cp.checkpoint(records[1].sequence_number)
            try:
                cp.checkpoint(records[0].sequence_number)  # before the last checkpoint
            except CheckpointError as err:
                outcomes.append(err.value)
            cp.checkpoint()

        def lease_lost(self, i):
            outcomes.append(("lease_lost", hasattr(i, "checkpointer")))

        def shard_ended(self, i): pass
        def shutdown_requested(self, i): pass

    worker = Worker("orders-app", "orders", Picky, worker_id="w1", config=POLL).start()
    lab.clock.advance(3)
    assert outcomes == ["IllegalArgumentException"] * 4
    lab.client("dynamodb").update_item(TableName="orders-app", Key={"leaseKey": {"S": "shardId-000000000000"}},
                                       UpdateExpression="SET leaseOwner = :o", ExpressionAttributeValues={":o": {"S": "other"}})
    lab.clock.advance(5)
    assert outcomes[-1] == ("lease_lost", False) and worker.leases() == []


def test_a_processor_exception_is_reported_and_the_worker_goes_on(lab):
    kinesis = _stream(lab, shards=1)
    log = Log()
    worker = Worker("orders-app", "orders", log.factory(fail_on=b"bad"), worker_id="w1", config=POLL).start()
    kinesis.put_record(StreamName="orders", Data=b"bad", PartitionKey="a")
    with pytest.warns(KclWarning, match="RuntimeError: cannot parse b'bad'"):
        lab.clock.advance(3)
    kinesis.put_record(StreamName="orders", Data=b"good", PartitionKey="a")
    lab.clock.advance(3)
    assert [d for _, d in log.data] == [b"bad", b"good"]
    failure = worker.failures[0]
    assert failure.action == "process_records" and "RuntimeError" in failure.traceback


def test_a_one_wcu_lease_table_throttles_checkpoints_and_on_demand_fixes_it(lab):
    kinesis = _stream(lab)
    sent, producer = _producer(lab, kinesis)
    log = Log()
    throttled = []

    class Stubborn(log.factory(checkpoint="never")):
        def process_records(self, i):
            super().process_records(i)
            try:
                i.checkpointer.checkpoint()
            except CheckpointError as err:
                throttled.append(err.value)

    config = {**TRIM, "lease_table_billing_mode": "PROVISIONED", "initial_lease_table_read_capacity": 1,
              "initial_lease_table_write_capacity": 1}
    worker = Worker("orders-app", "orders", Stubborn, worker_id="w1", config=config).start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KclWarning)
        lab.clock.advance(120)
    assert "ThrottlingException" in throttled
    assert worker.metrics["LeaseTableThrottled"] > 0
    lab.client("dynamodb").update_table(TableName="orders-app", BillingMode="PAY_PER_REQUEST")
    before = len(throttled)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KclWarning)
        lab.clock.advance(60)
    producer.cancel()
    lab.clock.advance(10)
    assert len(throttled) == before
    assert set(log.data) == set(sent)


def test_kcl_metrics_reach_cloudwatch_under_the_application_namespace(lab):
    kinesis = _stream(lab, shards=1)
    for n in range(5):
        kinesis.put_record(StreamName="orders", Data=b"%d" % n, PartitionKey="a")
    worker = Worker("orders-app", "orders", Log().factory(), worker_id="w1", config=TRIM).start()
    lab.clock.advance(25)
    cw = lab.client("cloudwatch")
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="orders-app")["Metrics"]}
    assert {"RecordsProcessed", "MillisBehindLatest", "CurrentLeases", "LeasesToTake"} <= names
    stats = cw.get_metric_statistics(Namespace="orders-app", MetricName="RecordsProcessed",
                                     Dimensions=[{"Name": "Operation", "Value": "ProcessTask"}],
                                     StartTime=lab.clock.now() - 60, EndTime=lab.clock.now() + 1, Period=60,
                                     Statistics=["Sum"])
    assert sum(p["Sum"] for p in stats["Datapoints"]) == 5
    worker.shutdown()


def test_time_time_in_a_callback_reads_the_lab_clock(lab):
    kinesis = _stream(lab, shards=1)
    kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="a")
    seen = []

    class Clocked(Log().factory()):
        def process_records(self, i):
            seen.append(time.time())
            time.sleep(5)  # the kclpy sample's retry back-off: moves the lab clock
            seen.append(time.time())

    Worker("orders-app", "orders", Clocked, worker_id="w1", config=POLL).start()
    lab.clock.advance(2)
    assert seen[0] == pytest.approx(lab.clock.now() - 7 + (lab.clock.now() - seen[1]), abs=2)
    assert seen[1] - seen[0] == pytest.approx(5)
    assert abs(time.time() - seen[0]) > 3600 * 24 * 30 or seen[0] < 1767225700  # outside a callback: real time


def test_runs_are_deterministic():
    from labsim import Lab

    def run():
        with Lab() as lab:
            kinesis = _stream(lab, shards=2)
            _producer(lab, kinesis, per_second=10)
            log = Log()
            workers = [Worker("orders-app", "orders", log.factory()) for _ in range(2)]
            for w in workers:
                w.start()
            lab.clock.advance(50)
            workers[1].crash()
            lab.clock.advance(100)
            return [w.worker_id for w in workers], ownership_timeline(workers)

    assert run() == run()


def test_a_processor_that_cannot_be_built_is_reported(lab):
    _stream(lab, shards=1)

    class NeedsArgument(Log().factory()):
        def __init__(self, ledger):
            self.ledger = ledger

    worker = Worker("orders-app", "orders", NeedsArgument, worker_id="w1", config=TRIM).start()
    with pytest.warns(KclWarning, match="create processor: TypeError"):
        lab.clock.advance(2)
    assert worker.failures[0].action == "create processor"


def test_bad_arguments_are_refused_clearly(lab):
    with pytest.raises(ValueError, match="stream 'nope' does not exist"):
        Worker("app", "nope", Log().factory()).start()
    with pytest.raises(TypeError, match="processor_factory must be callable"):
        Worker("app", "s", None)
    with pytest.raises(ValueError, match="application_name"):
        Worker("", "s", Log().factory())
    with pytest.raises(ValueError, match="did you mean 'failover_time_millis'"):
        Worker("app", "s", Log().factory(), config={"failover_millis": 1})
    assert quotas.KCL_LEADER_LOCK_LEASE_MILLIS == 120_000
