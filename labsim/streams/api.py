"""The Kinesis operations labsim serves itself: parameters in, the backend's one method, JSON out.

Each handler takes the pipeline's ``Call`` (``labsim.transport``), finds the lab's
``LabKinesisBackend`` for the call's account and Region, calls the operation's one typed method
and renders its result in the service's JSON; the service's errors propagate to the pipeline,
which renders them. No logic lives here that a stream source (Firehose, the KCL, Lambda) would
need: they call the same backend methods (``backend.get_records``, ``backend.read_shard``).

The operations not listed in ``OPERATIONS`` (tags, encryption, enhanced monitoring, resource
policies, DescribeLimits, UpdateStreamMode) are served by moto's KinesisResponse, which reaches
the same backend through moto's dispatch.

GetRecords and PutRecords build their JSON as text: every value but the record data is a decimal,
an id or a name, and that is several times faster than ``json.dumps`` of dicts (see
``benchmarks/bench_streams.py``).
"""

from __future__ import annotations

import binascii
import json
from typing import Any, Callable

from botocore.awsrequest import AWSResponse

from labsim import quotas
from labsim.faults import internal_failure_message
from labsim.pagetokens import PageTokens

from . import errors as E
from . import eventstream as es
from .backend import THROTTLED
from .efo import EventStreamBody
from .reads import ShardBatch

INTERNAL_FAILURE_MESSAGE = internal_failure_message()
_b2a = binascii.b2a_base64
_dumps = json.dumps


def snake(name: str) -> str:
    """botocore's member name as the backend's keyword (``StreamARN`` -> ``stream_arn``)."""
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


_SNAKE: dict[str, str] = {}


