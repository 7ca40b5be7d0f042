"""Data transformation: ProcessingConfiguration's processors, run on buffered batches (kinesis-facts 7.5).

With processing (or dynamic partitioning) on, a delivery stream has two stages (``build``):

  records -> processing buffer (Lambda's BufferSizeInMBs / BufferIntervalInSeconds, default 1 MB / 60 s)
          -> processors: Decompression, CloudWatchLogProcessing, RecordDeAggregation, Lambda,
             MetadataExtraction (jq), AppendDelimiterToRecord, always in that order
          -> the destination buffer(s) (``partitioning``: one per active partition) -> S3

The Lambda processor invokes the learner's function in-process (``labsim.awslambda``) as the
delivery role (``RoleArn`` parameter, else the destination's RoleARN; ``lambda:InvokeFunction``),
with the documented event: ``invocationId``, ``deliveryStreamArn``, ``region``, ``records[]``
(``recordId``, ``approximateArrivalTimestamp`` in ms, base64 ``data``; ``kinesisRecordMetadata`` and
``sourceKinesisStreamArn`` for a Kinesis stream source). The answer must return every recordId once,
each with ``result`` Ok | Dropped | ProcessingFailed and base64 ``data``; a bad answer fails the
whole invocation, as Firehose does. A failed invocation is retried ``NumberOfRetries`` times (default
3; labsim retries at once, without waiting: the lab's assumption), then every record of it is
failed. Failed records are written to S3 under ``processing-failed/`` (or ErrorOutputPrefix) as one
JSON document per record: ``attemptsMade``, ``arrivalTimestamp``, ``errorCode``, ``errorMessage``,
``attemptEndingTimestamp``, ``rawData`` (the source record, base64), ``lambdaArn``.
Error codes: ``Lambda.FunctionError``, ``Lambda.InvokeAccessDenied``, ``Lambda.MissingRecordId``,
``Lambda.DuplicatedRecordId``, ``Lambda.InvalidRecordResult``, ``Lambda.InvalidData``,
``Lambda.JsonProcessingException``, ``Lambda.ProcessingFailedStatus`` (the function said
ProcessingFailed); the built-in processors use ``<Processor>.Failed`` (the lab's names where AWS
publishes none). With ``S3BackupMode=Enabled`` the source records are also written, untouched, to
the S3 backup destination. Metrics: ``ExecuteProcessing.Duration`` (ms per invocation),
``ExecuteProcessing.Success`` (1/0 per invocation), ``SucceedProcessing.Records`` / ``.Bytes``.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from typing import Any, Callable

from labsim import quotas

from .errors import InvalidArgumentError

#: Parameter names each processor type accepts (FH-API ProcessorParameterName).
PARAMETERS = {
    "Lambda": {"LambdaArn", "NumberOfRetries", "RoleArn", "BufferSizeInMBs", "BufferIntervalInSeconds"},
    "RecordDeAggregation": {"SubRecordType", "Delimiter"},
    "AppendDelimiterToRecord": {"Delimiter"},
    "Decompression": {"CompressionFormat"},
    "CloudWatchLogProcessing": {"DataMessageExtraction"},
    "MetadataExtraction": {"MetadataExtractionQuery", "JsonParsingEngine"},
}
ORDER = ["Decompression", "CloudWatchLogProcessing", "RecordDeAggregation", "Lambda", "MetadataExtraction",
         "AppendDelimiterToRecord"]
RESULTS = ("Ok", "Dropped", "ProcessingFailed")


class Item:
    """One record on its way through the processors; ``raw`` is the source record (for error documents)."""

    __slots__ = ("raw", "data", "arrival", "meta", "query_keys", "lambda_keys")

    def __init__(self, raw: bytes, arrival: float, meta: Any) -> None:
        self.raw = raw
        self.data = raw
        self.arrival = arrival
        self.meta = meta
        self.query_keys: dict[str, str] = {}
        self.lambda_keys: dict[str, str] = {}

    def child(self, data: bytes) -> "Item":
        out = Item(self.raw, self.arrival, self.meta)
        out.data = data
        out.query_keys, out.lambda_keys = dict(self.query_keys), dict(self.lambda_keys)
        return out


class Failure:
    """Records that failed one step, with the error written into their error documents."""

    __slots__ = ("items", "code", "message", "attempts", "lambda_arn")

    def __init__(self, items: list[Item], code: str, message: str, attempts: int = 1, lambda_arn: str | None = None) -> None:
        self.items = items
        self.code = code
        self.message = message
        self.attempts = attempts
        self.lambda_arn = lambda_arn


# -- configuration ------------------------------------------------------------------------------------
def _b64_param(value: str, name: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidArgumentError(f"{name} must be base64-encoded (the newline delimiter is 'Cg==').") from None


class Processors:
    """A stream's ProcessingConfiguration, checked, in the order Firehose runs them."""

    __slots__ = ("params", "lambda_arn", "role_arn", "retries", "buffer_bytes", "interval", "query", "sub_type",
                 "split_delimiter", "append_delimiter", "extract_messages", "decompress")

    def __init__(self, config: dict[str, Any] | None, role_arn: str,
                 default_buffer_mb: float = quotas.FIREHOSE_LAMBDA_BUFFER_MB_DEFAULT) -> None:
        self.params: dict[str, dict[str, str]] = {}
        config = config or {}
        if config.get("Enabled", False):
            for processor in config.get("Processors") or []:
                kind = processor.get("Type")
                if kind not in PARAMETERS:
                    raise InvalidArgumentError(f"Processor type {kind!r} is not supported: use one of {', '.join(ORDER)}.")
                if kind in self.params:
                    raise InvalidArgumentError(f"Only one {kind} processor is allowed in ProcessingConfiguration.")
                given = {p["ParameterName"]: p["ParameterValue"] for p in processor.get("Parameters") or []}
                unknown = set(given) - PARAMETERS[kind]
                if unknown:
                    raise InvalidArgumentError(
                        f"Parameter {sorted(unknown)[0]} is not valid for a {kind} processor: it takes "
                        f"{', '.join(sorted(PARAMETERS[kind]))}.")
                self.params[kind] = given
        lam = self.params.get("Lambda")
        self.lambda_arn = lam.get("LambdaArn") if lam is not None else None
        if lam is not None and not self.lambda_arn:
            raise InvalidArgumentError("A Lambda processor needs the LambdaArn parameter (the function's ARN).")
        lam = lam or {}
        self.role_arn = lam.get("RoleArn") or role_arn
        self.retries = _number(lam, "NumberOfRetries", quotas.FIREHOSE_LAMBDA_RETRIES_DEFAULT, 0, quotas.FIREHOSE_LAMBDA_RETRIES_MAX, int)
        size = _number(lam, "BufferSizeInMBs", default_buffer_mb, quotas.FIREHOSE_LAMBDA_BUFFER_MB_MIN,
                       quotas.FIREHOSE_LAMBDA_BUFFER_MB_MAX, float)
        self.buffer_bytes = int(size * quotas.MiB) if self.lambda_arn else 0
        self.interval = _number(lam, "BufferIntervalInSeconds", quotas.FIREHOSE_LAMBDA_INTERVAL_DEFAULT,
                                quotas.FIREHOSE_LAMBDA_INTERVAL_MIN, quotas.FIREHOSE_LAMBDA_INTERVAL_MAX, int) if self.lambda_arn else 0
        meta = self.params.get("MetadataExtraction")
        self.query = None
        if meta is not None:
            if meta.get("JsonParsingEngine", "JQ-1.6") != "JQ-1.6":
                raise InvalidArgumentError("JsonParsingEngine must be JQ-1.6.")
            text = meta.get("MetadataExtractionQuery")
            if not text:
                raise InvalidArgumentError("MetadataExtraction needs MetadataExtractionQuery, e.g. '{customer_id: .customer_id}'.")
            import jq

            try:
                self.query = jq.compile(text)
            except ValueError as exc:
                raise InvalidArgumentError(f"MetadataExtractionQuery {text!r} is not a valid jq expression: {exc}") from None
        deagg = self.params.get("RecordDeAggregation")
        self.sub_type = self.split_delimiter = None
        if deagg is not None:
            self.sub_type = deagg.get("SubRecordType", "JSON")
            if self.sub_type not in ("JSON", "DELIMITED"):
                raise InvalidArgumentError("SubRecordType must be JSON or DELIMITED.")
            if self.sub_type == "DELIMITED":
                if "Delimiter" not in deagg:
                    raise InvalidArgumentError("RecordDeAggregation with SubRecordType DELIMITED needs a base64 Delimiter.")
                self.split_delimiter = _b64_param(deagg["Delimiter"], "Delimiter")
        append = self.params.get("AppendDelimiterToRecord")
        self.append_delimiter = None
        if append is not None:
            self.append_delimiter = _b64_param(append["Delimiter"], "Delimiter") if "Delimiter" in append else b"\n"
        cwl = self.params.get("CloudWatchLogProcessing")
        self.extract_messages = cwl is not None and cwl.get("DataMessageExtraction", "false").lower() == "true"
        dec = self.params.get("Decompression")
        self.decompress = dec is not None
        if dec is not None and dec.get("CompressionFormat", "GZIP") != "GZIP":
            raise InvalidArgumentError("Decompression supports CompressionFormat GZIP only.")

    @property
    def active(self) -> bool:
        return bool(self.params)


