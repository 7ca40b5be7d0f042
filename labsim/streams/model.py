"""The Kinesis data model: streams, shards and each shard's append-only record store.

This module is pure state (no wire format, no moto imports, no physics policy). Writers
(``labsim.streams.backend`` / ``wire``), readers (iterators, GetRecords, retention, resharding,
enhanced fan-out) and lessons all build on it. Time always comes from a ``now()`` callable (the
lab clock, epoch seconds as float), never from the machine.

Objects
-------
``Record``  (immutable, ``__slots__``)
    ``data`` (bytes, already base64-decoded), ``partition_key`` (str), ``explicit_hash_key`` (str or
    None), ``sequence_number`` (str, 56 digits), ``arrival`` (float epoch seconds, lab clock; the
    service's ``ApproximateArrivalTimestamp``), ``size`` (len(data) + len(partition key in UTF-8), the
    number every byte quota counts), ``hash_key`` (int the record was routed by).

``RecordStore``  (one per shard; ``shard.store``)
    Append-only and O(1) amortised per append. Records live in a segment of three parallel lists
    (records, sequence numbers, arrival times); lookups bisect them, so they are O(log n).
    Positions are *absolute*: the n-th record ever appended to the shard has position n (0-based),
    forever, even after older records are trimmed. An iterator can therefore hold a position, or a
    sequence number, and stay valid.

    - ``store.end``           position one past the newest record (== records ever appended)
    - ``store.start``         position of the oldest record not trimmed (== ``end`` when empty)
    - ``len(store)``          records currently retained (``end - start``)
    - ``store.get(pos)``      the Record at ``pos`` (IndexError if trimmed or not yet written)
    - ``store.read(pos, limit, max_bytes=None)`` -> (records, next_pos): up to ``limit`` records from
      ``pos`` (clamped up to ``start``), stopping before ``max_bytes`` would be exceeded (at least one
      record is returned if any is available)
    - ``store.position_of_sequence(seq, after=False)``: position of the first record whose
      sequence number is >= ``seq`` (or > ``seq`` with ``after=True``); AT/AFTER_SEQUENCE_NUMBER
    - ``store.position_at_time(t)``: first record with arrival >= t (AT_TIMESTAMP)
    - ``store.last()`` newest Record or None; ``store.arrival_at(pos)``
    - ``store.trim_before(t)`` drops records with arrival < t (retention), returns how many

    Thread safety: ``append``/``trim_before`` take ``store.lock``. Readers need no lock: they take
    one snapshot of the segment (``store.segment()``), and a segment's lists only ever grow;
    compaction after trimming builds a new segment and swaps it in with one assignment.

``Shard``
    ``index`` (int), ``shard_id`` ("shardId-000000000003"), ``starting_hash`` / ``ending_hash``
    (inclusive ints), ``parent_shard_id`` / ``adjacent_parent_shard_id`` (str or None),
    ``created_at`` / ``closed_at`` (float or None), ``is_open``, ``starting_sequence_number`` (str,
    smaller than any record's), ``ending_sequence_number`` (None while open; once closed, greater
    than every record's), ``store`` (RecordStore), ``write_budget`` / ``read_budget`` (slots owned by
    ``labsim.streams.budgets`` and ``labsim.streams.reads.ShardReadBudget``; ``None`` until set),
    ``extra`` (dict for physics state, e.g. the read side's GetShardIterator limiter),
    ``append(...)`` -> Record, ``close(now)``, ``to_json()`` (the API's ``Shard`` shape).

``Stream``
    ``name`` (alias ``stream_name``), ``arn``, ``account_id``, ``region``, ``status`` (CREATING,
    ACTIVE, UPDATING, DELETING), ``mode`` (PROVISIONED | ON_DEMAND; ``stream_mode`` is moto's dict
    view), ``retention_hours`` (alias ``retention_period_hours``), ``max_record_size_kib``,
    ``created_at``, ``shards`` (dict shard_id -> Shard, in creation order, open and closed; EXPIRED
    shards are removed by ``labsim.streams.retention``, their ids kept in ``extra["expired_shards"]``),
    ``open_shards()`` (sorted by hash range), ``shard_for_hash(int)`` (O(log n) routing to the open
    shard), ``route(partition_key, explicit_hash_key)``, ``add_shard(...)``, ``close_shard(...)``,
    ``split_shard(...)`` / ``merge_shards(...)`` (pure model operations: children get new ranges,
    parents are closed, data stays in the parents), ``consumers`` (list of ``labsim.streams.efo.Consumer``),
    ``tags``, ``shard_level_metrics``, ``encryption_type``, ``key_id``, ``mode_changes`` (times of
    UpdateStreamMode), ``lock`` (RLock held by writers for a whole PutRecords batch and by anything
    that changes the shard map), ``to_json()`` / ``to_json_summary()`` (DescribeStream(Summary)
    shapes with datetimes, which moto's serializer also accepts).

Sequence numbers
----------------
Fixed-width 56-digit decimal strings, like the service's (e.g.
``49671293088000000000000000000300000000000000000000000001``). Layout, most significant first::

    "49" | arrival ms (14 digits) | stream tag (4) | shard index (12) | per-shard counter (24)

so within a shard they increase with time and with every append (the arrival millisecond is
clamped so it never goes backwards), and across the shards of a stream they never collide.
Because the width is fixed, string order equals numeric order: stores keep strings and bisect
them directly. ``normalize_sequence_number`` turns any user-supplied decimal into a comparable
string. The stream tag distinguishes streams re-created with the same name.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import threading
from bisect import bisect_left, bisect_right
from typing import Any, Callable, Iterable

from labsim.keyspace import MAX_HASH_KEY, RangeIndex, even_hash_ranges, hash_key_for

SEQUENCE_NUMBER_DIGITS = 56
_SEQ_PREFIX = "49"
_COUNTER_DIGITS = 24
_MAX_COUNTER = 10**_COUNTER_DIGITS - 1

STATUSES = ("CREATING", "ACTIVE", "UPDATING", "DELETING")
MODES = ("PROVISIONED", "ON_DEMAND")

Clock = Callable[[], float]


def shard_id_for(index: int) -> str:
    """``shardId-`` plus the index as 12 digits, the service's format."""
    return f"shardId-{index:012d}"


