"""The KPL's aggregated-record format, written by hand: encode, decode, deaggregate.

Aggregation packs many *user records* (what your application puts) into one *Kinesis record*
(what the service stores and bills), so small records stop being limited by the 1,000 records/s
per shard. The format is public (KPL ``aggregation-format.md``; kinesis-facts 4.2)::

    bytes 0-3   magic F3 89 9A C2
    bytes 4...  protobuf (proto2) AggregatedRecord
    last 16     MD5 of the protobuf bytes only

    message AggregatedRecord { repeated string partition_key_table = 1;
                               repeated string explicit_hash_key_table = 2;
                               repeated Record records = 3; }
    message Record { required uint64 partition_key_index = 1;
                     optional uint64 explicit_hash_key_index = 2;
                     required bytes data = 3;
                     repeated Tag tags = 4; }
    message Tag { required string key = 1; optional string value = 2; }

Keys are stored once in the tables and records point at them by index. The protobuf wire format
needs only two things here: *varints* (7 bits per byte, low bits first, high bit = "more") and
*length-delimited* fields (a varint length, then the bytes). A field starts with a key byte
``field_number << 3 | wire_type`` (0 = varint, 2 = length-delimited), so the key of field 3 as a
length-delimited value is ``0x1A``. Fields are written in field-number order, as protobuf's own
serializers do, so our bytes are identical to those of the KPL and of ``aws_kinesis_agg``.

>>> blob = encode_aggregated([("user-1", None, b"hello"), ("user-2", None, b"world")])
>>> blob[:4].hex(), len(blob)
('f3899ac2', 58)
>>> [(r.partition_key, r.data) for r in decode_aggregated(blob)]
[('user-1', b'hello'), ('user-2', b'world')]

Consumers call :func:`deaggregate` on GetRecords output (see its docstring); it gives every user
record the outer record's sequence number plus a *sub-sequence number* (its position inside the
aggregate), which is what the KCL checkpoints.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Iterator, Mapping, Sequence

from labsim.keyspace import MAX_HASH_KEY, hash_key_for

__all__ = [
    "MAGIC",
    "DIGEST_SIZE",
    "OVERHEAD",
    "MAX_HASH_KEY",
    "AggregationFormatError",
    "AggregatedRecordBuilder",
    "UserRecord",
    "encode_aggregated",
    "decode_aggregated",
    "is_aggregated",
    "deaggregate",
    "hash_key_of",
    "encode_varint",
    "decode_varint",
]

#: First four bytes of every aggregated record (KPL ``kinesis_record.h`` kMagic).
MAGIC = b"\xf3\x89\x9a\xc2"
#: Length of the MD5 trailer.
DIGEST_SIZE = 16
#: Fixed bytes an aggregate adds around its protobuf: magic + MD5 = 20.
OVERHEAD = len(MAGIC) + DIGEST_SIZE

_md5 = hashlib.md5

# Key bytes: (field_number << 3) | wire_type.
_PK_TABLE = 0x0A  # AggregatedRecord.partition_key_table, length-delimited
_EHK_TABLE = 0x12  # AggregatedRecord.explicit_hash_key_table, length-delimited
_RECORDS = 0x1A  # AggregatedRecord.records, length-delimited
_PK_INDEX = 0x08  # Record.partition_key_index, varint
_EHK_INDEX = 0x10  # Record.explicit_hash_key_index, varint
_DATA = 0x1A  # Record.data, length-delimited
_TAGS = 0x22  # Record.tags, length-delimited


class AggregationFormatError(ValueError):
    """A record carries the aggregation magic but is not a valid aggregate (bad MD5 or protobuf)."""


# --- varints ---------------------------------------------------------------------------------------
def encode_varint(value: int) -> bytes:
    """Protobuf base-128 varint of a non-negative integer.

    >>> encode_varint(1).hex(), encode_varint(300).hex()
    ('01', 'ac02')
    """
    if value < 0:
        raise ValueError(f"varints here are unsigned, got {value}")
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


_SMALL_VARINTS = [encode_varint(i) for i in range(16384)]


def _varint_cached(value: int) -> bytes:
    return _SMALL_VARINTS[value] if value < 16384 else encode_varint(value)


def varint_size(value: int) -> int:
    """How many bytes ``encode_varint(value)`` takes."""
    size = 1
    while value >= 0x80:
        value >>= 7
        size += 1
    return size


def decode_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Read a varint at ``pos``; return ``(value, next_pos)``. Raises ``ValueError`` if cut short."""
    result = 0
    shift = 0
    end = len(buf)
    while True:
        if pos >= end:
            raise ValueError("varint runs past the end of the message")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 64:
            raise ValueError("varint longer than 10 bytes")


