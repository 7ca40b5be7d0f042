"""How CloudWatch Logs and IoT rules write into the lab's streams: ONE function per destination service.

Both go through the receiving backend's own write path in-process (no JSON, no HTTP), so the stream's
limits, throttling and metrics apply to them as to any producer. When the Kinesis domain API moves
(issue 8), only these two functions change.
"""

from __future__ import annotations

from typing import Any

from labsim import _moto


def put_into_stream(context: Any, stream_arn_or_name: str, records: list[tuple[bytes, str]]) -> list[str | None]:
    """Write ``(data, partition key)`` records to a Kinesis stream; per record ``None`` or its error code."""
    backend = _moto.get_backend("kinesis")[context.account_id][context.region]
    if stream_arn_or_name.startswith("arn:"):
        stream = backend.data_stream(None, stream_arn_or_name)
    else:
        stream = backend.data_stream(stream_arn_or_name, None)
    entries = [(data, key, len(key.encode("utf-8")), None) for data, key in records]
    outcomes, _ = backend.write(stream, entries, batch=True)   # (sequence number, shard id, error code) each
    return [error for _, _, error in outcomes]


def put_into_firehose(context: Any, delivery_stream_arn_or_name: str, records: list[bytes]) -> None:
    """Write records to a Firehose delivery stream through its backend's PutRecordBatch."""
    backend = _moto.get_backend("firehose")[context.account_id][context.region]
    name = delivery_stream_arn_or_name.split("/")[-1]
    backend.put_record_batch(name, [{"Data": data} for data in records])