def sequence_number(arrival_ms: int, stream_tag: int, shard_index: int, counter: int) -> str:
    """Build a 56-digit sequence number (see the module docstring for the layout)."""
    return f"{_SEQ_PREFIX}{arrival_ms:014d}{stream_tag % 10000:04d}{shard_index % 10**12:012d}{counter:024d}"


def parse_sequence_number(seq: str) -> dict[str, int]:
    """Split a labsim sequence number into its fields (for lessons that explain them)."""
    seq = str(seq)
    if len(seq) != SEQUENCE_NUMBER_DIGITS or not seq.isdigit():
        raise ValueError(f"not a labsim sequence number: {seq!r}")
    return {
        "arrival_ms": int(seq[2:16]),
        "stream_tag": int(seq[16:20]),
        "shard_index": int(seq[20:32]),
        "counter": int(seq[32:]),
    }


def normalize_sequence_number(seq: str | int) -> str:
    """A user-supplied decimal as a string that compares correctly with stored sequence numbers.

    Shorter numbers are zero-padded to 56 digits; longer ones (the API allows up to 129 digits)
    are larger than any stored number and map to a string that sorts after all of them.
    Raises ``ValueError`` if ``seq`` is not a non-negative decimal.
    """
    text = str(seq)
    if not text.isdigit():
        raise ValueError(f"sequence number must be a decimal string, got {seq!r}")
    text = text.lstrip("0") or "0"
    if len(text) > SEQUENCE_NUMBER_DIGITS:
        return "9" * SEQUENCE_NUMBER_DIGITS + "9"  # sorts after every 56-digit string
    return text.zfill(SEQUENCE_NUMBER_DIGITS)


