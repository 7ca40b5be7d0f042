"""The processing stage of a delivery stream: wires ``processing`` and ``partitioning`` into the pipeline.

Processors run for ExtendedS3, HTTP endpoint, OpenSearch and Splunk destinations (not Redshift yet: it
refuses ProcessingConfiguration); dynamic partitioning and source-record backup are ExtendedS3's.

``build`` returns the stream's first pipeline when it has processors, dynamic partitioning or
source-record backup: its buffer is the Lambda processor's (BufferSizeInMBs / BufferIntervalInSeconds;
none without a Lambda: records go straight through) and its "writer" is a ``Stage`` that runs the
processors, writes failed records to the error prefix, backs up source records, and hands the rest
to the destination buffers (``partitioning.Partitions``: one per active partition, or one).
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from labsim import quotas

from . import conversion, partitioning, prefixes
from .config import Destination, parse_destination
from .delivery import Batch, Pipeline
from .destinations import S3Writer
from .processing import Failure, Item, LambdaStep, check, failure_documents, run_all


#: Destinations whose records labsim can run through processors (Redshift: not simulated).
PROCESSED = ("ExtendedS3", "HttpEndpoint", "Splunk", "Amazonopensearchservice", "Elasticsearch", "AmazonOpenSearchServerless")


def needed(dest: Destination) -> bool:
    c = dest.config
    processing = bool((c.get("ProcessingConfiguration") or {}).get("Enabled"))
    if dest.kind == "ExtendedS3":
        return processing or partitioning.enabled(c) or c.get("S3BackupMode") == "Enabled"
    return processing and dest.kind in PROCESSED


class PartitionWriter(S3Writer):
    """S3 writer of one partition: its keys are in the prefix; no default timestamp is appended."""

    __slots__ = ("dynamic",)

    def key_for(self, oldest: float, prefix: str, error_type: str | None = None) -> str:
        zone = self.dest.time_zone
        where = prefixes.render(prefix, oldest, zone, random_string=self.naming.random_string(), error_type=error_type,
                                default_timestamp=not self.dynamic)
        return where + prefixes.object_name(self.stream, self.version(), oldest, zone, self.naming.uuid(), self.dest.extension())


class BackupWriter(S3Writer):
    """Source-record backup (S3BackupMode Enabled): the records as they arrived, BackupToS3 metrics."""

    metric = "BackupToS3"
    __slots__ = ()

    def deliver(self, batch: Batch, now: float) -> tuple[str, str] | None:
        error = self.write(batch, b"".join(batch.records), self.dest.prefix, now)
        if error is None:
            self.metrics.add(now, self.stream, "BackupToS3.Records", float(len(batch)))
            self.metrics.add(now, self.stream, "BackupToS3.Bytes", float(batch.nbytes))
        return error


class Stage:
    """The processing buffer's writer: processors, errors, backup, then the destination buffers."""

    metric = ""  # the stage reports ExecuteProcessing.* / SucceedProcessing.* itself
    __slots__ = ("procs", "step", "partitions", "errors", "backup", "query_keys", "lambda_keys")

    def __init__(self, procs: Processors, step: LambdaStep | None, partitions: partitioning.Partitions,
                 errors: S3Writer, backup: Pipeline | None, dynamic_prefix: str | None) -> None:
        self.procs = procs
        self.step = step
        self.partitions = partitions
        self.errors = errors
        self.backup = backup
        self.query_keys, self.lambda_keys = partitioning.key_names(dynamic_prefix) if dynamic_prefix else (set(), set())

    def retry_window(self) -> float:
        return 0.0

    def deliver(self, batch: Batch, now: float) -> None:
        if self.backup is not None:
            self.backup.add(list(batch.records), list(batch.arrivals), batch.nbytes)
        items = [Item(d, a, m) for d, a, m in zip(batch.records, batch.arrivals, batch.meta)]
        items, failures = run_all(self.procs, self.step, items, now)
        if self.query_keys or self.lambda_keys:
            keyed, unkeyed = [], []
            for item in items:
                (unkeyed if partitioning.missing_keys(item, self.query_keys, self.lambda_keys) else keyed).append(item)
            if unkeyed:
                missing = partitioning.missing_keys(unkeyed[0], self.query_keys, self.lambda_keys)
                failures.append(Failure(unkeyed, "DynamicPartitioning.PartitionKeyMissing",
                                        f"The record has no value for {', '.join(missing)}, which the Prefix uses.",
                                        1, self.procs.lambda_arn))
            items = keyed
        for failure in failures:
            if failure.items:
                self.write_errors(failure, now, "processing-failed")
        if items:
            self.partitions.add(items, now)
        return None

    def write_errors(self, failure: Failure, now: float, error_type: str) -> None:
        dest = self.errors.dest
        where = prefixes.error_prefix_for(dest.prefix, dest.error_prefix, error_type)
        raws = [i.raw for i in failure.items]
        batch = Batch(raws, [i.arrival for i in failure.items], sum(map(len, raws)))
        self.errors.write(batch, failure_documents(failure, now), where, now, error_type)

    def overflow(self, items: list[Item], now: float) -> None:
        limit = self.partitions.limit
        self.write_errors(Failure(items, "DynamicPartitioning.ActivePartitionsLimitExceeded",
                                  f"The number of active partitions has exceeded the configured limit ({limit}).",
                                  1, None), now, partitioning.ERROR_TYPE)

    def give_up(self, batch: Batch, now: float, error: tuple[str, str]) -> None:
        return None

    def close(self) -> None:
        self.partitions.close()
        if self.backup is not None:
            self.backup.close()


