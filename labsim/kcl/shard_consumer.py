"""One shard's consumer inside a worker: wait for parents, initialize, read, deliver, end.

States (KCL ``lifecycle/ConsumerStates``): WAITING_ON_PARENT_SHARDS -> INITIALIZING -> PROCESSING ->
SHUTTING_DOWN -> SHUTDOWN_COMPLETE. Each lab-clock tick does one step. Records come one of two ways,
plain boto3 either way:

- polling (``retrieval_mode`` POLLING): GetShardIterator, then one GetRecords per tick, every
  ``idle_time_between_reads_in_millis``; the shard's 5 reads/s and 2 MB/s are shared with every
  other polling reader;
- fan-out (FANOUT, the KCL 3.x default): SubscribeToShard with the worker's consumer (named after the
  application), one event of the subscription per tick; the subscription ends after 5 minutes and is
  renewed from its last ``ContinuationSequenceNumber`` (AFTER_SEQUENCE_NUMBER); the last event of a
  closed shard carries its ``ChildShards``.

Lab model of fan-out (the lab's choice): the service pushes events as records arrive (about 70 ms);
on the lab clock an event is produced when it is read, and reading an idle subscription waits, which
would move the lab clock from inside a task. So the consumer reads one event per
``quotas.EFO_HEARTBEAT_SECONDS`` (1 s), when the service would have sent one in any case (data or a
heartbeat): a batch holds what arrived in that second, up to the consumer's own 2 MiB/s per shard.
Records reach ``process_records`` within about a second, not 70 ms; the throughput is fan-out's.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .. import quotas as Q
from ..kpl import deaggregate
from .checkpointer import Checkpointer, position
from .lease_table import Lease
from .messages import (InitializeInput, LeaseLostInput, ProcessRecordsInput, Record, ShardEndedInput,
                       ShutdownRequestedInput)
from .processor import adapt

WAITING, INITIALIZING, PROCESSING, SHUTTING_DOWN, DONE = (
    "WAITING_ON_PARENT_SHARDS", "INITIALIZING", "PROCESSING", "SHUTTING_DOWN", "SHUTDOWN_COMPLETE")


def read_batch(kinesis: Any, iterator: str, limit: int) -> dict[str, Any]:
    """One GetRecords call (the only place the KCL reads records)."""
    return kinesis.get_records(ShardIterator=iterator, Limit=limit)


class ShardConsumer:
    __slots__ = ("worker", "lease", "shard_id", "state", "processor", "checkpointer", "iterator", "busy",
                 "next_parent_check", "bytes_since_renewal", "floor", "task", "stuck", "last_read_seq",
                 "events", "subscription", "subscribed_at", "subscriptions")

    def __init__(self, worker: Any, lease: Lease) -> None:
        self.worker = worker
        self.lease = lease
        self.shard_id = lease.key
        self.state = WAITING
        self.processor: Any = None
        self.checkpointer: Checkpointer | None = None
        self.iterator: str | None = None
        self.busy = False
        self.next_parent_check = 0.0
        self.bytes_since_renewal = 0
        self.floor: tuple[int, int] | None = None
        self.task: Any = None
        self.stuck: str | None = None
        self.last_read_seq: str | None = None  # polling: last record read; fan-out: ContinuationSequenceNumber
        self.events: Any = None  # fan-out: the open subscription's event iterator
        self.subscription: Any = None  # its botocore EventStream (closed when the lease goes)
        self.subscribed_at: float | None = None
        self.subscriptions = 0  # SubscribeToShard calls that succeeded, for lessons and tests

    # -- one step per tick ----------------------------------------------------------------------
    def tick(self) -> None:
        if self.busy or self.state == DONE:
            return
        self.busy = True  # a callback that sleeps moves the clock: do not re-enter this consumer
        try:
            if self.state == WAITING and not self._parents_done():
                return
            if self.state == WAITING:
                self.state = INITIALIZING
            if self.state == INITIALIZING:
                self._initialize()
            if self.state == PROCESSING:
                if self.worker.config.fanout:
                    self._read_subscription()
                else:
                    self._poll()
        finally:
            self.busy = False

    def _parents_done(self) -> bool:
        now = self.worker.now()
        if now < self.next_parent_check:
            return False
        for parent in self.lease.parents:
            parent_lease = self.worker.table.get(parent)
            if parent_lease is not None and not parent_lease.ended:
                self.next_parent_check = now + self.worker.config.parent_shard_poll_interval_millis / 1000.0
                return False
        return True

    def _initialize(self) -> None:
        lease = self.lease
        try:
            self.processor = adapt(self.worker.processor_factory())
        except Exception as exc:  # the daemon could not start the processor: the shard waits, reported
            self.state = DONE
            self.stuck = f"processor_factory() raised {type(exc).__name__}: {exc}"
            self.worker.report_problem(self, "create processor", exc)
            return
        self.checkpointer = Checkpointer(self)
        self.floor = position(lease.checkpoint, lease.sub)
        self.state = PROCESSING
        self.worker.invoke(self, "initialize", InitializeInput(
            {"shardId": lease.key, "sequenceNumber": lease.checkpoint, "subSequenceNumber": lease.sub}))

    def _start(self) -> dict[str, Any]:
        """Where reading (re)starts: after the last record read, else at the checkpoint, else the lease's
        initial position, as {"Type": ..., "SequenceNumber"/"Timestamp": ...}."""
        lease = self.lease
        if self.last_read_seq is not None:
            return {"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self.last_read_seq}
        if lease.checkpoint.isdigit():
            return {"Type": "AT_SEQUENCE_NUMBER", "SequenceNumber": lease.checkpoint}  # floor drops <= checkpoint
        if lease.checkpoint == "AT_TIMESTAMP":
            return {"Type": "AT_TIMESTAMP", "Timestamp": self.worker.config.initial_position_in_stream_extended}
        return {"Type": lease.checkpoint if lease.checkpoint in ("TRIM_HORIZON", "LATEST") else "TRIM_HORIZON"}

    def _fresh_iterator(self) -> str:
        start = self._start()
        kwargs: dict[str, Any] = {"StreamName": self.worker.stream_name, "ShardId": self.lease.key,
                                  "ShardIteratorType": start["Type"]}
        if "SequenceNumber" in start:
            kwargs["StartingSequenceNumber"] = start["SequenceNumber"]
        if "Timestamp" in start:
            kwargs["Timestamp"] = start["Timestamp"]
        return self.worker.kinesis.get_shard_iterator(**kwargs)["ShardIterator"]

    def _poll(self) -> None:
        worker = self.worker
        try:
            if self.iterator is None:
                self.iterator = self._fresh_iterator()
            response = read_batch(worker.kinesis, self.iterator, worker.config.max_records)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code == "ExpiredIteratorException":
                self.iterator = None  # next tick starts again after the last record read
            worker.count("GetRecordsErrors:" + code)
            return
        raw = response.get("Records", [])
        if raw:
            self.last_read_seq = raw[-1]["SequenceNumber"]
        self.iterator = response.get("NextShardIterator")
        self._deliver(raw, response.get("MillisBehindLatest", 0))
        if self.iterator is None and self.state == PROCESSING:
            self._shard_end(response.get("ChildShards", []))

    # -- fan-out ---------------------------------------------------------------------------------
    def _read_subscription(self) -> None:
        """One SubscribeToShard event per tick; (re)subscribe when there is no open subscription."""
        worker = self.worker
        if self.events is None:
            consumer_arn = worker.fanout_consumer_arn()
            if consumer_arn is None:
                return  # the consumer is still CREATING: the KCL waits for ACTIVE
            try:
                response = worker.kinesis.subscribe_to_shard(ConsumerARN=consumer_arn, ShardId=self.shard_id,
                                                             StartingPosition=self._start())
            except ClientError as err:  # e.g. ResourceInUseException: the last owner subscribed < 5 s ago
                code = err.response.get("Error", {}).get("Code", "")
                worker.count("SubscribeToShardErrors:" + code)
                if code == "ResourceNotFoundException" and "onsumer" in str(err):
                    worker.consumer_gone()
                return
            self.subscription = response["EventStream"]
            self.events = iter(self.subscription)
            self.subscribed_at = worker.now()
            self.subscriptions += 1
            worker.count("SubscribeToShard")
            return  # the first event comes at the next tick (a second later, when one is due anyway)
        try:
            event = next(self.events, None)
        except ClientError as err:  # an error event ends the subscription (e.g. another one took over)
            code = err.response.get("Error", {}).get("Code", "")
            worker.count("SubscribeToShardEventErrors:" + code)
            if code == "ResourceNotFoundException" and "onsumer" in str(err):
                worker.consumer_gone()
            self._close_subscription()
            return
        if self.state != PROCESSING:
            return  # the lease went while the event was read
        if event is None:  # 5 minutes are up: subscribe again from the continuation sequence number
            self._close_subscription()
            return
        payload = event.get("SubscribeToShardEvent")
        if payload is None:
            return
        if payload.get("ContinuationSequenceNumber"):
            self.last_read_seq = payload["ContinuationSequenceNumber"]
        self._deliver(payload.get("Records", []), payload.get("MillisBehindLatest", 0))
        if "ContinuationSequenceNumber" not in payload and self.state == PROCESSING:
            self._close_subscription()
            self._shard_end(payload.get("ChildShards", []))

    def _close_subscription(self) -> None:
        if self.subscription is not None:
            self.subscription.close()
        self.subscription = self.events = None

    # -- delivery ----------------------------------------------------------------------------------
    def _deliver(self, raw: list[dict[str, Any]], behind: int) -> None:
        """De-aggregate, drop what the checkpoint covers, and hand the batch to the processor."""
        worker = self.worker
        users = deaggregate(raw, max_key_range=(int(self.lease.starting_hash_key), int(self.lease.ending_hash_key)))
        floor = self.floor
        records = []
        size = 0
        for user in users:
            if floor is not None and (int(user.sequence_number), user.sub_sequence_number) <= floor:
                continue  # at or before the checkpoint: the KCL drops it on resume
            arrival = user.approximate_arrival_timestamp
            size += len(user.data)
            records.append(Record(binary_data=user.data, partition_key=user.partition_key,
                                  sequence_number=user.sequence_number, sub_sequence_number=user.sub_sequence_number,
                                  timestamp_millis=int(arrival.timestamp() * 1000) if arrival is not None else 0))
        if records:
            self.floor = None  # past the checkpoint: no need to compare any more
        if records or worker.config.call_process_records_even_for_empty_record_list:
            last = records[-1] if records else None
            if last is not None:
                self.checkpointer.largest = (last.sequence_number, last.sub_sequence_number)
            self.bytes_since_renewal += size
            worker.delivered(self, records, size, behind)
            worker.invoke(self, "process_records",
                          ProcessRecordsInput({"records": records, "millisBehindLatest": behind}, self.checkpointer))

    def _shard_end(self, child_shards: list[dict[str, Any]]) -> None:
        worker = self.worker
        self.state = SHUTTING_DOWN
        children = []
        for child in child_shards:
            rng = child.get("HashKeyRange", {})
            worker.table.create(Lease(child["ShardId"], checkpoint="TRIM_HORIZON", parents=tuple(child.get("ParentShards", [])),
                                      starting_hash_key=rng.get("StartingHashKey", "0"),
                                      ending_hash_key=rng.get("EndingHashKey", "0")))
            children.append(child["ShardId"])
        if children:
            worker.table.set_children(self.lease.key, children)
        self.checkpointer.at_shard_end = True
        worker.invoke(self, "shard_ended", ShardEndedInput(None, self.checkpointer))
        self.checkpointer.closed = True
        self.state = DONE
        if not self.lease.ended:
            self.stuck = ("Application didn't checkpoint at end of shard " + self.lease.key +
                          ": call shard_ended_input.checkpointer.checkpoint(), or the child shards never start")
            worker.report_problem(self, "shard_ended", self.stuck)

    # -- endings the worker asks for --------------------------------------------------------------
    def lease_lost(self) -> None:
        self._close_subscription()
        if self.state == DONE:
            return
        was_running = self.processor is not None
        self.state = DONE
        if self.checkpointer is not None:
            self.checkpointer.closed = True
        if was_running:
            self.worker.invoke(self, "lease_lost", LeaseLostInput())

    def shutdown_requested(self) -> None:
        """Graceful: the processor may checkpoint, then it loses the lease."""
        if self.state == DONE:
            return
        if self.processor is not None and self.checkpointer is not None:
            self.state = SHUTTING_DOWN
            self.worker.invoke(self, "shutdown_requested", ShutdownRequestedInput(None, self.checkpointer))
        self.lease_lost()

    def crash(self) -> None:
        self._close_subscription()  # the process is gone, and its connections with it
        self.state = DONE
        if self.checkpointer is not None:
            self.checkpointer.closed = True
