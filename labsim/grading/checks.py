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

import hashlib
import time
from collections import Counter
from typing import Any, Callable, Iterable, Sequence

from botocore.exceptions import ClientError

from .. import quotas

__all__ = [
    "check_stream_exists",
    "check_sequence_numbers",
    "check_records_read",
    "check_shard_predictions",
    "check_predictions_match_stream",
    "list_shards",
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
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


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


def check_records_read(client: Any, name: str, records: Any, *, expected: int | None = None) -> None:
    """Assert that ``records`` (dicts as GetRecords returns them) hold every record of the stream once."""
    __tracebackhide__ = True
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
    if missing:
        if not records:
            raise AssertionError(
                f"records is empty but stream {name!r} holds {len(truth)} records. If you asked for a "
                "LATEST iterator: it starts *after* the newest record, so it only sees records written "
                "later. Use ShardIteratorType='TRIM_HORIZON' to start at the oldest record still kept."
            )
        shards = sorted({wanted[ident] for ident in missing})
        raise AssertionError(
            f"You read {len(records)} of the {len(truth)} records; the missing ones are on "
            f"{', '.join(shards)}. Read every shard (loop over kinesis.list_shards(StreamName={name!r})"
            "['Shards']) from TRIM_HORIZON, and keep calling get_records with NextShardIterator until "
            "MillisBehindLatest is 0."
        )


def _expected_shard(key: str, shards: Iterable[dict[str, Any]]) -> str:
    # The documented rule: MD5 of the UTF-8 key, read as a 128-bit unsigned integer, falls in exactly
    # one open shard's HashKeyRange. (kinesis-facts 1.7)
    __tracebackhide__ = True
    hash_key = int.from_bytes(hashlib.md5(key.encode("utf-8")).digest(), "big")
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