class Record:
    """One stored record. Immutable by convention (records are immutable in the service)."""

    __slots__ = ("data", "partition_key", "explicit_hash_key", "sequence_number", "arrival", "size", "hash_key")

    def __init__(
        self,
        data: bytes,
        partition_key: str,
        explicit_hash_key: str | None,
        sequence_number: str,
        arrival: float,
        size: int,
        hash_key: int,
    ) -> None:
        self.data = data
        self.partition_key = partition_key
        self.explicit_hash_key = explicit_hash_key
        self.sequence_number = sequence_number
        self.arrival = arrival
        self.size = size
        self.hash_key = hash_key

    @property
    def arrival_datetime(self) -> _dt.datetime:
        """ApproximateArrivalTimestamp, millisecond precision, UTC."""
        return _dt.datetime.fromtimestamp(int(self.arrival * 1000) / 1000, tz=_dt.timezone.utc)

    def to_json(self) -> dict[str, Any]:
        """The API's ``Record`` shape (Data as bytes; the wire layer base64-encodes it)."""
        return {
            "SequenceNumber": self.sequence_number,
            "ApproximateArrivalTimestamp": self.arrival_datetime,
            "Data": self.data,
            "PartitionKey": self.partition_key,
        }

    def __repr__(self) -> str:
        return f"Record(seq={self.sequence_number}, key={self.partition_key!r}, {len(self.data)} bytes)"


class _Segment:
    """The retained records: three parallel lists plus the absolute position of element 0."""

    __slots__ = ("offset", "records", "seqs", "arrivals")

    def __init__(self, offset: int, records: list[Record], seqs: list[str], arrivals: list[float]) -> None:
        self.offset = offset
        self.records = records
        self.seqs = seqs
        self.arrivals = arrivals


class RecordStore:
    """A shard's records, append-only, thread-safe, O(1) amortised per append. See module docstring."""

    #: Compact the lists once this many trimmed records sit at their front (and they are half of it).
    COMPACT_AT = 4096

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._seg = _Segment(0, [], [], [])
        self._start = 0  # absolute position of the oldest retained record

    # -- writing ------------------------------------------------------------------------------
    def append(self, record: Record) -> int:
        """Add a record (its sequence number must exceed the previous one). Returns its position."""
        with self.lock:
            return self._append_locked(record)

    def _append_locked(self, record: Record) -> int:
        seg = self._seg
        seg.records.append(record)
        seg.seqs.append(record.sequence_number)
        seg.arrivals.append(record.arrival)
        return seg.offset + len(seg.records) - 1

    def trim_before(self, t: float) -> int:
        """Forget records that arrived before ``t`` (retention). Returns how many were dropped."""
        with self.lock:
            seg = self._seg
            first_kept = max(self._start, seg.offset + bisect_left(seg.arrivals, t))
            dropped = first_kept - self._start
            self._start = first_kept
            dead = first_kept - seg.offset
            if dead >= self.COMPACT_AT and dead * 2 >= len(seg.records):
                self._seg = _Segment(first_kept, seg.records[dead:], seg.seqs[dead:], seg.arrivals[dead:])
            return dropped

    # -- reading ------------------------------------------------------------------------------
    def segment(self) -> _Segment:
        """A consistent snapshot to read from (its lists only grow; ``offset`` never changes)."""
        return self._seg

    @property
    def start(self) -> int:
        return self._start

    @property
    def end(self) -> int:
        seg = self._seg
        return seg.offset + len(seg.records)

    def __len__(self) -> int:
        return self.end - self._start

    def get(self, pos: int) -> Record:
        seg = self._seg
        if pos < self._start or pos >= seg.offset + len(seg.records):
            raise IndexError(f"position {pos} is not retained (retained: {self._start}..{self.end - 1})")
        return seg.records[pos - seg.offset]

    def arrival_at(self, pos: int) -> float:
        return self.get(pos).arrival

    def last(self) -> Record | None:
        seg = self._seg
        if len(seg.records) and seg.offset + len(seg.records) > self._start:
            return seg.records[-1]
        return None

    def read(self, pos: int, limit: int, max_bytes: int | None = None) -> tuple[list[Record], int]:
        """Up to ``limit`` records from position ``pos``; returns (records, next position)."""
        seg = self._seg
        pos = max(pos, self._start)
        lo = pos - seg.offset
        hi = min(len(seg.records), lo + max(0, limit))
        if lo >= hi:
            return [], pos
        out = seg.records[lo:hi]
        if max_bytes is not None:
            total = 0
            for i, rec in enumerate(out):
                total += rec.size
                if total > max_bytes and i > 0:
                    out = out[:i]
                    break
        return out, pos + len(out)

    def position_of_sequence(self, seq: str | int, after: bool = False) -> int:
        """First position whose sequence number is >= ``seq`` (> with ``after``); may equal ``end``."""
        key = normalize_sequence_number(seq)
        seg = self._seg
        i = (bisect_right if after else bisect_left)(seg.seqs, key)
        return max(self._start, seg.offset + i)

    def contains_sequence(self, seq: str | int) -> bool:
        """Whether a retained record has exactly this sequence number."""
        key = normalize_sequence_number(seq)
        seg = self._seg
        i = bisect_left(seg.seqs, key)
        return i < len(seg.seqs) and seg.seqs[i] == key and seg.offset + i >= self._start

    def position_at_time(self, t: float) -> int:
        """First position whose arrival time is >= ``t``; may equal ``end``."""
        seg = self._seg
        return max(self._start, seg.offset + bisect_left(seg.arrivals, t))

    def __iter__(self):
        seg = self._seg
        return iter(seg.records[self._start - seg.offset :])