def _number(params: dict[str, str], name: str, default: Any, lo: Any, hi: Any, kind: Callable[[str], Any]) -> Any:
    if name not in params:
        return kind(default)
    try:
        value = kind(params[name])
    except ValueError:
        raise InvalidArgumentError(f"{name} must be a number, got {params[name]!r}.") from None
    if not lo <= value <= hi:
        raise InvalidArgumentError(f"{name} must be between {lo} and {hi}; got {params[name]}.")
    return value


def check(config: dict[str, Any], kind: str = "ExtendedS3") -> Processors:
    """A destination configuration's ProcessingConfiguration, checked (raises InvalidArgumentException).

    The Lambda runs as the processor's RoleArn, else the destination's RoleARN (Splunk has none: its S3
    backup's); its buffer defaults to 1 MB, 256 KB for Splunk (kinesis-facts 7.5)."""
    role = config.get("RoleARN") or (config.get("S3Configuration") or {}).get("RoleARN", "")
    default = quotas.FIREHOSE_LAMBDA_BUFFER_MB_DEFAULT_SPLUNK if kind == "Splunk" else quotas.FIREHOSE_LAMBDA_BUFFER_MB_DEFAULT
    return Processors(config.get("ProcessingConfiguration"), role, default)


# -- the built-in processors --------------------------------------------------------------------------
def decompress(items: list[Item]) -> tuple[list[Item], list[Failure]]:
    out, bad, err = [], [], ""
    for item in items:
        try:
            out.append(item.child(gzip.decompress(item.data)))
        except (OSError, EOFError) as exc:
            bad.append(item)
            err = str(exc)
    return out, [Failure(bad, "Decompression.Failed", f"The record is not GZIP data: {err}")] if bad else []