def _length_delimited(key: int, payload: bytes) -> bytes:
    return bytes((key,)) + encode_varint(len(payload)) + payload


# --- hashing ---------------------------------------------------------------------------------------
def hash_key_of(partition_key: str, explicit_hash_key: str | int | None = None) -> int:
    """The 128-bit hash key that routes a record: the explicit hash key if given, else MD5 of the
    partition key's UTF-8 bytes read as a big-endian unsigned integer (kinesis-facts 1.7; the one
    rule lives in ``labsim.keyspace``)."""
    return hash_key_for(partition_key, None if explicit_hash_key is None else str(explicit_hash_key))


# --- encoding --------------------------------------------------------------------------------------
class AggregatedRecordBuilder:
    """Collects user records for one aggregate and knows its exact size at every step.

    ``size_with(pk, ehk, data)`` says how big the aggregate would be after adding a record, so a
    producer can close the aggregate *before* it passes ``AggregationMaxSize``. A builder holding
    a single record is sent as that record's raw data (KPL ``kinesis_record.cc``), so its size is
    just ``len(data)``.

    >>> b = AggregatedRecordBuilder()
    >>> b.add("k", None, b"x" * 10); b.size
    10
    >>> b.size_with("k", None, b"y" * 10) == len(encode_aggregated([("k", None, b"x" * 10), ("k", None, b"y" * 10)]))
    True
    """

    __slots__ = ("_pk_index", "_ehk_index", "_entries", "_proto_size", "_first_data_len")

    def __init__(self) -> None:
        self._pk_index: dict[str, int] = {}
        self._ehk_index: dict[str, int] = {}
        self._entries: list[tuple[int, int | None, bytes]] = []
        self._proto_size = 0  # bytes of the protobuf message so far
        self._first_data_len = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _growth(self, pk_bytes_len: int | None, ehk_len: int | None, pk_idx: int, ehk_idx: int | None, data_len: int) -> int:
        grow = 0
        if pk_bytes_len is not None:  # a new partition-key table entry
            grow += 1 + varint_size(pk_bytes_len) + pk_bytes_len
        if ehk_len is not None:  # a new explicit-hash-key table entry
            grow += 1 + varint_size(ehk_len) + ehk_len
        inner = 1 + varint_size(pk_idx) + 1 + varint_size(data_len) + data_len
        if ehk_idx is not None:
            inner += 1 + varint_size(ehk_idx)
        return grow + 1 + varint_size(inner) + inner

    def _plan(self, partition_key: str, explicit_hash_key: str | None, data_len: int) -> int:
        pk_idx = self._pk_index.get(partition_key)
        new_pk_len = None
        if pk_idx is None:
            pk_idx = len(self._pk_index)
            new_pk_len = len(partition_key.encode("utf-8"))
        ehk_idx = None
        new_ehk_len = None
        if explicit_hash_key is not None:
            ehk_idx = self._ehk_index.get(explicit_hash_key)
            if ehk_idx is None:
                ehk_idx = len(self._ehk_index)
                new_ehk_len = len(explicit_hash_key)
        return self._growth(new_pk_len, new_ehk_len, pk_idx, ehk_idx, data_len)

    @property
    def size(self) -> int:
        """Bytes of the Kinesis record this builder would produce now (0 when empty)."""
        n = len(self._entries)
        if n == 0:
            return 0
        if n == 1:
            return self._first_data_len
        return OVERHEAD + self._proto_size

    def size_with(self, partition_key: str, explicit_hash_key: str | None, data: bytes) -> int:
        """Bytes of the Kinesis record if this user record were added."""
        if not self._entries:
            return len(data)
        return OVERHEAD + self._proto_size + self._plan(partition_key, explicit_hash_key, len(data))

    def growth(self, partition_key: str, explicit_hash_key: str | None, data: bytes) -> int:
        """Protobuf bytes that adding this user record would add (pass it on to ``add``)."""
        return self._plan(partition_key, explicit_hash_key, len(data))

    def add(self, partition_key: str, explicit_hash_key: str | None, data: bytes, growth: int | None = None) -> None:
        """Add a user record (``growth``: the value ``growth()`` just returned, to skip recomputing it)."""
        self._proto_size += self._plan(partition_key, explicit_hash_key, len(data)) if growth is None else growth
        pk_index = self._pk_index
        pk_idx = pk_index.get(partition_key)
        if pk_idx is None:
            pk_idx = pk_index[partition_key] = len(pk_index)
        ehk_idx = None
        if explicit_hash_key is not None:
            ehk_idx = self._ehk_index.setdefault(explicit_hash_key, len(self._ehk_index))
        if not self._entries:
            self._first_data_len = len(data)
        self._entries.append((pk_idx, ehk_idx, data))

    def try_add(self, partition_key: str, explicit_hash_key: str | None, data: bytes, limit: int) -> bool:
        """Add the user record if the aggregate stays within ``limit`` bytes (an empty builder
        always takes it); return whether it was added. The hot path of the producer."""
        n = len(data)
        entries = self._entries
        if not entries:
            self.add(partition_key, explicit_hash_key, data)
            return True
        pk_index = self._pk_index
        pk_idx = pk_index.get(partition_key)
        grow = 0
        new_pk = pk_idx is None
        if new_pk:
            pk_idx = len(pk_index)
            pl = len(partition_key) if partition_key.isascii() else len(partition_key.encode("utf-8"))
            grow = 1 + (1 if pl < 128 else 2) + pl
        inner = 2 + (1 if pk_idx < 128 else varint_size(pk_idx)) + (1 if n < 128 else varint_size(n)) + n
        ehk_idx = None
        if explicit_hash_key is not None:
            ehk_idx = self._ehk_index.get(explicit_hash_key)
            if ehk_idx is None:
                ehk_idx = len(self._ehk_index)
                grow += 2 + len(explicit_hash_key)
            inner += 1 + varint_size(ehk_idx)
        grow += 1 + (1 if inner < 128 else varint_size(inner)) + inner
        if OVERHEAD + self._proto_size + grow > limit:
            return False
        self._proto_size += grow
        if new_pk:
            pk_index[partition_key] = pk_idx
        if explicit_hash_key is not None and ehk_idx == len(self._ehk_index):
            self._ehk_index[explicit_hash_key] = ehk_idx
        entries.append((pk_idx, ehk_idx, data))
        return True

    @property
    def proto_size(self) -> int:
        return self._proto_size

    def protobuf(self) -> bytes:
        """The AggregatedRecord protobuf message (no magic, no MD5)."""
        parts: list[bytes] = []
        append = parts.append
        v = _varint_cached
        for pk in self._pk_index:  # dicts keep insertion order = index order
            raw = pk.encode("utf-8")
            append(b"\x0a" + v(len(raw)) + raw)
        for ehk in self._ehk_index:
            raw = ehk.encode("ascii")
            append(b"\x12" + v(len(raw)) + raw)
        for pk_idx, ehk_idx, data in self._entries:
            n = len(data)
            if ehk_idx is None:
                head = b"\x08" + v(pk_idx) + b"\x1a" + v(n)
            else:
                head = b"\x08" + v(pk_idx) + b"\x10" + v(ehk_idx) + b"\x1a" + v(n)
            append(b"\x1a" + v(len(head) + n) + head)
            append(data)
        return b"".join(parts)

    def serialize(self) -> bytes:
        """Magic + protobuf + MD5(protobuf), whatever the number of records (even one)."""
        body = self.protobuf()
        return MAGIC + body + _md5(body).digest()