class Shard:
    """A shard: a hash range, lineage, open/closed state and a record store."""

    __slots__ = (
        "index", "shard_id", "starting_hash", "ending_hash", "parent_shard_id", "adjacent_parent_shard_id",
        "created_at", "closed_at", "stream_tag", "store", "write_budget", "read_budget", "iterator_calls", "scaling",
        "starting_sequence_number", "ending_sequence_number", "_last_arrival", "_counter", "_prefix_ms", "_prefix",
    )

    def __init__(
        self,
        index: int,
        starting_hash: int,
        ending_hash: int,
        *,
        created_at: float,
        stream_tag: int = 0,
        parent_shard_id: str | None = None,
        adjacent_parent_shard_id: str | None = None,
    ) -> None:
        if not (0 <= starting_hash <= ending_hash <= MAX_HASH_KEY):
            raise ValueError(f"bad hash range {starting_hash}..{ending_hash}")
        self.index = index
        self.shard_id = shard_id_for(index)
        self.starting_hash = starting_hash
        self.ending_hash = ending_hash
        self.parent_shard_id = parent_shard_id
        self.adjacent_parent_shard_id = adjacent_parent_shard_id
        self.created_at = created_at
        self.closed_at: float | None = None
        self.stream_tag = stream_tag
        self.store = RecordStore()
        self.write_budget: Any = None  # budgets.ShardWriteBudget, made on the first write
        self.read_budget: Any = None  # reads.ShardReadBudget, made on the first GetRecords
        self.iterator_calls: Any = None  # reads.CallLimiter: GetShardIterator's 5 calls per second
        self.scaling: Any = None  # scaling.OnDemandShardState, for shards of on-demand streams
        self._last_arrival = created_at
        self._counter = 0
        self._prefix_ms = -1
        self._prefix = ""
        self.starting_sequence_number = sequence_number(int(created_at * 1000), stream_tag, index, 0)
        self.ending_sequence_number: str | None = None

    @property
    def appended(self) -> int:
        """How many records were ever appended (trimmed ones included): the last sequence counter."""
        return self._counter

    # moto's name for it
    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def parent(self) -> str | None:
        return self.parent_shard_id

    @property
    def adjacent_parent(self) -> str | None:
        return self.adjacent_parent_shard_id

    def covers(self, hash_key: int) -> bool:
        return self.starting_hash <= hash_key <= self.ending_hash

    def append(self, data: bytes, partition_key: str, explicit_hash_key: str | None, hash_key: int, size: int, now: float) -> Record:
        """Store one record arriving at lab time ``now``; assigns its sequence number."""
        with self.store.lock:
            return self._append_locked(data, partition_key, explicit_hash_key, hash_key, size, now)

    def _append_locked(self, data: bytes, partition_key: str, explicit_hash_key: str | None, hash_key: int, size: int, now: float) -> Record:
        # Caller holds self.store.lock. Kept lean: this runs once per record on the hot path.
        if now < self._last_arrival:
            now = self._last_arrival  # a wall clock stepping back must not reorder the shard
        self._last_arrival = now
        ms = int(now * 1000)
        if ms != self._prefix_ms:
            self._prefix_ms = ms
            self._prefix = f"{_SEQ_PREFIX}{ms:014d}{self.stream_tag % 10000:04d}{self.index % 10**12:012d}"
        self._counter += 1
        record = Record(data, partition_key, explicit_hash_key, f"{self._prefix}{self._counter:024d}", now, size, hash_key)
        seg = self.store._seg
        seg.records.append(record)
        seg.seqs.append(record.sequence_number)
        seg.arrivals.append(now)
        return record

    def append_batch(self, items: list[tuple[bytes, str, str | None, int, int]], now: float) -> list[Record]:
        """Store several records arriving together at ``now``: (data, key, explicit hash key, hash key, size).

        Same result as calling ``append`` for each in turn, in one lock hold and a tight loop.
        """
        with self.store.lock:
            if now < self._last_arrival:
                now = self._last_arrival
            self._last_arrival = now
            ms = int(now * 1000)
            if ms != self._prefix_ms:
                self._prefix_ms = ms
                self._prefix = f"{_SEQ_PREFIX}{ms:014d}{self.stream_tag % 10000:04d}{self.index % 10**12:012d}"
            prefix = self._prefix
            counter = self._counter
            seg = self.store._seg
            out = [
                Record(data, pk, ehk, f"{prefix}{c:024d}", now, size, hk)
                for c, (data, pk, ehk, hk, size) in enumerate(items, counter + 1)
            ]
            self._counter = counter + len(out)
            seg.records.extend(out)
            seg.seqs.extend([r.sequence_number for r in out])
            seg.arrivals.extend([now] * len(out))
            return out

    def close(self, now: float) -> None:
        """Stop taking writes; the ending sequence number exceeds every record's."""
        with self.store.lock:
            if self.closed_at is not None:
                return
            self.closed_at = now
            ms = int(max(self._last_arrival, now) * 1000)
            self.ending_sequence_number = sequence_number(ms, self.stream_tag, self.index, _MAX_COUNTER)

    def to_json(self) -> dict[str, Any]:
        """The API's ``Shard`` shape."""
        out: dict[str, Any] = {"ShardId": self.shard_id}
        if self.parent_shard_id:
            out["ParentShardId"] = self.parent_shard_id
        if self.adjacent_parent_shard_id:
            out["AdjacentParentShardId"] = self.adjacent_parent_shard_id
        out["HashKeyRange"] = {"StartingHashKey": str(self.starting_hash), "EndingHashKey": str(self.ending_hash)}
        seq_range = {"StartingSequenceNumber": self.starting_sequence_number}
        if self.ending_sequence_number is not None:
            seq_range["EndingSequenceNumber"] = self.ending_sequence_number
        out["SequenceNumberRange"] = seq_range
        return out

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return f"<Shard {self.shard_id} {state} {len(self.store)} records>"


