"""Shard iterators: where a reader starts in a shard, and the opaque token that carries it.

The five starting positions (kinesis-facts 3; KDS-API GetShardIterator / StartingPosition)
-----------------------------------------------------------------------------------------
============================  ==========================================================================
``AT_SEQUENCE_NUMBER``        at the record with ``StartingSequenceNumber`` (inclusive)
``AFTER_SEQUENCE_NUMBER``     just after it (exclusive): the natural "resume from a checkpoint"
``AT_TIMESTAMP``              the first record whose arrival time is >= ``Timestamp``; a time older
                              than the trim horizon gives the oldest untrimmed record; a time in the
                              future skips records that arrive before it
``TRIM_HORIZON``              the oldest record not yet trimmed by retention (not "the stream's first")
``LATEST``                    just after the newest record *at the time of the call*
============================  ==========================================================================

A sequence number must come from this shard: a labsim sequence number encodes its stream and
shard (``labsim.streams.model``), so one from another shard or stream, or one that was never
issued, is ``InvalidArgumentException`` with the service's wording. A sequence number whose
record has been trimmed starts at the trim horizon.

The token
---------
A ``ShardIterator`` is an opaque string, as in the service: URL-safe-free standard base64 of a
small payload (stream name and incarnation, shard, absolute position in the shard's
``RecordStore``, issue time in ms, an optional "not before" time) followed by a 16-byte HMAC-SHA256
under a secret that each lab draws at start. So:

- a garbage, truncated or tampered iterator fails the HMAC check -> ``InvalidArgumentException``
  ("Invalid ShardIterator."), never a crash;
- an iterator from a deleted-and-recreated stream of the same name no longer matches
  -> ``ResourceNotFoundException``;
- an iterator older than ``quotas.SHARD_ITERATOR_LIFETIME_SECONDS`` (5 min, lab clock) is
  ``ExpiredIteratorException`` with AWS's message ("Iterator expired. The iterator was created at
  time ... while right now it is ... which is further in the future than the tolerated delay of
  300000 milliseconds."). Every ``NextShardIterator`` is a new token with a fresh 5 minutes.

Because positions are absolute, an iterator stays meaningful while the shard grows and while old
records are trimmed (reading a trimmed position starts at the trim horizon).
"""

from __future__ import annotations

import binascii
import datetime as _dt
import hashlib
import hmac
import secrets
from typing import Any, NamedTuple

from labsim import quotas

from .errors import ExpiredIteratorError, InvalidArgumentError, validation_errors
from .model import SEQUENCE_NUMBER_DIGITS, Shard, Stream, normalize_sequence_number, shard_id_for

ITERATOR_TYPES = ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")

_MAC_BYTES = 16


class IteratorState(NamedTuple):
    """What a decoded iterator says: which shard, where, and when it was issued."""

    stream_name: str
    stream_tag: int
    shard_id: str
    position: int
    issued: float  # epoch seconds (ms precision)
    not_before: float | None  # AT_TIMESTAMP in the future: skip records that arrive earlier


def java_date(t: float) -> str:
    """A time as Java's ``Date.toString()`` prints it in UTC (the service's error messages use it)."""
    return _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc).strftime("%a %b %d %H:%M:%S UTC %Y")


class IteratorCodec:
    """Issues and checks shard iterators for one lab (one secret)."""

    def __init__(self, secret: bytes | None = None, lifetime: float = quotas.SHARD_ITERATOR_LIFETIME_SECONDS) -> None:
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self.lifetime = float(lifetime)
        self._lifetime_ms = int(self.lifetime * 1000)

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, stream: Stream, shard: Shard, position: int, issued: float, not_before: float | None = None) -> str:
        nb = "" if not_before is None else str(int(not_before * 1000))
        payload = f"1|{stream.tag}|{shard.index}|{position}|{int(issued * 1000)}|{nb}|{stream.name}".encode()
        return binascii.b2a_base64(payload + self._mac(payload), newline=False).decode("ascii")

    def decode(self, token: Any) -> IteratorState:
        """Check the token's integrity (not its age); raises InvalidArgumentException if it is not ours."""
        try:
            raw = binascii.a2b_base64(token.encode("ascii"), strict_mode=True)
            payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
            if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, self._mac(payload)):
                raise ValueError("bad mac")
            version, tag, index, pos, issued, nb, name = payload.decode().split("|", 6)
            if version != "1":
                raise ValueError("bad version")
            return IteratorState(
                name, int(tag), shard_id_for(int(index)), int(pos), int(issued) / 1000, int(nb) / 1000 if nb else None
            )
        except Exception:
            raise InvalidArgumentError("Invalid ShardIterator.") from None

    def check_fresh(self, state: IteratorState, now: float) -> None:
        """Raise ExpiredIteratorException if ``state`` was issued more than the lifetime ago."""
        if (now - state.issued) * 1000 > self._lifetime_ms:
            raise ExpiredIteratorError(
                f"Iterator expired. The iterator was created at time {java_date(state.issued)} while right now it is "
                f"{java_date(now)} which is further in the future than the tolerated delay of {self._lifetime_ms} milliseconds."
            )