def kwargs(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in params.items():
        name = _SNAKE.get(key)
        if name is None:
            name = _SNAKE[key] = snake(key)
        out[name] = value
    return out


class KinesisApi:
    """The handlers of one lab, bound to ``backend_for(account, region)``."""

    def __init__(self, backend_for: Callable[[str, str], Any]) -> None:
        self.backend_for = backend_for
        self._list_streams_tokens: PageTokens | None = None

    def handlers(self) -> dict[str, Callable[[Any], Any]]:
        out: dict[str, Callable[[Any], Any]] = {}
        for operation in OPERATIONS:
            out[operation] = getattr(self, snake(operation))
        return out

    def _backend(self, call: Any) -> Any:
        return self.backend_for(call.account_id, call.region)

    @staticmethod
    def _names(p: dict[str, Any]) -> tuple[Any, Any]:
        # The data plane skips the model guard: check the types it would have checked.
        name, arn = p.get("StreamName"), p.get("StreamARN")
        if not isinstance(name, (str, type(None))) or not isinstance(arn, (str, type(None))):
            raise E.SerializationError()
        return name, arn

    # -- data plane --------------------------------------------------------------------------------
    def put_record(self, call: Any) -> dict[str, Any]:
        p = call.params
        name, arn = self._names(p)
        backend = self._backend(call)
        seq, shard_id = backend.put_record(
            arn, name, p.get("PartitionKey"), p.get("ExplicitHashKey"), p.get("Data"), p.get("SequenceNumberForOrdering")
        )
        return {"ShardId": shard_id, "SequenceNumber": seq, "EncryptionType": backend.data_stream(name, arn).encryption_type}

    # The data plane's own checks cover the whole input model, in the model guard's words, at a
    # fraction of the cost (tests/test_streams_api.py holds the two to the same answers).
    put_record.validates_model = True  # type: ignore[attr-defined]

    def put_records(self, call: Any) -> bytes:
        p = call.params
        name, arn = self._names(p)
        backend = self._backend(call)
        stream, outcomes, failed = backend.put_records(arn, name, p.get("Records"))
        ok = '{"SequenceNumber":"%s","ShardId":"%s"}'
        refused = '{"ErrorCode":"%s","ErrorMessage":"%s"}'
        account = backend.account_id
        parts = [
            ok % (seq, shard_id) if error is None
            else refused % (error, E.shard_throttled(shard_id, stream.name, account) if error == THROTTLED else INTERNAL_FAILURE_MESSAGE)
            for seq, shard_id, error in outcomes
        ]
        body = '{"FailedRecordCount":%d,"Records":[%s],"EncryptionType":"%s"}' % (failed, ",".join(parts), stream.encryption_type)
        return body.encode("ascii")

    put_records.validates_model = True  # type: ignore[attr-defined]

    def get_shard_iterator(self, call: Any) -> dict[str, Any]:
        p = call.params
        iterator = self._backend(call).get_shard_iterator(
            p.get("StreamName"), p.get("StreamARN"), p.get("ShardId"), p.get("ShardIteratorType"),
            p.get("StartingSequenceNumber"), p.get("Timestamp"),
        )
        return {"ShardIterator": iterator}

    def get_records(self, call: Any) -> str:
        p = call.params
        return render_records(self._backend(call).get_records(p.get("ShardIterator"), p.get("Limit"), p.get("StreamARN")))

    def subscribe_to_shard(self, call: Any) -> AWSResponse:
        sub = self._backend(call).subscribe_to_shard(**kwargs(call.params))
        request = call.request
        return AWSResponse(request.url, 200, {"Content-Type": es.CONTENT_TYPE}, EventStreamBody(sub))  # type: ignore[arg-type]

    # -- streams -------------------------------------------------------------------------------------
    def create_stream(self, call: Any) -> dict[str, Any]:
        p = call.params
        self._backend(call).create_stream(
            p.get("StreamName"), p.get("ShardCount"), stream_mode=p.get("StreamModeDetails"),
            max_record_size_kib=p.get("MaxRecordSizeInKiB"), tags=p.get("Tags"),
        )
        return {}

    def delete_stream(self, call: Any) -> dict[str, Any]:
        p = call.params
        self._backend(call).delete_stream(p.get("StreamARN"), p.get("StreamName"), bool(p.get("EnforceConsumerDeletion")))
        return {}

    def describe_stream(self, call: Any) -> dict[str, Any]:
        p = call.params
        stream = self._backend(call).describe_stream(p.get("StreamARN"), p.get("StreamName"))
        shards = sorted(stream.shards.values(), key=lambda s: s.index)
        after = p.get("ExclusiveStartShardId")
        if after is not None:
            shards = [s for s in shards if s.shard_id > after]
        limit = min(p.get("Limit") or int(quotas.DESCRIBE_STREAM_SHARDS_DEFAULT), int(quotas.DESCRIBE_STREAM_SHARDS_DEFAULT))
        return stream.to_json(shard_limit=limit, shards=shards)

    def describe_stream_summary(self, call: Any) -> dict[str, Any]:
        p = call.params
        return self._backend(call).describe_stream_summary(p.get("StreamARN"), p.get("StreamName")).to_json_summary()

    def list_streams(self, call: Any) -> dict[str, Any]:
        p = call.params
        backend = self._backend(call)
        if self._list_streams_tokens is None:
            self._list_streams_tokens = PageTokens(backend.context_secret("list-streams-tokens"))
        names = sorted(backend.streams)
        after = p.get("ExclusiveStartStreamName")
        token = p.get("NextToken")
        if token is not None:
            after = self._list_streams_tokens.decode(token, E.InvalidArgumentError)["after"]
        if after is not None:
            names = [n for n in names if n > after]
        limit = p.get("Limit") or int(quotas.LIST_STREAMS_DEFAULT_LIMIT)
        page = names[:limit]
        streams = [backend.streams[n] for n in page]
        out: dict[str, Any] = {
            "StreamNames": page,
            "HasMoreStreams": len(names) > len(page),
            "StreamSummaries": [
                {"StreamName": s.name, "StreamARN": s.arn, "StreamStatus": s.status, "StreamModeDetails": s.stream_mode,
                 "StreamCreationTimestamp": s.created_at}
                for s in streams
            ],
        }
        if len(names) > len(page):
            out["NextToken"] = self._list_streams_tokens.encode({"after": page[-1]})
        return out

    def update_max_record_size(self, call: Any) -> dict[str, Any]:
        p = call.params
        self._backend(call).update_max_record_size(p.get("StreamARN"), p.get("MaxRecordSizeInKiB"))
        return {}

    # -- shards ----------------------------------------------------------------------------------------
    def list_shards(self, call: Any) -> dict[str, Any]:
        return self._backend(call).list_shards(**kwargs(call.params))

    def split_shard(self, call: Any) -> dict[str, Any]:
        self._backend(call).split_shard(**kwargs(call.params))
        return {}

    def merge_shards(self, call: Any) -> dict[str, Any]:
        self._backend(call).merge_shards(**kwargs(call.params))
        return {}

    def update_shard_count(self, call: Any) -> dict[str, Any]:
        return self._backend(call).update_shard_count(**kwargs(call.params))

    def increase_stream_retention_period(self, call: Any) -> dict[str, Any]:
        p = call.params
        self._backend(call).increase_stream_retention_period(p.get("StreamARN"), p.get("StreamName"), p.get("RetentionPeriodHours"))
        return {}

    def decrease_stream_retention_period(self, call: Any) -> dict[str, Any]:
        p = call.params
        self._backend(call).decrease_stream_retention_period(p.get("StreamARN"), p.get("StreamName"), p.get("RetentionPeriodHours"))
        return {}

    # -- enhanced fan-out consumers -----------------------------------------------------------------------
    def register_stream_consumer(self, call: Any) -> dict[str, Any]:
        return self._backend(call).register_stream_consumer(**kwargs(call.params))

    def describe_stream_consumer(self, call: Any) -> dict[str, Any]:
        return self._backend(call).describe_stream_consumer(**kwargs(call.params))

    def list_stream_consumers(self, call: Any) -> dict[str, Any]:
        return self._backend(call).list_stream_consumers(**kwargs(call.params))

    def deregister_stream_consumer(self, call: Any) -> dict[str, Any]:
        return self._backend(call).deregister_stream_consumer(**kwargs(call.params))


OPERATIONS = (
    "PutRecord", "PutRecords", "GetShardIterator", "GetRecords", "SubscribeToShard",
    "CreateStream", "DeleteStream", "DescribeStream", "DescribeStreamSummary", "ListStreams", "UpdateMaxRecordSize",
    "ListShards", "SplitShard", "MergeShards", "UpdateShardCount",
    "IncreaseStreamRetentionPeriod", "DecreaseStreamRetentionPeriod",
    "RegisterStreamConsumer", "DescribeStreamConsumer", "ListStreamConsumers", "DeregisterStreamConsumer",
)


def render_records(batch: ShardBatch) -> str:
    """GetRecords' JSON for one ``ShardBatch``: one string per record, no intermediate dicts."""
    parts = []
    last_arrival = None
    ts = ""
    b2a = _b2a
    encrypted = ',"EncryptionType":"KMS"' if batch.stream.encryption_type == "KMS" else ""
    for r in batch.records:
        if r.arrival != last_arrival:
            last_arrival = r.arrival
            ts = "%.3f" % (int(r.arrival * 1000) / 1000)
        key = r.partition_key
        pk = _PK_CACHE.get(key)
        if pk is None:
            pk = _dumps(key)
            if len(_PK_CACHE) < 100_000:
                _PK_CACHE[key] = pk
        parts.append(
            '{"SequenceNumber":"%s","ApproximateArrivalTimestamp":%s,"Data":"%s","PartitionKey":%s%s}'
            % (r.sequence_number, ts, b2a(r.data, newline=False).decode("ascii"), pk, encrypted)
        )
    if batch.child_shards is not None:
        tail = ',"ChildShards":' + _dumps(batch.child_shards)
    else:
        tail = ',"NextShardIterator":"%s"' % batch.next_iterator
    return '{"Records":[%s],"MillisBehindLatest":%d%s}' % (",".join(parts), batch.millis_behind_latest, tail)


_PK_CACHE: dict[str, str] = {}