def extract_messages(items: list[Item]) -> tuple[list[Item], list[Failure]]:
    """CloudWatch Logs subscription records -> one record per log event message (control messages dropped)."""
    out, bad = [], []
    for item in items:
        try:
            doc = json.loads(item.data)
            kind = doc["messageType"]
        except (ValueError, KeyError, TypeError):
            bad.append(item)
            continue
        if kind == "DATA_MESSAGE":
            out.extend(item.child(e["message"].encode()) for e in doc.get("logEvents", []))
    msg = "The record is not a CloudWatch Logs subscription message (add a Decompression processor first)."
    return out, [Failure(bad, "CloudWatchLogProcessing.Failed", msg)] if bad else []


def deaggregate(items: list[Item], sub_type: str, delimiter: bytes | None) -> tuple[list[Item], list[Failure]]:
    """Multi-record de-aggregation: at most ``FIREHOSE_DEAGGREGATION_MAX_RECORDS`` sub-records per record."""
    out, bad, too_many = [], [], []
    limit = quotas.FIREHOSE_DEAGGREGATION_MAX_RECORDS
    for item in items:
        parts = _split_json(item.data) if sub_type == "JSON" else [p for p in item.data.split(delimiter or b"\n") if p]
        if parts is None:
            bad.append(item)
        elif len(parts) > limit:
            too_many.append(item)
        else:
            out.extend(item.child(p) for p in parts)
    failures = []
    if bad:
        failures.append(Failure(bad, "RecordDeAggregation.Failed", "The record is not a sequence of JSON objects."))
    if too_many:
        failures.append(Failure(too_many, "RecordDeAggregation.TooManyRecords",
                                f"The record holds more than {int(limit)} sub-records."))
    return out, failures


def _split_json(data: bytes) -> list[bytes] | None:
    text = data.decode("utf-8", errors="replace")
    decoder = json.JSONDecoder()
    parts, i = [], 0
    while True:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i >= len(text):
            return parts
        try:
            value, end = decoder.raw_decode(text, i)
        except ValueError:
            return None
        parts.append(text[i:end].encode())
        i = end


