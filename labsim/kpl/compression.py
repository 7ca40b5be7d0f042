"""Compression is yours to do: the KPL sends your bytes as they are.

Neither the KPL nor Kinesis compresses records. Compressing before ``put_record`` pays off for
text such as JSON: a shard's 1 MiB/s then carries more events, and every byte counts against it.
The price is CPU on both ends, and the consumer must know to decompress (Firehose delivers the
bytes as you put them; its own ``CompressionFormat`` compresses whole files, not records).

Compress each user record before it is put, and decompress each user record after
``deaggregate`` (aggregation works on the compressed bytes; the aggregate itself is not
compressed)::

    import json
    from labsim.kpl import KinesisProducer, deaggregate
    from labsim.kpl.compression import gzip_encoder, gzip_decoder

    encode, decode = gzip_encoder(level=6), gzip_decoder()
    with KinesisProducer("clicks", client=kinesis) as producer:
        producer.put_record(encode(json.dumps(event).encode()), partition_key=event["user"])

    records = kinesis.get_records(ShardIterator=it)["Records"]
    events = [json.loads(decode(r.data)) for r in deaggregate(records)]

Small records compress badly (gzip adds about 20 bytes of header and trailer): compress a batch
of events into one user record, or use ``zlib_encoder`` (6 bytes of overhead), when records are
only a few hundred bytes.

>>> enc, dec = gzip_encoder(), gzip_decoder()
>>> payload = b'{"user": "u-1", "page": "/home"}' * 20
>>> len(payload), len(enc(payload)) < len(payload), dec(enc(payload)) == payload
(640, True, True)
"""

from __future__ import annotations

import gzip
import zlib
from typing import Callable

Codec = Callable[[bytes], bytes]


def _check_level(level: int) -> None:
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 9:
        raise ValueError(f"level must be an integer from 0 (none) to 9 (smallest), got {level!r}")


def gzip_encoder(level: int = 6) -> Codec:
    """A function ``bytes -> gzip bytes`` (``mtime=0``, so equal input gives equal output)."""
    _check_level(level)

    def encode(data: bytes) -> bytes:
        return gzip.compress(data, compresslevel=level, mtime=0)

    return encode


def gzip_decoder() -> Codec:
    """A function ``gzip bytes -> bytes``; raises ``ValueError`` for data that is not gzip."""

    def decode(data: bytes) -> bytes:
        if data[:2] != b"\x1f\x8b":
            raise ValueError("data is not gzip-compressed (it does not start with 1F 8B)")
        return gzip.decompress(data)

    return decode


def zlib_encoder(level: int = 6) -> Codec:
    """A function ``bytes -> zlib bytes`` (2-byte header, 4-byte checksum)."""
    _check_level(level)
    return lambda data: zlib.compress(data, level)


def zlib_decoder() -> Codec:
    """A function ``zlib bytes -> bytes``; raises ``ValueError`` (``zlib.error``) on bad input."""

    def decode(data: bytes) -> bytes:
        try:
            return zlib.decompress(data)
        except zlib.error as exc:
            raise ValueError(f"data is not zlib-compressed: {exc}") from None

    return decode
