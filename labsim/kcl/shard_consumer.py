"""One shard's consumer inside a worker: wait for parents, initialize, poll, deliver, end.

States (KCL ``lifecycle/ConsumerStates``): WAITING_ON_PARENT_SHARDS -> INITIALIZING -> PROCESSING ->
SHUTTING_DOWN -> SHUTDOWN_COMPLETE. Each lab-clock tick (every ``idle_time_between_reads_in_millis``)
does one step. Reading is plain boto3 polling (GetShardIterator / GetRecords) behind one function,
:func:`read_batch`, so the read side can be rewired in one place.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

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
                 "next_parent_check", "bytes_since_renewal", "floor", "task", "stuck", "last_read_seq")

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
        self.last_read_seq: str | None = None

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

    def _fresh_iterator(self) -> str:
        lease = self.lease
        kwargs: dict[str, Any] = {"StreamName": self.worker.stream_name, "ShardId": lease.key}
        if self.last_read_seq is not None:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=self.last_read_seq)
        elif lease.checkpoint.isdigit():
            kwargs.update(ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=lease.checkpoint)
        else:
            kwargs.update(ShardIteratorType=lease.checkpoint if lease.checkpoint in ("TRIM_HORIZON", "LATEST") else "TRIM_HORIZON")
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
        self.iterator = response.get("NextShardIterator")
        behind = response.get("MillisBehindLatest", 0)
        if records or worker.config.call_process_records_even_for_empty_record_list:
            last = records[-1] if records else None
            if last is not None:
                self.checkpointer.largest = (last.sequence_number, last.sub_sequence_number)
            self.bytes_since_renewal += size
            worker.delivered(self, records, size, behind)
            worker.invoke(self, "process_records",
                          ProcessRecordsInput({"records": records, "millisBehindLatest": behind}, self.checkpointer))
        if self.iterator is None and self.state == PROCESSING:
            self._shard_end(response.get("ChildShards", []))

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
        self.state = DONE
        if self.checkpointer is not None:
            self.checkpointer.closed = True