def extract_keys(items: list[Item], query: Any) -> tuple[list[Item], list[Failure]]:
    """MetadataExtraction: the jq query's object gives each record's partitionKeyFromQuery keys."""
    out, bad = [], []
    for item in items:
        try:
            result = query.input(json.loads(item.data)).first()
            if not isinstance(result, dict) or any(v is None for v in result.values()):
                raise ValueError("the query did not give an object of non-null values")
            item.query_keys = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in result.items()}
            out.append(item)
        except (ValueError, TypeError, StopIteration):
            bad.append(item)
    msg = "Non-JSON record or the MetadataExtractionQuery found no value for a partition key."
    return out, [Failure(bad, "DynamicPartitioning.MetadataExtractionFailed", msg)] if bad else []


# -- the Lambda processor -----------------------------------------------------------------------------
class LambdaStep:
    """Invokes the function on a batch, checks its answer, retries, reports metrics."""

    __slots__ = ("context", "procs", "stream_arn", "region", "source_arn", "metrics", "stream", "rng")

    def __init__(self, context: Any, procs: Processors, stream_arn: str, region: str, source_arn: str | None,
                 metrics: Any, stream: str, rng: Any) -> None:
        self.context = context
        self.procs = procs
        self.stream_arn = stream_arn
        self.region = region
        self.source_arn = source_arn
        self.metrics = metrics
        self.stream = stream
        self.rng = rng

    def _event(self, items: list[Item], ids: list[str]) -> dict[str, Any]:
        records = []
        for item, rid in zip(items, ids):
            rec: dict[str, Any] = {"recordId": rid, "approximateArrivalTimestamp": int(item.arrival * 1000),
                                   "data": base64.b64encode(item.data).decode("ascii")}
            if item.meta is not None:
                rec["kinesisRecordMetadata"] = item.meta
            records.append(rec)
        event: dict[str, Any] = {"invocationId": self._uuid(), "deliveryStreamArn": self.stream_arn}
        if self.source_arn:
            event["sourceKinesisStreamArn"] = self.source_arn
        event["region"] = self.region
        event["records"] = records
        return event

    def _uuid(self) -> str:
        import uuid

        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def run(self, items: list[Item], now: float) -> tuple[list[Item], list[Failure]]:
        out: list[Item] = []
        failures: list[Failure] = []
        for chunk in _chunks(items):
            ok, failed = self._invoke(chunk, now)
            out += ok
            failures += failed
        return out, failures

    def _invoke(self, items: list[Item], now: float) -> tuple[list[Item], list[Failure]]:
        from labsim import awslambda, iam

        arn = self.procs.lambda_arn
        ids = [f"{i:020d}{self.rng.getrandbits(64):016x}" for i in range(len(items))]
        event = self._event(items, ids)
        add = self.metrics.add
        error: tuple[str, str] = ("", "")
        attempts = 0
        for attempts in range(1, self.procs.retries + 2):
            try:
                iam.authorize(self.context, self.procs.role_arn, "lambda:InvokeFunction", arn)
            except iam.AccessDenied as exc:
                error = ("Lambda.InvokeAccessDenied", str(getattr(exc, "message", exc)))
                add(now, self.stream, "ExecuteProcessing.Success", 0.0)
                continue
            result = awslambda.invoke_in_process(self.context, arn, event)
            add(now, self.stream, "ExecuteProcessing.Duration", float(result.duration_ms))
            if result.error is not None:
                error = ("Lambda.FunctionError", f"The Lambda function was successfully invoked but it returned an error result. {result.error}")
                add(now, self.stream, "ExecuteProcessing.Success", 0.0)
                continue
            answer = validate(result.payload, ids)
            if isinstance(answer, tuple):
                error = answer
                add(now, self.stream, "ExecuteProcessing.Success", 0.0)
                continue
            add(now, self.stream, "ExecuteProcessing.Success", 1.0)
            return self._apply(items, ids, answer, now, arn)
        return [], [Failure(items, error[0], error[1], attempts, arn)]

    def _apply(self, items: list[Item], ids: list[str], answer: dict[str, dict[str, Any]], now: float,
               arn: str) -> tuple[list[Item], list[Failure]]:
        out, failed = [], []
        good = good_bytes = 0
        for item, rid in zip(items, ids):
            rec = answer[rid]
            if rec["result"] == "ProcessingFailed":
                failed.append(item)
                continue
            good += 1
            if rec["result"] == "Dropped":
                continue
            new = item.child(rec["data"])
            keys = (rec.get("metadata") or {}).get("partitionKeys") or {}
            new.lambda_keys = {str(k): str(v) for k, v in keys.items()}
            good_bytes += len(new.data)
            out.append(new)
        add = self.metrics.add
        add(now, self.stream, "SucceedProcessing.Records", float(good))
        add(now, self.stream, "SucceedProcessing.Bytes", float(good_bytes))
        msg = "The Lambda function returned result ProcessingFailed for this record."
        return out, [Failure(failed, "Lambda.ProcessingFailedStatus", msg, 1, arn)] if failed else []