_stream_tags = itertools.count(1)


def reset_stream_tags() -> None:
    """Restart stream tags at 1; each lab calls this so two runs give the same sequence numbers."""
    global _stream_tags
    _stream_tags = itertools.count(1)


class Stream:
    """A data stream: status, capacity mode, retention, record-size limit and its shards."""

    def __init__(
        self,
        name: str,
        *,
        account_id: str,
        region: str,
        now: Clock,
        shard_count: int | None = None,
        mode: str = "PROVISIONED",
        retention_hours: int = 24,
        max_record_size_kib: int = 1024,
        status: str = "CREATING",
        partition: str = "aws",
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
        self.name = name
        self.account_id = account_id
        self.region = region
        self.arn = f"arn:{partition}:kinesis:{region}:{account_id}:stream/{name}"
        self.now = now
        self.created_at = now()
        self.status = status
        self.mode = mode
        self.retention_hours = retention_hours
        self.max_record_size_kib = max_record_size_kib
        self.tag = next(_stream_tags) % 10000
        self.lock = threading.RLock()
        self.shards: dict[str, Shard] = {}
        self._next_index = 0
        #: The open shards by hash range (routing); rebuilt whenever the shard map changes.
        self.range_index = RangeIndex(())
        self.consumers: list[Any] = []
        self.tags: dict[str, str] = {}
        self._shard_level_metrics: list[str] = []
        self.encryption_type = "NONE"
        self.key_id: str | None = None
        self.mode_changes: list[float] = []
        self.shard_count_updates: list[float] = []  # UpdateShardCount times (10 per rolling day)
        self.expired_shard_ids: list[str] = []  # shards removed once their retention passed
        self.lambda_event_source_mappings: dict[str, Any] = {}  # moto's Lambda integration reads it
        if shard_count is not None:
            for start, end in even_hash_ranges(shard_count):
                self.add_shard(start, end)

    # -- moto-compatible names ------------------------------------------------------------------
    @property
    def stream_name(self) -> str:
        return self.name

    @property
    def retention_period_hours(self) -> int:
        return self.retention_hours

    @retention_period_hours.setter
    def retention_period_hours(self, value: int) -> None:
        self.retention_hours = int(value)

    @property
    def stream_mode(self) -> dict[str, str]:
        return {"StreamMode": self.mode}

    @stream_mode.setter
    def stream_mode(self, value: dict[str, str]) -> None:
        self.mode = value["StreamMode"]

    @property
    def creation_datetime(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self.created_at, tz=_dt.timezone.utc)

    @property
    def shard_count(self) -> int:
        return len(self.range_index.items)

    @property
    def max_record_size_bytes(self) -> int:
        return self.max_record_size_kib * 1024

    # -- shards ---------------------------------------------------------------------------------
    def open_shards(self) -> list[Shard]:
        """Open shards sorted by starting hash key."""
        return list(self.range_index.items)

    def add_shard(
        self, starting_hash: int, ending_hash: int, parent_shard_id: str | None = None, adjacent_parent_shard_id: str | None = None
    ) -> Shard:
        """Create an open shard with the next index."""
        with self.lock:
            shard = Shard(
                self._next_index, starting_hash, ending_hash, created_at=self.now(), stream_tag=self.tag,
                parent_shard_id=parent_shard_id, adjacent_parent_shard_id=adjacent_parent_shard_id,
            )
            self._next_index += 1
            self.shards[shard.shard_id] = shard
            self._reindex()
            return shard

    def close_shard(self, shard: Shard) -> None:
        with self.lock:
            shard.close(self.now())
            self._reindex()

    def _reindex(self) -> None:
        self.range_index = RangeIndex(s for s in self.shards.values() if s.is_open)

    def get_shard(self, shard_id: str) -> Shard | None:
        return self.shards.get(shard_id)

    def shard_for_hash(self, hash_key: int) -> Shard:
        shard = self.range_index.find(hash_key)
        if shard is None:  # the open shards always tile the key space
            raise LookupError(f"no open shard for hash key {hash_key} in stream {self.name}")
        return shard

    def route(self, partition_key: str, explicit_hash_key: str | None = None) -> Shard:
        return self.shard_for_hash(hash_key_for(partition_key, explicit_hash_key))

    def split_shard(self, shard: Shard, new_starting_hash: int) -> tuple[Shard, Shard]:
        """Close ``shard`` and open two children: [start, new-1] and [new, end]. Data stays put."""
        with self.lock:
            if not shard.is_open:
                raise ValueError(f"{shard.shard_id} is closed")
            if not shard.starting_hash < new_starting_hash <= shard.ending_hash:
                raise ValueError(f"{new_starting_hash} is not inside {shard.shard_id}'s range")
            shard.close(self.now())
            low = self.add_shard(shard.starting_hash, new_starting_hash - 1, parent_shard_id=shard.shard_id)
            high = self.add_shard(new_starting_hash, shard.ending_hash, parent_shard_id=shard.shard_id)
            return low, high

    def merge_shards(self, shard: Shard, adjacent: Shard) -> Shard:
        """Close two adjacent open shards and open one child covering both. Data stays put."""
        with self.lock:
            if not (shard.is_open and adjacent.is_open):
                raise ValueError("both shards must be open")
            lo, hi = sorted((shard, adjacent), key=lambda s: s.starting_hash)
            if lo.ending_hash + 1 != hi.starting_hash:
                raise ValueError(f"{shard.shard_id} and {adjacent.shard_id} are not adjacent")
            shard.close(self.now())
            adjacent.close(self.now())
            return self.add_shard(
                lo.starting_hash, hi.ending_hash, parent_shard_id=shard.shard_id, adjacent_parent_shard_id=adjacent.shard_id
            )

    # -- descriptions (the API's shapes; timestamps as datetimes) -------------------------------
    @property
    def shard_level_metrics(self) -> list[str]:
        return self._shard_level_metrics

    @shard_level_metrics.setter
    def shard_level_metrics(self, value: Iterable[str]) -> None:
        # moto builds this list from a set; sorting keeps responses identical from run to run.
        self._shard_level_metrics = sorted(set(value))

    def enhanced_monitoring(self) -> list[dict[str, list[str]]]:
        return [{"ShardLevelMetrics": list(self.shard_level_metrics)}]

    def to_json(self, shard_limit: int | None = None, shards: Iterable[Shard] | None = None) -> dict[str, Any]:
        """DescribeStream's ``StreamDescription``."""
        all_shards = list(self.shards.values()) if shards is None else list(shards)
        limit = shard_limit or 100
        requested = all_shards[:limit]
        out: dict[str, Any] = {
            "StreamName": self.name,
            "StreamARN": self.arn,
            "StreamStatus": self.status,
            "StreamModeDetails": self.stream_mode,
            "Shards": [s.to_json() for s in requested],
            "HasMoreShards": len(requested) < len(all_shards),
            "RetentionPeriodHours": self.retention_hours,
            "StreamCreationTimestamp": self.creation_datetime,
            "EnhancedMonitoring": self.enhanced_monitoring(),
            "EncryptionType": self.encryption_type,
        }
        if self.key_id:
            out["KeyId"] = self.key_id
        return {"StreamDescription": out}

    def to_json_summary(self) -> dict[str, Any]:
        """DescribeStreamSummary's ``StreamDescriptionSummary``."""
        out: dict[str, Any] = {
            "StreamName": self.name,
            "StreamARN": self.arn,
            "StreamStatus": self.status,
            "StreamModeDetails": self.stream_mode,
            "RetentionPeriodHours": self.retention_hours,
            "StreamCreationTimestamp": self.creation_datetime,
            "EnhancedMonitoring": self.enhanced_monitoring(),
            "EncryptionType": self.encryption_type,
            "OpenShardCount": self.shard_count,
            "ConsumerCount": len(self.consumers),
            "MaxRecordSizeInKiB": self.max_record_size_kib,
        }
        if self.key_id:
            out["KeyId"] = self.key_id
        return {"StreamDescriptionSummary": out}

    def __repr__(self) -> str:
        return f"<Stream {self.name} {self.status} {self.mode} {self.shard_count} open shards>"