class StagedPipeline(Pipeline):
    """The processing buffer; closing it also delivers the partitions' and the backup's buffers."""

    __slots__ = ("stage",)

    def close(self) -> None:
        super().close()
        self.stage.close()


def build(clock: Any, context: Any, stream_name: str, stream_arn: str, region: str, source_arn: str | None,
          version: Callable[[], str], dest: Destination, s3: Any, naming: Any, metrics: Any,
          sink: Callable[[], Any] | None = None) -> Pipeline:
    """The staged pipeline of a stream with processing (and, for ExtendedS3, partitioning or backup).

    ``sink`` builds the destination writer of a non-S3 destination (HTTP endpoint, OpenSearch, Splunk);
    their failed records go to the error prefix of their S3Configuration."""
    c = dest.config
    procs = check(c, dest.kind)
    step = None
    if procs.lambda_arn:
        rng = context.rng(f"firehose-lambda:{stream_arn}") if context is not None else __import__("random").Random(0)
        step = LambdaStep(context, procs, stream_arn, region, source_arn, metrics, stream_name, rng)
    dynamic = partitioning.enabled(c)

    def make(query_keys: dict[str, str], lambda_keys: dict[str, str]) -> Pipeline:
        part = copy.copy(dest)
        part.prefix = partitioning.fill(dest.prefix, query_keys, lambda_keys)
        writer: Any = PartitionWriter(stream_name, version, part, s3, naming, metrics)
        writer.dynamic = dynamic
        if conversion.enabled(c):  # after processing and partitioning: Parquet/ORC per delivery (labsim.firehose.conversion)
            writer = conversion.ColumnarWriter(writer, context, context.account_id, region)
        return Pipeline(clock, stream_name, writer, dest.size_bytes, dest.interval, metrics)

    if sink is not None:
        make = lambda _q, _l: Pipeline(clock, stream_name, sink(), dest.size_bytes, dest.interval, metrics)  # noqa: E731
    s3_dest = dest if dest.kind == "ExtendedS3" else parse_destination("S3", c["S3Configuration"])
    errors = S3Writer(stream_name, version, s3_dest, s3, naming, metrics)
    backup = None
    if c.get("S3BackupMode") == "Enabled" and c.get("S3BackupConfiguration"):
        bdest = parse_destination("S3", c["S3BackupConfiguration"])
        backup = Pipeline(clock, stream_name, BackupWriter(stream_name, version, bdest, s3, naming, metrics),
                          bdest.size_bytes, bdest.interval, metrics)
    stage = Stage(procs, step, partitioning.Partitions(make, quotas.FIREHOSE_ACTIVE_PARTITIONS_DEFAULT if dynamic else None,
                                                       lambda items, now: stage.overflow(items, now)),
                  errors, backup, dest.prefix if dynamic else None)
    pipeline = StagedPipeline(clock, stream_name, stage, procs.buffer_bytes, procs.interval, metrics)
    pipeline.stage = stage
    return pipeline