def _chunks(items: list[Item]) -> list[list[Item]]:
    """Split a batch so each invocation's event stays under Lambda's 6 MB synchronous cap."""
    budget = quotas.LAMBDA_SYNC_PAYLOAD_BYTES - 64 * 1024
    chunks: list[list[Item]] = [[]]
    size = 0
    for item in items:
        cost = (len(item.data) + 2) // 3 * 4 + 200
        if chunks[-1] and size + cost > budget:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += cost
    return [c for c in chunks if c]


def validate(payload: bytes, ids: list[str]) -> dict[str, dict[str, Any]] | tuple[str, str]:
    """The function's answer, checked as Firehose checks it: (error code, message) if any record is wrong."""
    try:
        body = json.loads(payload)
    except ValueError:
        return ("Lambda.JsonProcessingException", "The Lambda function's response is not valid JSON.")
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list):
        return ("Lambda.JsonProcessingException", "The response must be a JSON object with a 'records' list.")
    expected = set(ids)
    seen: dict[str, dict[str, Any]] = {}
    for rec in records:
        if not isinstance(rec, dict) or rec.get("recordId") not in expected:
            rid = rec.get("recordId") if isinstance(rec, dict) else None
            return ("Lambda.MissingRecordId", f"The response has a record with an unknown or missing recordId {rid!r}: "
                    "return every recordId from the event unchanged.")
        rid = rec["recordId"]
        if rid in seen:
            return ("Lambda.DuplicatedRecordId", f"recordId {rid} appears more than once in the response.")
        if rec.get("result") not in RESULTS:
            return ("Lambda.InvalidRecordResult", f"recordId {rid} has result {rec.get('result')!r}: "
                    "use Ok, Dropped or ProcessingFailed.")
        if rec["result"] == "Ok":
            data = rec.get("data")
            try:
                if not isinstance(data, str):
                    raise ValueError
                rec = dict(rec, data=base64.b64decode(data, validate=True))
            except (binascii.Error, ValueError):
                return ("Lambda.InvalidData", f"recordId {rid}: 'data' must be the transformed record, base64-encoded.")
        seen[rid] = rec
    missing = expected - set(seen)
    if missing:
        return ("Lambda.MissingRecordId", f"{len(missing)} recordId(s) from the event are missing in the response: "
                "every record must come back, with result Ok, Dropped or ProcessingFailed.")
    return seen


def failure_documents(failure: Failure, now: float) -> bytes:
    """Failed records as Firehose writes them under processing-failed/: one JSON document per line."""
    lines = []
    for item in failure.items:
        doc = {"attemptsMade": failure.attempts, "arrivalTimestamp": int(item.arrival * 1000),
               "errorCode": failure.code, "errorMessage": failure.message,
               "attemptEndingTimestamp": int(now * 1000), "rawData": base64.b64encode(item.raw).decode("ascii")}
        if failure.lambda_arn:
            doc["lambdaArn"] = failure.lambda_arn
        lines.append(json.dumps(doc))
    return ("\n".join(lines) + "\n").encode()


def run_all(procs: Processors, step: LambdaStep | None, items: list[Item], now: float) -> tuple[list[Item], list[Failure]]:
    """Every configured processor, in Firehose's order."""
    failures: list[Failure] = []
    if procs.decompress:
        items, f = decompress(items)
        failures += f
    if procs.extract_messages:
        items, f = extract_messages(items)
        failures += f
    if procs.sub_type:
        items, f = deaggregate(items, procs.sub_type, procs.split_delimiter)
        failures += f
    if step is not None and items:
        items, f = step.run(items, now)
        failures += f
    if procs.query is not None:
        items, f = extract_keys(items, procs.query)
        failures += f
    if procs.append_delimiter is not None:
        items = [i.child(i.data + procs.append_delimiter) for i in items]
    return items, failures


__all__ = ["Processors", "Item", "Failure", "LambdaStep", "check", "validate", "failure_documents", "run_all"]