# --- starting positions ------------------------------------------------------------------------------
def _timestamp_seconds(value: Any) -> float:
    """``Timestamp`` as sent on the wire (epoch seconds, number or string) or a datetime."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.timestamp()
    return float(value)


def start_position(
    stream: Stream,
    shard: Shard,
    iterator_type: Any,
    sequence_number: Any,
    timestamp: Any,
    now: float,
    *,
    account_id: str,
    operation: str = "GetShardIterator",
    type_field: str = "shardIteratorType",
) -> tuple[int, float | None]:
    """Resolve a starting position to (absolute position, not_before) in ``shard``'s store.

    Shared by GetShardIterator and SubscribeToShard (``StartingPosition``). Raises the service's
    errors for a bad type, a missing or stray sequence number/timestamp, or a sequence number that
    does not belong to ``shard``.
    """
    if iterator_type not in ITERATOR_TYPES:
        raise validation_errors([
            f"Value '{iterator_type}' at '{type_field}' failed to satisfy constraint: Member must satisfy enum value set: "
            f"[AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]"
        ])
    store = shard.store
    if iterator_type in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        if sequence_number in (None, ""):
            raise InvalidArgumentError(
                "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or "
                "(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
                f"Request specified {iterator_type} and no StartingSequenceNumber."
            )
        key = check_sequence_number(stream, shard, sequence_number, account_id=account_id, operation=operation)
        return store.position_of_sequence(key, after=iterator_type == "AFTER_SEQUENCE_NUMBER"), None
    if sequence_number not in (None, ""):
        raise InvalidArgumentError(
            "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or "
            "(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
            f"Request specified {iterator_type} and also a StartingSequenceNumber."
        )
    if iterator_type == "TRIM_HORIZON":
        return store.start, None
    if iterator_type == "LATEST":
        return store.end, None
    # AT_TIMESTAMP
    if timestamp is None:
        raise InvalidArgumentError(f"The timestampInMillis parameter cannot be null for ShardIteratorType {iterator_type}")
    try:
        t = _timestamp_seconds(timestamp)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"Timestamp {timestamp!r} is not a valid timestamp.") from None
    if t > now:
        raise InvalidArgumentError(
            "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
            f"timestampInMillis: {int(t * 1000)}, currentTimestampInMillis: {int(now * 1000)}"
        )
    return store.position_at_time(t), None


def check_sequence_number(stream: Stream, shard: Shard, seq: Any, *, account_id: str, operation: str = "GetShardIterator") -> str:
    """The normalised sequence number if it was issued by ``shard``; else InvalidArgumentException."""
    text = str(seq)
    invalid = InvalidArgumentError(
        f"StartingSequenceNumber {text} used in {operation} on shard {shard.shard_id} in stream {stream.name} "
        f"under account {account_id} is invalid because it did not come from this stream."
    )
    if not text.isdigit() or len(text) > 129:
        raise InvalidArgumentError(
            f"StartingSequenceNumber {text} used in {operation} on shard {shard.shard_id} in stream {stream.name} "
            f"under account {account_id} is invalid."
        )
    key = normalize_sequence_number(text)
    if len(key) != SEQUENCE_NUMBER_DIGITS or not key.startswith("49"):
        raise invalid
    tag, index = int(key[16:20]), int(key[20:32])
    if index != shard.index:
        raise InvalidArgumentError(
            f"Invalid StartingSequenceNumber. It encodes {shard_id_for(index)}, while it was used in a call to a shard with {shard.shard_id}"
        )
    if tag != stream.tag % 10000:
        raise invalid
    # Never issued: the counter counts every append, trimmed or not. A closed shard's
    # EndingSequenceNumber (as DescribeStream/ListShards show it) is accepted too.
    ending = shard.ending_sequence_number
    if int(key[32:]) > shard.appended and not (ending is not None and key == ending):
        raise invalid
    return key
