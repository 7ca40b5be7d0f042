"""Shared helpers for the labsim.kpl tests (no tests here).

- ``lab_stream``: a running virtual lab with an ACTIVE stream;
- ``Recording``: wraps a Kinesis client, logs every PutRecords request and response, and can make
  chosen records fail (as the service's per-record errors do) without sending them;
- ``FakeKinesis``: a pure-Python stand-in for a Kinesis client, for tests without any lab;
- ``read_all``: every record of a stream, deaggregated, shard by shard.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from typing import Any, Callable, Iterator

from labsim import Lab
from labsim.kpl import deaggregate


@contextlib.contextmanager
def lab_stream(shards: int = 1, name: str = "clicks", **lab_kwargs: Any) -> Iterator[tuple[Lab, Any]]:
    with Lab(**lab_kwargs) as lab:
        kinesis = lab.client("kinesis")
        kinesis.create_stream(StreamName=name, ShardCount=shards)
        if lab.clock.mode == "virtual":
            lab.clock.advance(30)
        else:
            kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
        yield lab, kinesis


class Recording:
    """A Kinesis client wrapper that logs PutRecords and can inject per-record failures.

    ``fail(entry, attempt_no)`` returns ``None`` to let a record through or ``(code, message)`` to
    answer it with that error without sending it.
    """

    def __init__(self, inner: Any, fail: Callable[[dict[str, Any], int], tuple[str, str] | None] | None = None,
                 raise_on_call: Callable[[int], BaseException | None] | None = None) -> None:
        self.inner = inner
        self.fail = fail
        self.raise_on_call = raise_on_call
        self.requests: list[list[dict[str, Any]]] = []
        self.responses: list[list[dict[str, Any]]] = []
        self.seen: dict[bytes, int] = {}
        self.meta = getattr(inner, "meta", None)

    def list_shards(self, **kwargs: Any) -> Any:
        return self.inner.list_shards(**kwargs)

    def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        self.requests.append(Records)
        if self.raise_on_call is not None:
            exc = self.raise_on_call(len(self.requests))
            if exc is not None:
                self.responses.append([])
                raise exc
        results: list[dict[str, Any] | None] = [None] * len(Records)
        forward = []
        for i, entry in enumerate(Records):
            tries = self.seen.get(entry["Data"], 0) + 1
            self.seen[entry["Data"]] = tries
            verdict = self.fail(entry, tries) if self.fail else None
            if verdict is None:
                forward.append(i)
            else:
                results[i] = {"ErrorCode": verdict[0], "ErrorMessage": verdict[1]}
        if forward:
            answer = self.inner.put_records(StreamName=StreamName, Records=[Records[i] for i in forward])
            for i, res in zip(forward, answer["Records"]):
                results[i] = res
        failed = sum(1 for r in results if r and "ErrorCode" in r)
        self.responses.append(results)  # type: ignore[arg-type]
        return {"FailedRecordCount": failed, "Records": results}


def md5_hash_key(pk: str) -> int:
    return int.from_bytes(hashlib.md5(pk.encode("utf-8")).digest(), "big")


class FakeKinesis:
    """Enough of a Kinesis client for the producer: ListShards and PutRecords, in memory."""

    def __init__(self, shards: int = 1, throttle_every: int = 0) -> None:
        step = 2**128 // shards
        self.shards = []
        for i in range(shards):
            end = (i + 1) * step - 1 if i < shards - 1 else 2**128 - 1
            self.shards.append({
                "ShardId": f"shardId-{i:012d}",
                "HashKeyRange": {"StartingHashKey": str(i * step), "EndingHashKey": str(end)},
                "SequenceNumberRange": {"StartingSequenceNumber": "0"},
            })
        self.stored: dict[str, list[dict[str, Any]]] = {s["ShardId"]: [] for s in self.shards}
        self.calls = 0
        self.throttle_every = throttle_every
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def list_shards(self, **kwargs: Any) -> dict[str, Any]:
        return {"Shards": list(self.shards)}

    def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        with self._lock:
            self.calls += 1
            self.threads.add(threading.current_thread().name)
            out = []
            for n, entry in enumerate(Records):
                if self.throttle_every and self.calls % self.throttle_every == 1:  # calls 1, 1 + k, 1 + 2k ...
                    out.append({"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded for shard"})
                    continue
                hk = int(entry["ExplicitHashKey"]) if entry.get("ExplicitHashKey") else md5_hash_key(entry["PartitionKey"])
                shard = next(s for s in self.shards if int(s["HashKeyRange"]["StartingHashKey"]) <= hk <= int(s["HashKeyRange"]["EndingHashKey"]))
                records = self.stored[shard["ShardId"]]
                seq = str(len(records) + 1).zfill(20)
                records.append({"Data": entry["Data"], "PartitionKey": entry["PartitionKey"], "SequenceNumber": seq})
                out.append({"ShardId": shard["ShardId"], "SequenceNumber": seq})
            return {"FailedRecordCount": sum("ErrorCode" in r for r in out), "Records": out}


def read_all(kinesis: Any, stream: str = "clicks", filter_by_shard: bool = True) -> dict[str, list[Any]]:
    """Every user record in the stream, per shard (deaggregated; KCL's hash-range filter applied)."""
    out: dict[str, list[Any]] = {}
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        users = []
        while it:
            try:
                resp = kinesis.get_records(ShardIterator=it, Limit=10_000)
            except kinesis.exceptions.ProvisionedThroughputExceededException:
                time.sleep(5)  # the shard's read budget; in a virtual lab this moves simulated time
                continue
            users.extend(deaggregate(resp["Records"], max_key_range=shard if filter_by_shard else None))
            if not resp["Records"] and resp.get("MillisBehindLatest", 0) == 0:
                break
            it = resp.get("NextShardIterator")
            time.sleep(0.2)  # 5 GetRecords calls/s per shard (in a virtual lab this moves simulated time)
        out[shard["ShardId"]] = users
    return out
