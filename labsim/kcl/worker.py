"""The KCL worker (the Scheduler of KCL 2.x/3.x): leases, shard consumers and their timing.

Everything a worker does runs as tasks on a scheduler: the lab's clock inside a lab (so a 90-second
failover takes a few milliseconds of wall time and runs the same way every time), or a real-time
thread outside one. The periods are the KCL's (kcl-contract 3), derived from ``failover_time_millis``
F in :class:`labsim.kcl.config.KclConfig`:

=====================  ======================  ===================================================
task                   every                   what it does
=====================  ======================  ===================================================
renew leases           F/3 − 25 ms             conditional ``leaseCounter + 1`` on each held lease;
                                               a failed condition means the lease moved
leader lock (3.x)      30 s                    take or heartbeat the ``Leader`` item (120 s lease)
worker metrics (3.x)   30 s                    write this worker's WORKER_METRIC_STATS item
assign leases (3.x)    2·F (leader only)       give expired, unowned and orphaned leases to active
                                               workers; rebalance by throughput (graceful handoff)
discover leases (3.x)  F − 25 ms               query the GSI for leases assigned to this worker
take leases (2.x)      (F + 25 ms)·2           take expired leases up to ceil(leases ÷ workers),
                                               else steal one
shard sync             60 s (leader)           create leases for new shards
cleanup                5 min                   delete finished parents' leases once children run
shard consumers        idle time (1.5 s)       polling: one GetRecords per shard, deliver, checkpoint
                       1 s (fan-out)           fan-out: one SubscribeToShard event per shard
=====================  ======================  ===================================================

Fan-out (``retrieval_mode`` FANOUT, the default unless a polling setting is given): at start the
worker registers a stream consumer named after the application (RegisterStreamConsumer; another
worker of the same application finds it already there) and its shard consumers subscribe once
DescribeStreamConsumer says ACTIVE (``labsim.kcl.shard_consumer`` has the details).
"""

from __future__ import annotations

import math
import traceback
import uuid
import warnings
import weakref
from collections import Counter
from typing import Any, Callable

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from .. import quotas as Q
from ..kpl.scheduler import ThreadScheduler
from ..lab import current_lab
from .assignment import assignment_moves, leases_to_take
from .config import KclConfig
from .lease_table import Lease, LeaseTable, LeaseTableThrottled
from .shard_consumer import ShardConsumer
from .simtime import callback_time

CREATED, INITIALIZING, STARTED, SHUT_DOWN_STARTED, SHUT_DOWN, CRASHED = (
    "CREATED", "INITIALIZING", "STARTED", "SHUT_DOWN_STARTED", "SHUT_DOWN", "CRASHED")


class KclWarning(UserWarning):
    """A record processor raised, or broke the KCL's rules (e.g. no checkpoint at shard end)."""


class ProcessorFailure:
    """What went wrong in a processor callback, kept so nothing is lost silently."""

    __slots__ = ("at", "shard_id", "action", "error", "traceback")

    def __init__(self, at: float, shard_id: str, action: str, error: Any, tb: str = "") -> None:
        self.at, self.shard_id, self.action, self.error, self.traceback = at, shard_id, action, error, tb

    def __repr__(self) -> str:
        return f"<ProcessorFailure t={self.at:.1f} {self.shard_id} {self.action}: {self.error!r}>"


#: per lab, how many default worker ids each application has drawn (a new lab starts again at 1)
_worker_numbers: "weakref.WeakKeyDictionary[Any, Counter]" = weakref.WeakKeyDictionary()