def encode_aggregated(records: Iterable[tuple[str, str | None, bytes]]) -> bytes:
    """Aggregate ``(partition_key, explicit_hash_key_or_None, data)`` tuples into one blob.

    Always writes the envelope, even for a single record (the producer itself sends a lone record
    raw instead, as the KPL does).
    """
    builder = AggregatedRecordBuilder()
    for pk, ehk, data in records:
        builder.add(pk, ehk, data)
    return builder.serialize()


# --- decoding --------------------------------------------------------------------------------------
def is_aggregated(data: bytes) -> bool:
    """True if ``data`` starts with the aggregation magic (it may still be corrupt)."""
    return data[:4] == MAGIC


def _skip_field(buf: bytes, pos: int, wire_type: int) -> int:
    if wire_type == 0:
        _, pos = decode_varint(buf, pos)
        return pos
    if wire_type == 1:
        pos += 8
    elif wire_type == 2:
        length, pos = decode_varint(buf, pos)
        pos += length
    elif wire_type == 5:
        pos += 4
    else:
        raise ValueError(f"unsupported protobuf wire type {wire_type}")
    if pos > len(buf):
        raise ValueError("field runs past the end of the message")
    return pos


def _read_bytes(buf: bytes, pos: int) -> tuple[bytes, int]:
    length, pos = decode_varint(buf, pos)
    end = pos + length
    if end > len(buf):
        raise ValueError("length-delimited field runs past the end of the message")
    return buf[pos:end], end


