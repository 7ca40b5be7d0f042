"""The checkpointer a processor gets: kclpy's ``checkpoint(sequence_number=None, sub_sequence_number=None)``.

Rules (KCL ``checkpoint/ShardRecordProcessorCheckpointer.java``; errors as the daemon names them):

- no argument: the last record delivered (the largest permitted value); in ``shard_ended``: SHARD_END;
- a sequence number alone means ``(seq, 0)``;
- the value must lie between the last checkpoint and the largest record delivered, else
  ``IllegalArgumentException``; a negative sub-sequence number is one too;
- after the lease is lost or the worker stopped: ``ShutdownException``; a throttled lease table:
  ``ThrottlingException`` (try again later); any other table failure: ``InvalidStateException``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .lease_table import LeaseTableThrottled
from .processor import CheckpointError


def position(sequence: str, sub: int) -> tuple[int, int] | None:
    """A comparable (sequence, sub) or None for a sentinel such as TRIM_HORIZON."""
    return (int(sequence), sub) if sequence.isdigit() else None


class Checkpointer:
    __slots__ = ("consumer", "largest", "at_shard_end", "closed")

    def __init__(self, consumer: Any) -> None:
        self.consumer = consumer
        self.largest: tuple[str, int] | None = None  # last record delivered
        self.at_shard_end = False
        self.closed = False

    def checkpoint(self, sequence_number: str | None = None, sub_sequence_number: int | None = None) -> None:
        consumer = self.consumer
        if self.closed:
            raise CheckpointError("ShutdownException", f"the lease of {consumer.shard_id} is no longer held by this worker")
        if sequence_number is None:
            if self.at_shard_end:
                target = ("SHARD_END", 0)
            elif self.largest is not None:
                target = self.largest
            else:
                target = (consumer.lease.checkpoint, consumer.lease.sub)
        else:
            sequence_number = str(sequence_number)
            sub = 0 if sub_sequence_number is None else sub_sequence_number
            if not sequence_number.isdigit() or not isinstance(sub, int) or sub < 0:
                raise CheckpointError("IllegalArgumentException",
                                      f"could not checkpoint at sequence number {sequence_number!r}, sub {sub!r}: "
                                      "pass a record's sequence_number (digits) and a sub-sequence number >= 0")
            target = (sequence_number, sub)
            wanted = position(*target)
            last = position(consumer.lease.checkpoint, consumer.lease.sub)
            largest = position(*self.largest) if self.largest else None
            if (last is not None and wanted < last) or largest is None or wanted > largest:
                raise CheckpointError(
                    "IllegalArgumentException",
                    f"could not checkpoint at {target}: a checkpoint must lie between the last checkpoint "
                    f"({consumer.lease.checkpoint}, {consumer.lease.sub}) and the last record delivered {self.largest}",
                )
        try:
            ok = self._write(target)
        except LeaseTableThrottled:
            raise CheckpointError("ThrottlingException", "the lease table refused the write "
                                  "(ProvisionedThroughputExceededException): try again later") from None
        except ClientError as err:
            raise CheckpointError("InvalidStateException", str(err)) from None
        if not ok:
            self.closed = True
            raise CheckpointError("ShutdownException", f"the lease of {consumer.shard_id} was taken by another worker")
        consumer.worker.record_checkpoint(consumer.shard_id, target)

    def _write(self, target: tuple[str, int]) -> bool:
        """Conditional on the lease counter; if the counter moved but the lease is still ours to
        checkpoint (the leader re-assigned it, or a graceful handoff gave us ``checkpointOwner``),
        adopt the new counter and write once more."""
        worker, lease = self.consumer.worker, self.consumer.lease
        if worker.table.checkpoint(lease, worker.worker_id, target[0], target[1]):
            return True
        fresh = worker.table.get(lease.key)
        me = worker.worker_id
        if fresh is None or not (fresh.checkpoint_owner == me or (fresh.owner == me and fresh.checkpoint_owner is None)):
            return False
        lease.counter = fresh.counter
        return worker.table.checkpoint(lease, me, target[0], target[1])

    def __repr__(self) -> str:
        return f"<Checkpointer {self.consumer.shard_id} last delivered {self.largest}>"
