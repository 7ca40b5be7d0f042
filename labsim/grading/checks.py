"""Checks that exercise test cells call: each one asserts one thing a learner was asked to do.

A failed check raises ``AssertionError`` with a message that says what is wrong *and* how to fix
it, because the message is all a learner sees in the test cell's output. Checks ask the service
(through the learner's own boto3 client) what is really there, so they work the same whether the
client talks to a lab or, in principle, to AWS. Layer 3: boto3 and labsim.quotas only, no moto.
Every function sets ``__tracebackhide__`` so that IPython (and pytest) leave labsim's own frames out
of a failed test's traceback: the learner sees their cell, the message, and little else.

>>> from labsim import Lab
>>> from labsim.grading import check_stream_exists
>>> with Lab() as lab:
...     kinesis = lab.client("kinesis")
...     _ = kinesis.create_stream(StreamName="demo", ShardCount=2)
...     kinesis.get_waiter("stream_exists").wait(StreamName="demo")
...     check_stream_exists(kinesis, "demo", shards=2)  # passes: no output
...     check_stream_exists(kinesis, "demo", shards=4)
Traceback (most recent call last):
AssertionError: Stream 'demo' has 2 open shard(s), expected 4. ...

Checks return ``None``, so a test cell that passes shows nothing.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from typing import Any, Callable, Iterable, Sequence

from botocore.exceptions import ClientError

from .. import quotas
from ..keyspace import partition_key_hash

__all__ = [
    "check_stream_exists",
    "check_sequence_numbers",
    "check_records_read",
    "check_shard_predictions",
    "check_predictions_match_stream",
    "check_hot_partition",
    "check_order_kept",
    "check_partition_keys",
    "check_refused_writes",
    "check_same_in_another_process",
    "fill_stream",
    "list_shards",
    "new_test_seed",
    "read_stream",
]

_WAIT_HINT = 'kinesis.get_waiter("stream_exists").wait(StreamName={name!r})'


# A check shares the learner's per-shard and per-account call rates (5 GetShardIterator and 5
# GetRecords calls per second per shard, 20 DescribeStreamSummary calls per second...). In a virtual
# lab time stands still between cells, so a test cell that reads after the learner's own reads can
# hit those limits. Checks then wait a second and try again, as a well-behaved client would; inside
# a lab the wait is simulated and takes no real time.
_THROTTLED = {"ProvisionedThroughputExceededException", "LimitExceededException", "ThrottlingException"}
_ATTEMPTS = 20


def _error_code(exc: ClientError) -> str:
    __tracebackhide__ = True
    return exc.response.get("Error", {}).get("Code", "")


def _no_stream(name: str) -> AssertionError:
    __tracebackhide__ = True
    return AssertionError(
        f"There is no stream named {name!r}. Create it with "
        f"kinesis.create_stream(StreamName={name!r}, ShardCount=...), then wait for it with "
        f"{_WAIT_HINT.format(name=name)}. Check the spelling: stream names are case-sensitive."
    )


def _call(client: Any, operation: str, name: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """``client.<operation>(**kwargs)``, patient with throttling; a missing stream becomes an AssertionError."""
    __tracebackhide__ = True
    for attempt in range(_ATTEMPTS):
        try:
            return getattr(client, operation)(**kwargs)
        except ClientError as exc:
            code = _error_code(exc)
            if code == "ResourceNotFoundException" and name is not None:
                raise _no_stream(name) from None
            if code not in _THROTTLED or attempt == _ATTEMPTS - 1:
                raise
            time.sleep(1.0)
    raise AssertionError("unreachable")  # pragma: no cover


def _describe(client: Any, name: str) -> dict[str, Any]:
    __tracebackhide__ = True
    return _call(client, "describe_stream_summary", name, StreamName=name)["StreamDescriptionSummary"]


def check_stream_exists(
    client: Any, name: str, *, shards: int | None = None, status: str = "ACTIVE"
) -> None:
    """Assert that stream ``name`` exists, is in ``status`` and (if given) has ``shards`` open shards."""
    __tracebackhide__ = True
    summary = _describe(client, name)
    actual = summary.get("StreamStatus")
    if status is not None and actual != status:
        if actual == "CREATING" and status == "ACTIVE":
            raise AssertionError(
                f"Stream {name!r} exists but is still CREATING, so it cannot take reads or writes yet. "
                f"Wait until it is ACTIVE: {_WAIT_HINT.format(name=name)}"
            )
        raise AssertionError(f"Stream {name!r} is {actual}, expected {status}.")
    if shards is not None:
        mode = summary.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED")
        if mode != "PROVISIONED":
            raise AssertionError(
                f"Stream {name!r} is in {mode} mode; this task needs a PROVISIONED stream with a fixed "
                f"number of shards. Delete it and create it again with ShardCount={shards}."
            )
        open_shards = summary.get("OpenShardCount")
        if open_shards != shards:
            raise AssertionError(
                f"Stream {name!r} has {open_shards} open shard(s), expected {shards}. Delete it "
                f"(kinesis.delete_stream(StreamName={name!r})) and create it again with ShardCount={shards}, "
                "or re-run the notebook from the setup cell, which starts a fresh, empty lab."
            )


def read_stream(client: Any, name: str) -> list[dict[str, Any]]:
    """Every record the stream still holds, shard by shard from TRIM_HORIZON, oldest first per shard.

    The reference reader the checks compare a learner's work against. Each record is the dict
    ``GetRecords`` returns plus a ``"ShardId"`` key.
    """
    __tracebackhide__ = True
    out: list[dict[str, Any]] = []
    for shard in list_shards(client, name):
        iterator = _call(
            client, "get_shard_iterator", name,
            StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON",
        )["ShardIterator"]
        while iterator:
            response = _call(client, "get_records", name, ShardIterator=iterator, Limit=int(quotas.GET_RECORDS_MAX_LIMIT))
            for record in response["Records"]:
                out.append({**record, "ShardId": shard["ShardId"]})
            if not response["Records"] and response.get("MillisBehindLatest", 0) == 0:
                break
            iterator = response.get("NextShardIterator")
    return out


def list_shards(client: Any, name: str) -> list[dict[str, Any]]:
    """All shards of stream ``name`` (every page of ListShards); a missing stream fails the check."""
    __tracebackhide__ = True
    shards: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"StreamName": name}
    while True:
        response = _call(client, "list_shards", name, **kwargs)
        shards.extend(response["Shards"])
        token = response.get("NextToken")
        if not token:
            return shards
        kwargs = {"NextToken": token}


def _as_bytes(data: Any) -> bytes:
    __tracebackhide__ = True
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    return repr(data).encode("utf-8")  # not data a record can hold: compared as text, so it never matches


def _identity(record: dict[str, Any]) -> tuple[str, str, bytes]:
    __tracebackhide__ = True
    return (str(record["SequenceNumber"]), record["PartitionKey"], _as_bytes(record["Data"]))


def check_sequence_numbers(
    client: Any,
    name: str,
    sequence_numbers: Any,
    written: Sequence[tuple[str, Any]],
) -> None:
    """Assert that ``sequence_numbers[i]`` is what the service returned for ``written[i]``.

    ``written`` is the list of ``(partition_key, data)`` pairs the learner was asked to write, in order.
    """
    __tracebackhide__ = True
    if not isinstance(sequence_numbers, (list, tuple)):
        raise AssertionError(
            f"sequence_numbers should be a list of strings, got {type(sequence_numbers).__name__}. "
            "Start with sequence_numbers = [] and append response['SequenceNumber'] after each put_record."
        )
    if len(sequence_numbers) != len(written):
        raise AssertionError(
            f"sequence_numbers has {len(sequence_numbers)} entries but {len(written)} records were to be "
            "written: append exactly one sequence number per record, in the order you write them."
        )
    for i, number in enumerate(sequence_numbers):
        if not isinstance(number, str) or not number.isdigit():
            raise AssertionError(
                f"sequence_numbers[{i}] is {number!r}. A sequence number is the decimal string in "
                "response['SequenceNumber'] (a string, not an int, and not the whole response)."
            )
    stored = {(_identity(r)[0], r["PartitionKey"]): r for r in read_stream(client, name)}
    for i, (number, (key, data)) in enumerate(zip(sequence_numbers, written)):
        record = stored.get((number, key))
        if record is None:
            raise AssertionError(
                f"No record with partition key {key!r} and sequence number {number} is in stream {name!r}. "
                f"Write the records in the order given (record {i} has key {key!r}) and keep the "
                "SequenceNumber each put_record call returns."
            )
        if _as_bytes(record["Data"]) != _as_bytes(data):
            raise AssertionError(
                f"sequence_numbers[{i}] is {number}, the record holding {_as_bytes(record['Data'])!r}, but "
                f"record {i} should hold {_as_bytes(data)!r}. Write the records in the order given, send "
                "each one's data unchanged, and append each SequenceNumber right after its put_record."
            )


def check_records_read(
    client: Any, name: str, records: Any, *, expected: int | None = None, test_seed: int | None = None,
    empty_batches: int = 0,
) -> None:
    """Assert that ``records`` (dicts as GetRecords returns them) hold every record of the stream once.

    ``test_seed`` (for a stream drawn by ``fill_stream``) is quoted in a failure, so the case can be rebuilt.
    ``empty_batches``: how many empty batches the test had the lab return before the end of a shard
    (``lab.faults.inject("GetRecords", "EmptyBatch", ...)``), so a failure can say that they are the cause.
    """
    __tracebackhide__ = True
    drawn = "" if test_seed is None else f" (a test stream drawn with seed {test_seed})"
    if not isinstance(records, (list, tuple)):
        raise AssertionError(
            f"records should be a list of the record dicts that get_records returns, got "
            f"{type(records).__name__}. Start with records = [] and extend it with response['Records']."
        )
    for i, record in enumerate(records):
        if not isinstance(record, dict) or not {"SequenceNumber", "PartitionKey", "Data"} <= set(record):
            raise AssertionError(
                f"records[{i}] is not a record: keep the dicts from response['Records'] as they are "
                "(each has 'SequenceNumber', 'PartitionKey' and 'Data')."
            )
    truth = read_stream(client, name)
    if expected is not None and len(truth) != expected:
        raise AssertionError(
            f"Stream {name!r} holds {len(truth)} records, expected {expected}: fix the earlier parts "
            "first (re-running the setup cell gives you a fresh lab)."
        )
    counts = Counter(_identity(r) for r in records)
    doubles = [ident for ident, n in counts.items() if n > 1]
    if doubles:
        raise AssertionError(
            f"{len(doubles)} record(s) appear more than once in records (e.g. sequence number "
            f"{doubles[0][0]}). Read each shard once, and start records = [] in the same cell so a "
            "re-run does not append a second copy."
        )
    wanted = {_identity(r): r["ShardId"] for r in truth}
    strangers = [ident for ident in counts if ident not in wanted]
    if strangers:
        raise AssertionError(
            f"{len(strangers)} record(s) in records are not in stream {name!r} (e.g. partition key "
            f"{strangers[0][1]!r}). Read from StreamName={name!r}."
        )
    missing = [ident for ident in wanted if ident not in counts]
    if missing and empty_batches:
        raise AssertionError(
            f"You read {len(records)} of the {len(truth)} records of stream {name!r}{drawn}. In this read the "
            f"service answered {empty_batches} GetRecords call(s) with an empty batch although records were waiting "
            "(Records == [] and MillisBehindLatest > 0), as it sometimes does: an empty batch is not the end of a "
            "shard. Keep calling get_records with NextShardIterator until MillisBehindLatest is 0."
        )
    if missing:
        if not records:
            raise AssertionError(
                f"records is empty but stream {name!r} holds {len(truth)} records. If you asked for a "
                "LATEST iterator: it starts *after* the newest record, so it only sees records written "
                "later. Use ShardIteratorType='TRIM_HORIZON' to start at the oldest record still kept."
            )
        shards = sorted({wanted[ident] for ident in missing})
        paging = ""
        per_shard = Counter(wanted[ident] for ident in counts if ident in wanted)
        if any(n >= int(quotas.GET_RECORDS_MAX_LIMIT) for n in per_shard.values()) or any(
            per_shard[s] > 0 for s in shards
        ):
            paging = (
                f" You stopped part-way through a shard: one get_records call returns at most "
                f"{int(quotas.GET_RECORDS_MAX_LIMIT):,} records (and at most 10 MiB), so one call is not a whole shard."
            )
        raise AssertionError(
            f"You read {len(records)} of the {len(truth)} records of stream {name!r}{drawn}; the missing ones are on "
            f"{', '.join(shards)}.{paging} Read every shard (loop over kinesis.list_shards(StreamName={name!r})"
            "['Shards']) from TRIM_HORIZON, and keep calling get_records with NextShardIterator until "
            "MillisBehindLatest is 0."
        )


def _expected_shard(key: str, shards: Iterable[dict[str, Any]]) -> str:
    # The documented rule: MD5 of the UTF-8 key, read as a 128-bit unsigned integer, falls in exactly
    # one open shard's HashKeyRange. (kinesis-facts 1.7)
    __tracebackhide__ = True
    hash_key = partition_key_hash(key)
    for shard in shards:
        if "EndingSequenceNumber" in shard.get("SequenceNumberRange", {}):
            continue  # closed by a reshard: takes no new records
        low, high = (int(shard["HashKeyRange"][k]) for k in ("StartingHashKey", "EndingHashKey"))
        if low <= hash_key <= high:
            return shard["ShardId"]
    raise ValueError(f"no open shard covers the hash key of {key!r}")


def check_shard_predictions(
    predict_shard: Callable[[str, list[dict[str, Any]]], Any],
    shards: list[dict[str, Any]],
    keys: Iterable[str],
    *,
    actual: dict[str, str] | None = None,
) -> None:
    """Assert that ``predict_shard(key, shards)`` names the right shard for every key.

    ``actual`` maps keys to the ShardId the service really used (from PutRecord or GetRecords); keys
    not in it are checked against the documented MD5 rule.
    """
    __tracebackhide__ = True
    if not callable(predict_shard):
        raise AssertionError("predict_shard should be a function: def predict_shard(partition_key, shards): ...")
    for key in keys:
        try:
            got = predict_shard(key, [dict(s) for s in shards])
        except NotImplementedError:
            raise
        except Exception as exc:
            raise AssertionError(
                f"predict_shard({key!r}, shards) raised {type(exc).__name__}: {exc}"
            ) from exc
        want = (actual or {}).get(key) or _expected_shard(key, shards)
        if not isinstance(got, str):
            raise AssertionError(
                f"predict_shard({key!r}, shards) returned {got!r}; return the ShardId string of the "
                f"shard, such as {want!r}."
            )
        if got != want:
            where = "the service put it on" if actual and key in actual else "its hash key falls in"
            raise AssertionError(
                f"predict_shard({key!r}, shards) returned {got!r}, but {where} {want!r}. Kinesis takes "
                "the MD5 digest of the partition key's UTF-8 bytes, reads it as a 128-bit unsigned "
                "integer and picks the shard whose HashKeyRange (StartingHashKey..EndingHashKey, both "
                "inclusive, decimal strings) contains it. Python's hash() is not MD5 and changes between runs."
            )


def check_predictions_match_stream(
    predict_shard: Callable[[str, list[dict[str, Any]]], Any], client: Any, name: str
) -> None:
    """Assert that ``predict_shard`` names, for every partition key in stream ``name``, the shard the
    service really put that key's records on."""
    __tracebackhide__ = True
    records = read_stream(client, name)
    if not records:
        raise AssertionError(
            f"Stream {name!r} holds no records, so there is nothing to compare your predictions with: "
            "write the records first."
        )
    actual: dict[str, str] = {}
    for record in records:
        actual.setdefault(record["PartitionKey"], record["ShardId"])
    shards = [s for s in list_shards(client, name) if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
    check_shard_predictions(predict_shard, shards, list(actual), actual=actual)


# --- data the learner's code has not seen -----------------------------------------------------------
def new_test_seed() -> int:
    """A seed drawn afresh for every grading run (from the operating system, not from ``random``, which
    the learner's code may have seeded): hidden tests build their data from it, so an answer read off a
    print-out cannot match, and quote it in their messages, so a failing case can be rebuilt."""
    return random.SystemRandom().randrange(1, 10**6)


def _keys_on(shard: dict[str, Any], rng: random.Random, count: int, prefix: str) -> list[str]:
    """``count`` distinct partition keys whose MD5 hash key falls in ``shard``'s range."""
    low, high = (int(shard["HashKeyRange"][k]) for k in ("StartingHashKey", "EndingHashKey"))
    keys: list[str] = []
    while len(keys) < count:
        key = f"{prefix}-{rng.randrange(10**8):08d}"
        if low <= partition_key_hash(key) <= high and key not in keys:
            keys.append(key)
    return keys


def fill_stream(
    client: Any, name: str, *, seed: int, big_shard_records: int = 0, shards: Sequence[int] = (1, 2, 3)
) -> list[tuple[str, str]]:
    """Create stream ``name`` with a shard count drawn from ``shards`` and fill it with records drawn from
    ``seed``; return the ``(partition_key, data)`` pairs written, in order.

    One shard, drawn at random, receives ``big_shard_records`` plus up to 200 more records (more than
    one GetRecords call returns when 10,000 or more: one record more is enough to need a second call, and
    every record more costs grading time); the others get a few hundred. Writes stay within a
    shard's 1,000 records/s by sleeping, which in a lab moves simulated time only. Each record's data is
    JSON ``{"key": ..., "n": ...}`` with ``n`` increasing in the order written.
    """
    __tracebackhide__ = True
    rng = random.Random(seed)
    _call(client, "create_stream", StreamName=name, ShardCount=rng.choice(list(shards)))
    client.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    open_shards = list_shards(client, name)
    big = rng.choice(open_shards)
    plan: list[str] = []
    for shard in open_shards:
        count = big_shard_records + rng.randrange(1, 201) if shard is big else rng.randrange(50, 400)
        keys = _keys_on(shard, rng, 8, "device")
        plan += [rng.choice(keys) for _ in range(count)]
    rng.shuffle(plan)
    written = [(key, json.dumps({"key": key, "n": n})) for n, key in enumerate(plan)]
    batch = int(quotas.PUT_RECORDS_MAX_RECORDS)
    for start in range(0, len(written), batch):
        pending = [{"PartitionKey": k, "Data": d.encode()} for k, d in written[start:start + batch]]
        while pending:
            response = _call(client, "put_records", name, StreamName=name, Records=pending)
            pending = [e for e, r in zip(pending, response["Records"]) if "ErrorCode" in r]
            # Half a second per 500 records keeps even a single busy shard within 1,000 records/s.
            time.sleep(batch / int(quotas.SHARD_WRITE_RECORDS_PER_SECOND))
    return written


def check_order_kept(records: Sequence[Any], key_of: Callable[[Any], Any], position_of: Callable[[Any], Any]) -> None:
    """Assert that for every key (``key_of(record)``) the records come in increasing ``position_of`` order:
    a shard returns its records in the order they were written, so a reader must keep that order."""
    __tracebackhide__ = True
    seen: dict[Any, list[Any]] = {}
    for i, record in enumerate(records):
        try:
            seen.setdefault(key_of(record), []).append(position_of(record))
        except Exception as exc:  # the learner's list holds something that is not one of the records written
            raise AssertionError(
                f"records[{i}] is not one of the records written ({type(exc).__name__}: {exc}): keep the "
                "record dicts get_records returns, unchanged."
            ) from None
    for key, order in seen.items():
        if order != sorted(order):
            raise AssertionError(
                f"The records of {key!r} came back in the order {order[:8]}{'...' if len(order) > 8 else ''}: "
                "a shard returns its records in the order they were written, so keep them in the order "
                "get_records gives them (do not sort or shuffle them, and read a parent shard before its children)."
            )


# --- the same answer in another Python process ---------------------------------------------------------
_PROCESS_SCRIPT = """
import json, sys
namespace = {"__name__": "__learner__"}
exec(compile(json.loads(sys.argv[1]), "<your function>", "exec"), namespace)
fn = namespace[sys.argv[2]]
inputs = json.load(sys.stdin)
json.dump([fn(x) for x in inputs], sys.stdout)
"""


def _globals_used(fn: Callable[..., Any]) -> dict[str, Any]:
    """The globals ``fn`` uses (and the functions of its own module it calls use), by name."""
    import types

    found: dict[str, Any] = {}
    seen: set[str] = set()

    def add(func: Callable[..., Any]) -> None:
        code = getattr(func, "__code__", None)
        if code is None or func.__name__ in seen:
            return
        seen.add(func.__name__)
        names = set(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                names |= set(const.co_names)
        for used in names:
            if used in func.__globals__:
                value = func.__globals__[used]
                found[used] = value
                if isinstance(value, types.FunctionType) and value.__module__ == func.__module__:
                    add(value)

    add(fn)
    return found


def _state_kept(fn: Callable[..., Any], inputs: Sequence[Any]) -> list[str]:
    """Names of the global dicts, lists and sets that ``fn`` fills as it meets new inputs: state that a restarted
    process would not have. Probed with variants of the inputs it cannot have seen (every string changed)."""
    containers = {n: v for n, v in _globals_used(fn).items() if type(v) in (dict, list, set)}
    if not containers:
        return []
    sizes = {n: len(v) for n, v in containers.items()}

    def fresh(value: Any) -> Any:
        if isinstance(value, str):
            return f"{value}-restart"
        if isinstance(value, dict):
            return {k: fresh(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fresh(v) for v in value]
        return value

    for x in list(inputs)[:50]:
        try:
            fn(fresh(x))
        except Exception:  # the learner's function may reject made-up input: then there is nothing to learn
            break
    return sorted(n for n, v in containers.items() if len(v) != sizes[n])


def _function_source(fn: Callable[..., Any], empty: Sequence[str] = ()) -> str:
    """Source that rebuilds ``fn`` in a fresh interpreter: the modules, plain constants and functions of its
    own module that it uses, then the function itself. Globals named in ``empty`` start empty, as they would
    in a process that has just started."""
    import inspect
    import types

    parts: list[str] = []
    seen: set[str] = set()

    def add(func: Callable[..., Any]) -> None:
        code = getattr(func, "__code__", None)
        if code is None or func.__name__ in seen:
            return
        seen.add(func.__name__)
        names = set(code.co_names)
        for const in code.co_consts:  # names used by nested functions and comprehensions
            if isinstance(const, types.CodeType):
                names |= set(const.co_names)
        for used in sorted(names):
            value = func.__globals__.get(used)
            if isinstance(value, types.ModuleType):
                parts.insert(0, f"import {value.__name__} as {used}")
            elif isinstance(value, types.FunctionType) and value.__module__ == func.__module__:
                add(value)
            elif used in empty:
                parts.append(f"{used} = {type(value).__name__}()")
            elif isinstance(value, (int, float, str, bytes, bool, tuple, list, dict, set, frozenset)) and not used.startswith("__"):
                parts.append(f"{used} = {value!r}")
        parts.append(inspect.getsource(func))

    add(fn)
    return "\n".join(dict.fromkeys(parts))


def check_same_in_another_process(fn: Callable[[Any], Any], inputs: Sequence[Any], *, what: str = "the function") -> None:
    """Assert that ``fn`` gives the same result for every input (JSON data) in two fresh Python processes
    with different hash salts as in this one.

    Python salts ``hash()`` of a ``str`` or ``bytes`` per process (PYTHONHASHSEED), so a value derived from it
    changes when a producer restarts or runs on another machine; a partition key must not.
    """
    __tracebackhide__ = True
    name = getattr(fn, "__name__", "")
    here = [_learner_call(f"{what}({x!r})", fn, x) for x in inputs]
    kept = _state_kept(fn, inputs)  # a memory of earlier answers is lost when the process restarts
    try:
        source = _function_source(fn, empty=kept)
    except (OSError, TypeError) as exc:
        raise AssertionError(
            f"Could not read the source of {what} to run it in a fresh Python process ({exc}). Define it with "
            "def in a notebook cell."
        ) from None
    for salt in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": salt}
        done = subprocess.run(
            [sys.executable, "-c", _PROCESS_SCRIPT, json.dumps(source), name],
            input=json.dumps(list(inputs)), capture_output=True, text=True, env=env, timeout=120,
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
            raise AssertionError(
                f"{what} could not run in a fresh Python process: {last}. It should need only modules it "
                "imports, constants and other functions defined in the notebook."
            )
        there = json.loads(done.stdout)
        changed = [(x, a, b) for x, a, b in zip(inputs, here, there) if a != b]
        if changed and kept:
            x, a, b = changed[0]
            raise AssertionError(
                f"{what} remembers its earlier answers in {', '.join(kept)} (it grows with every new input), and a "
                f"process that starts with an empty {kept[0]}, as a producer restarted tomorrow does, gives different "
                f"answers for {len(changed)} of {len(inputs)} inputs: for {x!r} it returned {a!r} here and {b!r} in a "
                "fresh process. Derive the value from the input alone, with a stable digest such as hashlib.md5."
            )
        if changed:
            x, a, b = changed[0]
            raise AssertionError(
                f"{what} gives different answers in another Python process for {len(changed)} of {len(inputs)} "
                f"inputs: for {x!r} it returned {a!r} here and {b!r} in a fresh process. Python's hash() of a "
                "string is salted per process (PYTHONHASHSEED), so a producer restarted tomorrow would send the "
                "same order under another key. Derive the value from a stable digest such as hashlib.md5."
            )


# --- hot partitions -------------------------------------------------------------------------------------
def _seed_note(test_seed: int | None) -> str:
    return "" if test_seed is None else f" (test data drawn with seed {test_seed})"


def _learner_call(what: str, fn: Any, *args: Any) -> Any:
    """``fn(*args)``; an exception from the learner's code becomes an AssertionError that names it."""
    __tracebackhide__ = True
    if not callable(fn):
        raise AssertionError(f"{what} should be a function, got {type(fn).__name__}.")
    try:
        return fn(*args)
    except NotImplementedError:
        raise
    except Exception as exc:
        raise AssertionError(f"{what} raised {type(exc).__name__}: {exc}") from exc


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def check_refused_writes(
    refused_writes: Callable[[str, Any, Any], Any], cloudwatch: Any, stream: str, start: Any, end: Any,
    *, truth: dict[str, int], test_seed: int | None = None,
) -> None:
    """Assert that ``refused_writes(stream, start, end)`` returns, for every shard of ``stream``, the sum of
    CloudWatch's shard-level ``WriteProvisionedThroughputExceeded`` between ``start`` and ``end``.

    ``truth`` (refused writes per shard as the producer counted them, e.g. ``run_keyed_workload(...).throttled``)
    names the shards and must agree with CloudWatch: a check on the test itself."""
    __tracebackhide__ = True
    note = _seed_note(test_seed)
    shard_ids = sorted(truth)
    want: dict[str, float] = {}
    for shard_id in shard_ids:
        points = _call(
            cloudwatch, "get_metric_statistics", Namespace="AWS/Kinesis", MetricName="WriteProvisionedThroughputExceeded",
            Dimensions=[{"Name": "StreamName", "Value": stream}, {"Name": "ShardId", "Value": shard_id}],
            StartTime=start, EndTime=end, Period=60, Statistics=["Sum"],
        )["Datapoints"]
        want[shard_id] = sum(p["Sum"] for p in points)
    if not any(want.values()) and any(truth.values()):
        raise AssertionError(
            f"CloudWatch holds no shard-level WriteProvisionedThroughputExceeded datapoints for stream {stream!r}, "
            f"although its producer was refused {sum(truth.values())} writes: shard-level metrics must be enabled "
            "(kinesis.enable_enhanced_monitoring, Part 1) before the traffic runs."
        )
    if any(abs(want[s] - truth[s]) > 0.5 for s in shard_ids):
        raise AssertionError(f"test set-up: CloudWatch says {want} but the producer counted {truth}{note}")
    got = _learner_call(f"refused_writes({stream!r}, start, end)", refused_writes, stream, start, end)
    if not isinstance(got, dict):
        raise AssertionError(
            f"refused_writes({stream!r}, start, end) returned {got!r}{note}; return a dict from each ShardId to "
            f"the number of refused writes, such as {want}."
        )
    if sorted(got) != shard_ids:
        raise AssertionError(
            f"refused_writes({stream!r}, start, end) has the keys {sorted(got)!r}{note}, but the stream's shards "
            f"are {shard_ids}: one entry per ShardId of the stream asked for (list_shards(StreamName=stream))."
        )
    bad = {s: v for s, v in got.items() if _number(v) is None}
    if bad:
        raise AssertionError(
            f"refused_writes({stream!r}, start, end) gives {bad}{note}: each value should be a number, the sum "
            "of the datapoints' 'Sum' (0 when there are none)."
        )
    wrong = {s: got[s] for s in shard_ids if abs(float(got[s]) - want[s]) > 0.5}
    if not wrong:
        return
    values = [float(got[s]) for s in shard_ids]
    if not any(values):
        hint = ("Every shard shows 0, as when CloudWatch returns no datapoints: check the namespace "
                "(AWS/Kinesis), the metric name (WriteProvisionedThroughputExceeded), the dimensions and the times.")
    elif len(set(values)) == 1 and abs(values[0] - sum(want.values())) <= 0.5:
        hint = ("Every shard shows the stream's total: without the ShardId dimension CloudWatch answers for the "
                "whole stream. Ask with both dimensions, StreamName and ShardId.")
    else:
        hint = ("Query each shard with the dimensions StreamName and ShardId, the stream asked for, and the "
                "start and end given, and add up the datapoints' 'Sum'.")
    raise AssertionError(
        f"For stream {stream!r}{note} CloudWatch counts these refused writes per shard: {want}; refused_writes "
        f"returned {got}. {hint}"
    )


def check_hot_partition(
    find_hot: Callable[..., Any], refused: dict[str, float], events: Sequence[dict[str, Any]],
    shards: Sequence[dict[str, Any]], *, test_seed: int | None = None,
) -> None:
    """Assert that ``find_hot(refused, events, shards)`` returns ``(hot_shard, hot_customer)``: the shard
    with the most refused writes according to ``refused``, and the customer with most events on it."""
    __tracebackhide__ = True
    note = _seed_note(test_seed)
    top = max(refused.values())
    hot = sorted(s for s, v in refused.items() if v == top)
    got = _learner_call("find_hot(refused, events, shards)", find_hot, dict(refused), list(events), [dict(s) for s in shards])
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise AssertionError(
            f"find_hot(refused, events, shards) returned {got!r}{note}; return a pair (hot_shard, hot_customer)."
        )
    hot_shard, hot_customer = got
    if hot_shard not in hot:
        figures = ", ".join(f"{s}: {v:g}" for s, v in sorted(refused.items()))
        raise AssertionError(
            f"find_hot returned hot shard {hot_shard!r}{note}, but the refused writes per shard are {{{figures}}}: "
            f"the hot shard is {hot[0]}, the one with the most. Take it from `refused`, not from the event counts "
            "or a fixed name."
        )
    counts = Counter(e["customer"] for e in events if _expected_shard(e["customer"], shards) == hot_shard)
    if not counts:
        return
    most = max(counts.values())
    busiest = sorted(c for c, n in counts.items() if n == most)
    if hot_customer not in busiest:
        seen = counts.get(hot_customer, 0)
        raise AssertionError(
            f"find_hot returned hot customer {hot_customer!r}{note}, who has {seen} events on {hot_shard}; "
            f"{busiest[0]} has the most there ({most}). Count events per customer among those whose key maps "
            "to the hot shard (shard_for_key(shards, customer)), and take the largest."
        )


def check_partition_keys(
    partition_key: Callable[[dict[str, Any]], Any], events: Sequence[dict[str, Any]], *,
    test_seed: int | None = None, repeat: bool = True,
) -> list[str]:
    """Assert that ``partition_key`` gives every event a valid key (a str of 1 to 256 characters) and, with
    ``repeat``, the same one when asked twice; return the keys."""
    __tracebackhide__ = True
    note = _seed_note(test_seed)
    keys = [_learner_call(f"partition_key({e!r})", partition_key, e) for e in events]
    low, high = int(quotas.PARTITION_KEY_MIN_LENGTH), int(quotas.PARTITION_KEY_MAX_LENGTH)
    for event, key in zip(events, keys):
        if not isinstance(key, str) or not low <= len(key) <= high:
            raise AssertionError(
                f"partition_key({event!r}) returned {key!r}{note}: a partition key is a string of {low} to "
                f"{high} characters."
            )
    if not repeat:
        return keys
    again = [partition_key(e) for e in events]
    changed = [(e, a, b) for e, a, b in zip(events, keys, again) if a != b]
    if changed:
        event, first, second = changed[0]
        raise AssertionError(
            f"{len(changed)} events got a different key the second time{note}, e.g. {event!r}: {first!r} then "
            f"{second!r}. partition_key must give the same event the same key every time (no random)."
        )
    return keys