def _parse_protobuf(body: bytes) -> tuple[list[str], list[str], list[tuple[int, int | None, bytes]]]:
    pks: list[str] = []
    ehks: list[str] = []
    records: list[tuple[int, int | None, bytes]] = []
    pos, end = 0, len(body)
    while pos < end:
        key, pos = decode_varint(body, pos)
        number, wire = key >> 3, key & 7
        if number in (1, 2, 3) and wire == 2:
            chunk, pos = _read_bytes(body, pos)
            if number == 1:
                pks.append(chunk.decode("utf-8"))
            elif number == 2:
                ehks.append(chunk.decode("utf-8"))
            else:
                records.append(_parse_record(chunk, len(records)))
        else:
            pos = _skip_field(body, pos, wire)
    return pks, ehks, records


def _parse_record(buf: bytes, index: int) -> tuple[int, int | None, bytes]:
    pk_idx = ehk_idx = None
    data = None
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = decode_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 1 and wire == 0:
            pk_idx, pos = decode_varint(buf, pos)
        elif number == 2 and wire == 0:
            ehk_idx, pos = decode_varint(buf, pos)
        elif number == 3 and wire == 2:
            data, pos = _read_bytes(buf, pos)
        else:
            pos = _skip_field(buf, pos, wire)  # tags (4) and unknown fields
    if pk_idx is None:
        raise ValueError(f"user record {index} has no partition_key_index (a required field)")
    if data is None:
        raise ValueError(f"user record {index} has no data (a required field)")
    return pk_idx, ehk_idx, data