class Worker:
    """Runs ``processor_factory()`` processors over the shards of ``stream_name``; see the module docstring."""

    def __init__(self, application_name: str, stream_name: str, processor_factory: Callable[[], Any], *,
                 worker_id: str | None = None, kinesis: Any = None, dynamodb: Any = None, cloudwatch: Any = None,
                 config: dict[str, Any] | None = None, scheduler: Any = None) -> None:
        if not isinstance(application_name, str) or not application_name:
            raise ValueError("application_name must be a non-empty string: it names the lease table")
        if not isinstance(stream_name, str) or not stream_name:
            raise ValueError("stream_name must be the name of a Kinesis data stream")
        if not callable(processor_factory):
            raise TypeError("processor_factory must be callable (a RecordProcessorBase subclass, or a function "
                            "returning a new processor); the worker calls it once per lease")
        self.application_name = application_name
        self.stream_name = stream_name
        self.processor_factory = processor_factory
        self.config = KclConfig.from_dict(config)
        lab = current_lab()  # looked up once, here: its clock and Region
        self.scheduler = scheduler or (lab.clock if lab is not None else ThreadScheduler("labsim-kcl"))
        self.worker_id = worker_id or self._default_id(lab)
        region = lab.region if lab is not None else None
        no_retries = Config(retries={"total_max_attempts": 1})  # the KCL retries on its own schedule
        self.kinesis = kinesis or boto3.client("kinesis", region_name=region, config=no_retries)
        self.dynamodb = dynamodb or boto3.client("dynamodb", region_name=region, config=no_retries)
        self.cloudwatch = cloudwatch or boto3.client("cloudwatch", region_name=region, config=no_retries)
        self.table = LeaseTable(self.dynamodb, application_name)
        self.state = CREATED
        self.held: dict[str, Lease] = {}
        self.consumers: dict[str, ShardConsumer] = {}
        self.last_renewed: dict[str, float] = {}
        self.throughput: dict[str, float] = {}
        self.seen: dict[str, tuple[int, float]] = {}  # lease key -> (counter, when it last moved), for expiry
        self.handoff_seen: dict[str, float] = {}
        self.lock_seen: tuple[str, float] | None = None
        self.lock_version = 0
        self._leader = False
        self._synced = False
        self._sync_task: Any = None
        self.tasks: list[Any] = []
        self.events: list[tuple[float, str, str, str]] = []  # (time, worker, shard, what)
        self.failures: list[ProcessorFailure] = []
        self.metrics: Counter = Counter()
        self._pending_metrics: Counter = Counter()
        self._behind = 0
        self.stream_arn: str | None = None
        self.consumer_arn: str | None = None  # fan-out: the application's EFO consumer, once registered
        self._consumer_active = False
        self._consumer_checked = -math.inf

    def _default_id(self, lab: Any) -> str:
        if lab is None:
            return str(uuid.uuid4())
        numbers = _worker_numbers.setdefault(lab, Counter())
        numbers[self.application_name] += 1
        rng = lab.context.rng(f"kcl-worker-id:{self.application_name}:{numbers[self.application_name]}")
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def __repr__(self) -> str:
        return f"<Worker {self.worker_id} {self.state} leases={sorted(self.held)}{' leader' if self.is_leader else ''}>"

    # -- public -----------------------------------------------------------------------------------
    @property
    def is_leader(self) -> bool:
        return self._leader and self.state == STARTED

    def now(self) -> float:
        return self.scheduler.now()

    def start(self) -> "Worker":
        if self.state != CREATED:
            raise RuntimeError(f"worker {self.worker_id} is {self.state}: a worker starts once; make a new Worker")
        try:
            summary = self.kinesis.describe_stream_summary(StreamName=self.stream_name)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise ValueError(f"stream {self.stream_name!r} does not exist in this account and Region: create it "
                                 "(kinesis.create_stream) before starting a worker on it") from None
            raise
        self.stream_arn = summary["StreamDescriptionSummary"]["StreamARN"]
        self.state = INITIALIZING
        cfg = self.config
        if cfg.fanout:
            self._register_consumer()
        self.table.ensure(cfg.lease_table_billing_mode, cfg.initial_lease_table_read_capacity,
                          cfg.initial_lease_table_write_capacity)
        every = self._every
        self._synced = False
        self._sync_task = self.scheduler.call_every(1.0, lambda: self._guard(self._initial_sync),
                                                    name=f"kcl {self.worker_id[:8]} initial-sync", first=0)
        self.tasks.append(self._sync_task)
        every(cfg.renewal_interval, self.renew_leases, "renew")
        if cfg.compatible_with_2x:
            every(cfg.taker_interval, self.take_leases, "take", first=0)
        else:
            every(Q.KCL_LEADER_LOCK_HEARTBEAT_MILLIS / 1000, self.leader_lock, "leader-lock", first=0)
            every(cfg.worker_metrics_reporter_freq_in_millis / 1000, self.report_metrics, "worker-metrics", first=0)
            every(cfg.assignment_interval, self.assign_leases, "assign", first=0)
            every(cfg.discovery_interval, self.discover_leases, "discover", first=0)
        every(cfg.shard_sync_interval_millis / 1000, self.periodic_shard_sync, "shard-sync")
        every(Q.KCL_COMPLETED_LEASE_CLEANUP_MILLIS / 1000, self.cleanup_leases, "cleanup")
        if cfg.metrics_level != "NONE":
            every(Q.KCL_METRICS_BUFFER_TIME_MILLIS / 1000, self.publish_metrics, "cloudwatch")
        self.state = STARTED
        self._event("", "started")
        return self

    def shutdown(self) -> None:
        """Graceful: each processor gets shutdown_requested (it may checkpoint), then its leases are released."""
        if self.state != STARTED:
            return
        self.state = SHUT_DOWN_STARTED
        self._cancel_tasks()
        for key in sorted(self.consumers):
            self.consumers[key].shutdown_requested()
            self._event(key, "shutdown")
        for key, lease in sorted(self.held.items()):
            self._guard(lambda: self.table.release(lease, self.worker_id))
        self.consumers.clear()
        self.held.clear()
        if not self.config.compatible_with_2x:
            # lab's choice: a worker that leaves cleanly withdraws its metrics, so the leader stops
            # counting it as active at once instead of after two missed reports
            self._guard(lambda: self.table.remove_worker(self.worker_id))
        if self._leader:
            self._guard(lambda: self.table.release_lock(self.worker_id))
            self._leader = False
        self.state = SHUT_DOWN
        self._event("", "shut down")

    def crash(self) -> None:
        """The process dies: tasks stop at once; no callback, no renewal, no release. Leases just expire."""
        if self.state not in (STARTED, INITIALIZING):
            return
        self._cancel_tasks()
        for key, consumer in sorted(self.consumers.items()):
            consumer.crash()
            self._event(key, "crash")
        self.consumers.clear()
        self.held.clear()
        self.state = CRASHED
        self._event("", "crashed")

    def leases(self) -> list[str]:
        """Shard ids this worker holds right now."""
        return sorted(self.held)

    # -- fan-out: the application's stream consumer ------------------------------------------------
    @property
    def consumer_name(self) -> str:
        """The EFO consumer's name: the application's (KCL FanOutConfig's default)."""
        return self.application_name

    def _register_consumer(self) -> None:
        try:
            registered = self.kinesis.register_stream_consumer(StreamARN=self.stream_arn, ConsumerName=self.consumer_name)
            self.consumer_arn = registered["Consumer"]["ConsumerARN"]
        except ClientError as err:  # ResourceInUseException: another worker of this application registered it
            code = err.response.get("Error", {}).get("Code", "")
            if code != "ResourceInUseException":
                self.count("RegisterStreamConsumerErrors:" + code)  # e.g. LimitExceededException: retried later

    def fanout_consumer_arn(self) -> str | None:
        """The consumer's ARN once it is ACTIVE, else None (asks DescribeStreamConsumer at most once a second)."""
        if self._consumer_active:
            return self.consumer_arn
        now = self.now()
        if now - self._consumer_checked < 1.0:
            return None
        self._consumer_checked = now
        try:
            found = self.kinesis.describe_stream_consumer(StreamARN=self.stream_arn, ConsumerName=self.consumer_name)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            self.count("DescribeStreamConsumerErrors:" + code)
            if code == "ResourceNotFoundException":  # deregistered meanwhile: register it again
                self._register_consumer()
            return None
        description = found["ConsumerDescription"]
        self.consumer_arn = description["ConsumerARN"]
        self._consumer_active = description["ConsumerStatus"] == "ACTIVE"
        return self.consumer_arn if self._consumer_active else None

    def consumer_gone(self) -> None:
        """A subscription said the consumer no longer exists: look it up (and register it) again."""
        self._consumer_active = False

    # -- scheduling helpers -----------------------------------------------------------------------
    def _every(self, interval: float, fn: Callable[[], Any], name: str, first: float | None = None) -> None:
        task = self.scheduler.call_every(interval, lambda: self._guard(fn), name=f"kcl {self.worker_id[:8]} {name}",
                                         first=first)
        self.tasks.append(task)

    def _cancel_tasks(self) -> None:
        for task in self.tasks:
            task.cancel()
        self.tasks.clear()
        for consumer in self.consumers.values():
            if consumer.task is not None:
                consumer.task.cancel()

    def _guard(self, fn: Callable[[], Any]) -> None:
        """Run one piece of background work; a throttled or failing lease table is counted, not fatal."""
        if self.state in (CRASHED, SHUT_DOWN):
            return
        try:
            fn()
        except LeaseTableThrottled:
            self.metrics["LeaseTableThrottled"] += 1
        except ClientError as err:
            self.metrics["Errors:" + err.response.get("Error", {}).get("Code", "?")] += 1

    def _event(self, shard: str, what: str) -> None:
        self.events.append((self.now(), self.worker_id, shard, what))

    def count(self, name: str, value: float = 1) -> None:
        self.metrics[name] += value

    # -- holding leases ---------------------------------------------------------------------------
    def _hold(self, lease: Lease) -> None:
        self.held[lease.key] = lease
        self.last_renewed[lease.key] = self.now()
        self.throughput[lease.key] = lease.throughput_kbps  # the EMA goes on from what the last owner measured
        self.metrics["TakenLeases"] += 1
        self._pending_metrics["TakenLeases"] += 1
        self._event(lease.key, "holds")
        if lease.ended or lease.key in self.consumers:
            return
        consumer = ShardConsumer(self, lease)
        self.consumers[lease.key] = consumer
        period = Q.EFO_HEARTBEAT_SECONDS if self.config.fanout else self.config.idle_between_reads
        consumer.task = self.scheduler.call_every(float(period), consumer.tick,
                                                  name=f"kcl {self.worker_id[:8]} {lease.key}", first=0)

    def _drop(self, key: str, how: str) -> None:
        self.held.pop(key, None)
        self.last_renewed.pop(key, None)
        consumer = self.consumers.pop(key, None)
        if consumer is not None:
            if consumer.task is not None:
                consumer.task.cancel()
            if how == "handoff":
                consumer.shutdown_requested()
            else:
                consumer.lease_lost()
        self.metrics["LostLeases"] += 1
        self._pending_metrics["LostLeases"] += 1
        self._event(key, "lost" if how != "handoff" else "handed off")

    def renew_leases(self) -> None:
        now = self.now()
        interval = self.config.renewal_interval
        alpha = Q.KCL_WORKER_METRICS_EMA_ALPHA
        for key in sorted(self.held):
            lease = self.held.get(key)
            if lease is None:
                continue
            consumer = self.consumers.get(key)
            sample = (consumer.bytes_since_renewal / 1024 / interval) if consumer is not None else 0.0
            if consumer is not None:
                consumer.bytes_since_renewal = 0
            self.throughput[key] = alpha * sample + (1 - alpha) * self.throughput.get(key, 0.0)
            try:
                ok = self.table.renew(lease, self.worker_id, self.throughput[key])
            except LeaseTableThrottled:
                self.metrics["LeaseTableThrottled"] += 1
                if now - self.last_renewed.get(key, now) > self.config.failover:
                    self._drop(key, "expired")  # not renewed within F: this worker must stop processing
                continue
            if ok:
                self.last_renewed[key] = now
                continue
            fresh = self.table.get(key)
            if fresh is not None and fresh.owner == self.worker_id and fresh.checkpoint_owner is None:
                lease.counter = fresh.counter  # the leader re-assigned it to us: keep it
                continue
            if fresh is not None and fresh.checkpoint_owner == self.worker_id and self.config.is_graceful_lease_handoff_enabled:
                lease.counter = fresh.counter
                self._drop(key, "handoff")
                self.table.finish_handoff(key, self.worker_id)
                continue
            self._drop(key, "lost")

    # -- 3.x: leader lock, worker metrics, assignment, discovery ----------------------------------------
    def leader_lock(self) -> None:
        now = self.now()
        lease_millis = int(Q.KCL_LEADER_LOCK_LEASE_MILLIS)
        item = self.table.read_lock()
        self.lock_version += 1
        version = f"{self.worker_id}:{self.lock_version}"
        if item is None:
            self._leader = self.table.write_lock(self.worker_id, version, None, lease_millis)
        elif item["ownerName"]["S"] == self.worker_id:
            self._leader = self.table.write_lock(self.worker_id, version, item["recordVersionNumber"]["S"], lease_millis)
        else:
            current = item["recordVersionNumber"]["S"]
            self._leader = False
            if self.lock_seen is None or self.lock_seen[0] != current:
                self.lock_seen = (current, now)
            elif now - self.lock_seen[1] >= lease_millis / 1000:
                self._leader = self.table.write_lock(self.worker_id, version, current, lease_millis)
        if self._leader:
            self._event("", "leader")

    def report_metrics(self) -> None:
        self.table.report_worker(self.worker_id, self.now(), sum(self.throughput.get(k, 0.0) for k in self.held))

    def _expired(self, leases: list[Lease]) -> set[str]:
        now = self.now()
        expired = set()
        for lease in leases:
            seen = self.seen.get(lease.key)
            if seen is None or seen[0] != lease.counter:
                self.seen[lease.key] = (lease.counter, now)
            elif now - seen[1] > self.config.failover:
                expired.add(lease.key)
            if lease.owner is None:
                expired.add(lease.key)
        return expired

    def assign_leases(self) -> None:
        if not self._leader:
            return
        now = self.now()
        items = self.table.scan_items()
        leases = sorted((Lease.from_item(i) for i in items if i.get("entityType", {}).get("S") == "LEASE"),
                        key=lambda lease: lease.key)
        horizon = Q.KCL_DEAD_WORKER_SKIPPED_STATS * self.config.worker_metrics_reporter_freq_in_millis / 1000
        active = sorted(w for w, t in self.table.worker_reports(items).items() if now - t <= horizon)
        expired = self._expired(leases)
        pending = set()
        timeout = self.config.graceful_lease_handoff_timeout_millis / 1000
        for lease in leases:
            if lease.checkpoint_owner:
                since = self.handoff_seen.setdefault(lease.key, now)
                if now - since < timeout:
                    pending.add(lease.key)
            else:
                self.handoff_seen.pop(lease.key, None)
        moves = assignment_moves(
            leases, active, expired=expired - pending,
            by_throughput=self.config.lease_assignment_strategy == "WORKER_UTILIZATION_AWARE",
            threshold_pct=self.config.re_balance_threshold_percentage, dampening_pct=self.config.dampening_percentage,
            handoff_pending=pending,
        )
        self.metrics["NumWorkers"] = len(active)
        for lease, owner, rebalance in moves:
            graceful = rebalance and self.config.is_graceful_lease_handoff_enabled and lease.owner is not None
            if self.table.assign(lease, owner, handoff_from=lease.owner if graceful else None):
                self.seen[lease.key] = (lease.counter, now)
                self.metrics["AssignedLeases"] += 1

    def discover_leases(self) -> None:
        now = self.now()
        timeout = self.config.graceful_lease_handoff_timeout_millis / 1000
        for key in self.table.owned_by(self.worker_id):
            if key in self.held:
                continue
            fresh = self.table.get(key)
            if fresh is None or fresh.owner != self.worker_id:
                continue
            if fresh.checkpoint_owner and fresh.checkpoint_owner != self.worker_id:
                since = self.handoff_seen.setdefault(key, now)
                if now - since < timeout:
                    continue  # the old owner is still checkpointing: wait (graceful handoff)
                if not self.table.assign(fresh, self.worker_id):
                    continue
            self.handoff_seen.pop(key, None)
            self._hold(fresh)

    # -- 2.x compatible mode: every worker takes and steals -------------------------------------------
    def take_leases(self) -> None:
        leases = self.table.list_leases()
        expired = self._expired(leases)
        owners = {lease.owner for lease in leases if lease.owner and lease.key not in expired}
        self._leader = self.worker_id == min(owners | {self.worker_id})
        live = [lease for lease in leases if not lease.ended]
        workers = len(owners | {self.worker_id})
        self.metrics["NumWorkers"] = workers
        self.metrics["LeasesToTake"] = max(0, min(self.config.max_leases_for_worker, math.ceil(len(live) / workers))
                                           - sum(1 for lease in live if lease.owner == self.worker_id))
        for lease in leases_to_take(leases, self.worker_id, expired=expired, max_leases=self.config.max_leases_for_worker,
                                    max_steal=self.config.max_leases_to_steal_at_one_time):
            if lease.key in self.held:
                continue
            if self.table.assign(lease, self.worker_id):
                self._hold(lease)

    # -- shards: sync, children, cleanup ------------------------------------------------------------
    def _list_shards(self, **filters: Any) -> list[dict[str, Any]]:
        shards: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"StreamName": self.stream_name, **filters}
        while True:
            page = self.kinesis.list_shards(**kwargs)
            shards.extend(page.get("Shards", []))
            if not page.get("NextToken"):
                return shards
            kwargs = {"NextToken": page["NextToken"]}

    def sync_shards(self) -> None:
        """Create leases for shards that need one (KCL's hierarchical shard sync, simplified).

        Empty table: TRIM_HORIZON starts from the oldest ancestors, LATEST from the open shards. Later:
        an open shard gets a lease only if none of its ancestors still has one to finish; children of a
        shard the KCL processed get theirs at that shard's end (ChildShards).
        """
        shards = self._list_shards()
        by_id = {s["ShardId"]: s for s in shards}
        existing = {lease.key: lease for lease in self.table.list_leases()}

        def parents(shard: dict[str, Any]) -> tuple[str, ...]:
            return tuple(p for p in (shard.get("ParentShardId"), shard.get("AdjacentParentShardId")) if p in by_id)

        def is_open(shard: dict[str, Any]) -> bool:
            return "EndingSequenceNumber" not in shard.get("SequenceNumberRange", {})

        def lease_for(shard: dict[str, Any], checkpoint: str) -> Lease:
            rng = shard["HashKeyRange"]
            return Lease(shard["ShardId"], checkpoint=checkpoint, parents=parents(shard),
                         starting_hash_key=rng["StartingHashKey"], ending_hash_key=rng["EndingHashKey"])

        initial = self.config.initial_position_in_stream
        if not existing:
            if initial == "TRIM_HORIZON":
                wanted = [s for s in shards if not parents(s)]
            elif initial == "AT_TIMESTAMP":  # the shards open at that moment (KCL: ShardFilter AT_TIMESTAMP)
                at = {"Type": "AT_TIMESTAMP", "Timestamp": self.config.initial_position_in_stream_extended}
                open_then = {s["ShardId"] for s in self._list_shards(ShardFilter=at)}
                wanted = [s for s in shards if s["ShardId"] in open_then]
            else:
                wanted = [s for s in shards if is_open(s)]
            for shard in wanted:
                self.table.create(lease_for(shard, initial))
            return

        def ancestor_unfinished(shard_id: str, depth: int = 0) -> bool:
            for parent in parents(by_id[shard_id]):
                lease = existing.get(parent)
                if (lease is not None and not lease.ended) or (depth < 64 and ancestor_unfinished(parent, depth + 1)):
                    return True
            return False

        for shard in shards:
            if shard["ShardId"] in existing or not is_open(shard) or ancestor_unfinished(shard["ShardId"]):
                continue
            self.table.create(lease_for(shard, "TRIM_HORIZON" if parents(shard) else initial))

    def _initial_sync(self) -> None:
        """Retried every second until the lease table accepts it (it may be throttled)."""
        self.sync_shards()
        self._synced = True
        self._sync_task.cancel()

    def periodic_shard_sync(self) -> None:
        if self.is_leader:
            self.sync_shards()

    def cleanup_leases(self) -> None:
        if not self.config.cleanup_leases_upon_shard_completion:
            return
        for key in sorted(self.held):
            lease = self.held[key]
            fresh = self.table.get(key)
            if fresh is None or not fresh.ended or not fresh.children:
                continue
            children = [self.table.get(child) for child in fresh.children]
            if all(c is not None and c.checkpoint not in ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP") for c in children):
                if self.table.delete(key):
                    self.held.pop(key, None)
                    self.consumers.pop(key, None)
                    self._event(key, "cleaned up")

    # -- callbacks and what the consumers report --------------------------------------------------------
    def invoke(self, consumer: ShardConsumer, method: str, message: Any) -> None:
        """Call one processor method, in simulated time; an exception is reported, and the worker goes on."""
        if method in ("initialize", "shard_ended", "lease_lost", "shutdown_requested"):
            self._event(consumer.shard_id, method)
        try:
            with callback_time(self.scheduler):
                getattr(consumer.processor, method)(message)
        except Exception as exc:  # as KCLProcess._perform_action: report it, keep the worker running
            self.report_problem(consumer, method, exc, traceback.format_exc())

    def report_problem(self, consumer: ShardConsumer, action: str, error: Any, tb: str = "") -> None:
        failure = ProcessorFailure(self.now(), consumer.shard_id, action, error, tb)
        self.failures.append(failure)
        what = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
        warnings.warn(f"labsim.kcl worker {self.worker_id[:8]}, {consumer.shard_id}, {action}: {what} "
                      "(the worker goes on; see worker.failures for the traceback)", KclWarning, stacklevel=2)

    def delivered(self, consumer: ShardConsumer, records: list[Any], size: int, behind: int) -> None:
        self.metrics["RecordsProcessed"] += len(records)
        self.metrics["DataBytesProcessed"] += size
        self._pending_metrics["RecordsProcessed"] += len(records)
        self._pending_metrics["DataBytesProcessed"] += size
        self._behind = max(self._behind, behind or 0)

    def record_checkpoint(self, shard_id: str, target: tuple[str, int]) -> None:
        self.metrics["Checkpoints"] += 1

    def publish_metrics(self) -> None:
        """The KCL's summary metrics under the application's namespace (kinesis-facts 5.4)."""
        pending, self._pending_metrics = self._pending_metrics, Counter()
        behind, self._behind = self._behind, 0

        def datum(name: str, value: float, unit: str, operation: str) -> dict[str, Any]:
            return {"MetricName": name, "Value": float(value), "Unit": unit, "Timestamp": self.now(),
                    "Dimensions": [{"Name": "Operation", "Value": operation}]}

        data = [
            datum("RecordsProcessed", pending["RecordsProcessed"], "Count", "ProcessTask"),
            datum("DataBytesProcessed", pending["DataBytesProcessed"], "Bytes", "ProcessTask"),
            datum("MillisBehindLatest", behind, "Milliseconds", "ProcessTask"),
            datum("CurrentLeases", len(self.held), "Count", "RenewAllLeases"),
            datum("LostLeases", pending["LostLeases"], "Count", "RenewAllLeases"),
            datum("TakenLeases", pending["TakenLeases"], "Count", "TakeLeases"),
            datum("LeasesToTake", self.metrics.get("LeasesToTake", 0), "Count", "TakeLeases"),
            datum("NumWorkers", self.metrics.get("NumWorkers", 0), "Count", "TakeLeases"),
        ]
        self.cloudwatch.put_metric_data(Namespace=self.application_name, MetricData=data)
