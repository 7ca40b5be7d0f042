"""The AWS event-stream binary framing (``application/vnd.amazon.eventstream``), encode side.

SubscribeToShard answers with a body of *messages*, not JSON. botocore
(``botocore/eventstream.py``) decodes them and its JSON parser turns each into a Python dict;
this module writes them so that a learner's plain ``for event in resp["EventStream"]:`` works.

One message, all integers big-endian::

    total length (4) | headers length (4) | prelude CRC32 (4)       <- the 12-byte prelude
    headers (headers length bytes)
    payload (total - headers - 16 bytes)
    message CRC32 (4)                                               <- CRC of everything before it

A header is ``name length (1) | name (UTF-8) | type (1) | value``; labsim only needs type 7
(string: ``length (2) | UTF-8 bytes``). Kinesis sends three kinds of message:

- ``:message-type event``, ``:event-type initial-response``: first, payload ``{}``; botocore
  requires it before the first real event.
- ``:message-type event``, ``:event-type SubscribeToShardEvent``, ``:content-type application/json``:
  payload is the event's JSON (``Records``, ``ContinuationSequenceNumber``, ``MillisBehindLatest``,
  ``ChildShards``).
- ``:message-type exception``, ``:exception-type ResourceInUseException`` (or another modeled
  error): payload ``{"message": ...}``; botocore raises ``EventStreamError`` (a ``ClientError``)
  from the iteration, with ``e.response["Error"]["Code"]`` set to the exception type.

>>> raw = encode_message({":message-type": "event", ":event-type": "initial-response"}, b"{}")
>>> decode_messages(raw)[0]["headers"][":event-type"]
'initial-response'
"""

from __future__ import annotations

import json
import struct
from binascii import crc32
from typing import Any

CONTENT_TYPE = "application/vnd.amazon.eventstream"

_PRELUDE = struct.Struct("!II")
_U32 = struct.Struct("!I")
_STRING = 7


def _encode_headers(headers: dict[str, str]) -> bytes:
    out = bytearray()
    for name, value in headers.items():
        name_b = name.encode("utf-8")
        value_b = value.encode("utf-8")
        out += bytes((len(name_b),)) + name_b + bytes((_STRING,)) + struct.pack("!H", len(value_b)) + value_b
    return bytes(out)


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message with string ``headers`` and ``payload``."""
    head = _encode_headers(headers)
    total = 12 + len(head) + len(payload) + 4
    prelude = _PRELUDE.pack(total, len(head))
    prelude += _U32.pack(crc32(prelude) & 0xFFFFFFFF)
    body = prelude + head + payload
    return body + _U32.pack(crc32(body) & 0xFFFFFFFF)


def initial_response() -> bytes:
    """The ``initial-response`` message botocore reads before handing out the EventStream."""
    return encode_message({":message-type": "event", ":event-type": "initial-response", ":content-type": "application/json"}, b"{}")


def event_message(event_type: str, payload: dict[str, Any] | bytes) -> bytes:
    """An event (e.g. ``SubscribeToShardEvent``) whose payload is JSON."""
    if not isinstance(payload, bytes):
        payload = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return encode_message({":message-type": "event", ":event-type": event_type, ":content-type": "application/json"}, payload)


def exception_message(exception_type: str, message: str) -> bytes:
    """A modeled error inside the stream (botocore raises ``EventStreamError``)."""
    payload = json.dumps({"message": message}).encode("utf-8")
    return encode_message(
        {":message-type": "exception", ":exception-type": exception_type, ":content-type": "application/json"}, payload
    )


def decode_messages(data: bytes) -> list[dict[str, Any]]:
    """Decode messages with botocore's own decoder (for tests and lessons that show the bytes)."""
    from botocore.eventstream import EventStreamBuffer

    buf = EventStreamBuffer()
    buf.add_data(data)
    return [{"headers": m.headers, "payload": m.payload} for m in buf]