def decode_aggregated(data: bytes, *, sequence_number: str | None = None) -> list["UserRecord"]:
    """Split one aggregated blob into its user records (sub-sequence numbers 0, 1, 2 ...).

    Raises :class:`AggregationFormatError` naming the record (``sequence_number`` if given) and
    what is wrong: missing magic, too short, MD5 mismatch, malformed protobuf, index out of range.
    """
    where = f"record {sequence_number}" if sequence_number is not None else "record"
    if data[:4] != MAGIC:
        raise AggregationFormatError(f"{where} is not aggregated: it does not start with the magic F3 89 9A C2")
    if len(data) < OVERHEAD:
        raise AggregationFormatError(
            f"{where} starts with the aggregation magic but is only {len(data)} bytes long; "
            f"an aggregate needs at least {OVERHEAD} (4 magic + 16 MD5)"
        )
    body = data[4:-DIGEST_SIZE]
    digest = data[-DIGEST_SIZE:]
    actual = _md5(body).digest()
    if actual != digest:
        raise AggregationFormatError(
            f"{where} starts with the aggregation magic but its MD5 trailer does not match: "
            f"stored {digest.hex()}, computed {actual.hex()} over {len(body)} protobuf bytes "
            f"(the record was truncated or altered)"
        )
    try:
        pks, ehks, entries = _parse_protobuf(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AggregationFormatError(f"{where} has a valid MD5 but its protobuf is malformed: {exc}") from None
    out = []
    for sub, (pk_idx, ehk_idx, payload) in enumerate(entries):
        if pk_idx >= len(pks):
            raise AggregationFormatError(
                f"{where}: user record {sub} points at partition key {pk_idx} but the table has {len(pks)}"
            )
        ehk = None
        if ehk_idx is not None:
            if ehk_idx >= len(ehks):
                raise AggregationFormatError(
                    f"{where}: user record {sub} points at explicit hash key {ehk_idx} but the table has {len(ehks)}"
                )
            ehk = ehks[ehk_idx]
        out.append(UserRecord(payload, pks[pk_idx], ehk, sequence_number, sub, aggregated=True))
    return out


# --- consumer side ---------------------------------------------------------------------------------
@dataclass
class UserRecord:
    """One user record as a consumer sees it after :func:`deaggregate`.

    ``sequence_number`` is the Kinesis record's (shared by every user record of one aggregate);
    ``sub_sequence_number`` is the position inside it (0 for a plain record). Together they are
    the checkpoint the KCL stores. ``aggregated`` says whether the record came out of an aggregate.
    """

    data: bytes
    partition_key: str
    explicit_hash_key: str | None = None
    sequence_number: str | None = None
    sub_sequence_number: int = 0
    aggregated: bool = False
    approximate_arrival_timestamp: datetime | None = None
    encryption_type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def hash_key(self) -> int:
        """The hash key that routes this user record (explicit hash key, else MD5 of the key)."""
        return hash_key_of(self.partition_key, self.explicit_hash_key)

    def to_dict(self) -> dict[str, Any]:
        """A boto3-style dict (``Data``, ``PartitionKey``, ``SequenceNumber``, ``SubSequenceNumber`` ...)."""
        out = {
            "Data": self.data,
            "PartitionKey": self.partition_key,
            "SequenceNumber": self.sequence_number,
            "SubSequenceNumber": self.sub_sequence_number,
            "Aggregated": self.aggregated,
        }
        if self.explicit_hash_key is not None:
            out["ExplicitHashKey"] = self.explicit_hash_key
        if self.approximate_arrival_timestamp is not None:
            out["ApproximateArrivalTimestamp"] = self.approximate_arrival_timestamp
        if self.encryption_type is not None:
            out["EncryptionType"] = self.encryption_type
        return out


def _key_range(max_key_range: Any) -> tuple[int, int] | None:
    if max_key_range is None:
        return None
    if isinstance(max_key_range, Mapping):
        rng = max_key_range.get("HashKeyRange", max_key_range)
        try:
            return int(rng["StartingHashKey"]), int(rng["EndingHashKey"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                "max_key_range must be a (start, end) pair or a shard from ListShards "
                f"(with HashKeyRange StartingHashKey/EndingHashKey), got {max_key_range!r}"
            ) from None
    try:
        start, end = max_key_range
        start, end = int(start), int(end)
    except (TypeError, ValueError):
        raise ValueError(f"max_key_range must be a (start, end) pair of hash keys, got {max_key_range!r}") from None
    if not 0 <= start <= end <= MAX_HASH_KEY:
        raise ValueError(f"max_key_range must satisfy 0 <= start <= end <= 2**128 - 1, got ({start}, {end})")
    return start, end


def deaggregate(records: Any, *, max_key_range: Any = None) -> list[UserRecord]:
    """Turn GetRecords records into user records, as the KCL does before your code sees them.

    ``records`` is a list of boto3 records (dicts with ``Data`` bytes, ``PartitionKey``,
    ``SequenceNumber`` and optionally ``ApproximateArrivalTimestamp``, ``EncryptionType``), a
    single such dict, or a whole GetRecords response (its ``Records`` are used).

    - A record that does not start with the magic F3 89 9A C2 is a plain record: it comes back as
      one ``UserRecord`` with ``sub_sequence_number`` 0 and ``aggregated`` False.
    - A record that starts with the magic is split into its user records, each with the outer
      sequence number and its own ``sub_sequence_number``, partition key and explicit hash key.
    - A record that starts with the magic but is corrupt (MD5 mismatch, malformed protobuf) raises
      :class:`AggregationFormatError` naming its sequence number and the fault. (The reference
      deaggregators quietly pass such a record through as plain data; labsim stops instead, so a
      lesson can show the corruption.)

    ``max_key_range``: the KCL (2.x and later) drops a user record whose hash key lies outside the
    hash range of the shard it was read from. That happens when an aggregate was built for a
    shard map that has since changed (a split or merge): the aggregate lands where its *first*
    user record's hash key points, and the KPL re-sends the others to their right shard, so the
    copies in the wrong shard must be ignored. Pass the shard (a ListShards/DescribeStream shard
    dict) or a ``(start, end)`` pair to apply the same filter; plain records are never dropped.

    >>> agg = {"Data": encode_aggregated([("a", None, b"1"), ("b", None, b"2")]),
    ...        "PartitionKey": "a", "SequenceNumber": "49"}
    >>> [(r.data, r.sequence_number, r.sub_sequence_number) for r in deaggregate([agg])]
    [(b'1', '49', 0), (b'2', '49', 1)]
    """
    if isinstance(records, Mapping):
        records = records["Records"] if "Records" in records and "Data" not in records else [records]
    key_range = _key_range(max_key_range)
    out: list[UserRecord] = []
    for record in records:
        out.extend(_deaggregate_one(record, key_range))
    return out


def iter_deaggregate(records: Iterable[Mapping[str, Any]], *, max_key_range: Any = None) -> Iterator[UserRecord]:
    """Generator form of :func:`deaggregate`."""
    key_range = _key_range(max_key_range)
    for record in records:
        yield from _deaggregate_one(record, key_range)


def _deaggregate_one(record: Mapping[str, Any], key_range: tuple[int, int] | None) -> Sequence[UserRecord]:
    try:
        data = record["Data"]
    except (KeyError, TypeError):
        raise TypeError(f"expected a GetRecords record (a dict with 'Data'), got {record!r:.80}") from None
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"record Data must be bytes (as boto3 returns it), got {type(data).__name__}")
    seq = record.get("SequenceNumber")
    arrival = record.get("ApproximateArrivalTimestamp")
    enc = record.get("EncryptionType")
    if data[:4] != MAGIC:
        return [UserRecord(data, record.get("PartitionKey", ""), None, seq, 0, False, arrival, enc)]
    users = decode_aggregated(data, sequence_number=seq)
    for ur in users:
        ur.approximate_arrival_timestamp = arrival
        ur.encryption_type = enc
    if key_range is not None:
        lo, hi = key_range
        users = [ur for ur in users if lo <= ur.hash_key <= hi]
    return users
