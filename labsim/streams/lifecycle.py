"""Stream status transitions on the lab clock.

::

    CreateStream ──> CREATING ──(quotas.STREAM_CREATING_SECONDS)──> ACTIVE
    SplitShard / MergeShards / UpdateShardCount / UpdateStreamMode
                     ACTIVE ──> UPDATING ──(quotas.STREAM_UPDATING_SECONDS)──> ACTIVE
    DeleteStream     ACTIVE ──> DELETING ──(quotas.STREAM_DELETING_SECONDS)──> gone

What each status allows (kinesis-facts 1.4; KDS-API StreamStatus, CreateStream, DeleteStream):

- CREATING: the stream is listed and described, but data-plane calls answer
  ResourceNotFoundException (it is not there yet for reads and writes); control-plane changes answer
  ResourceInUseException.
- ACTIVE: everything.
- UPDATING: reads and writes continue; control-plane changes answer ResourceInUseException.
- DELETING: reads and writes may continue until the stream is gone; changes answer
  ResourceInUseException; afterwards everything answers ResourceNotFoundException.

The durations are labsim's model (AWS documents the states, not their lengths); boto3's
``stream_exists`` waiter polls DescribeStream with ``time.sleep``, which moves the virtual clock,
so the waiter returns at once.
"""

from __future__ import annotations

from typing import Any, Callable

from labsim import quotas

from .model import Stream

#: Statuses in which PutRecord(s)/GetRecords/GetShardIterator are served.
DATA_PLANE_STATUSES = frozenset({"ACTIVE", "UPDATING", "DELETING"})


def schedule_active(clock: Any, stream: Stream, delay: float, name: str) -> None:
    """Set ``stream`` ACTIVE after ``delay`` seconds unless it is being deleted by then."""

    def activate() -> None:
        if stream.status in ("CREATING", "UPDATING"):
            stream.status = "ACTIVE"

    clock.call_later(delay, activate, name=name)


def begin_creating(clock: Any, stream: Stream) -> None:
    stream.status = "CREATING"
    schedule_active(clock, stream, float(quotas.STREAM_CREATING_SECONDS), f"kinesis-create-{stream.name}")


def begin_updating(clock: Any, stream: Stream, seconds: float | None = None) -> None:
    stream.status = "UPDATING"
    delay = float(quotas.STREAM_UPDATING_SECONDS if seconds is None else seconds)
    schedule_active(clock, stream, delay, f"kinesis-update-{stream.name}")


def begin_deleting(clock: Any, stream: Stream, remove: Callable[[Stream], None]) -> None:
    stream.status = "DELETING"

    def gone() -> None:
        remove(stream)

    clock.call_later(float(quotas.STREAM_DELETING_SECONDS), gone, name=f"kinesis-delete-{stream.name}")
