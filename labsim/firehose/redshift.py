"""The Redshift destination: stage each delivery in S3, then COPY it into the cluster's table.

As the Firehose guide describes it (kinesis-facts 7.4, 7.6): a delivery is written to the S3
staging bucket (``S3Configuration``: its BufferingHints, Prefix; CompressionFormat UNCOMPRESSED or
GZIP only) with a manifest under ``<Prefix>manifests/``, then Firehose runs ``COPY <DataTableName>
(<DataTableColumns>) FROM '<manifest>' ... MANIFEST <CopyOptions>`` on the cluster named by
``ClusterJDBCURL``, as ``Username``/``Password``. A COPY that fails (no such cluster, wrong password,
no table, rows the table rejects beyond MAXERROR) is retried for ``RetryOptions.DurationInSeconds``
(0-7,200 s, default 3,600); then Firehose skips the batch and writes its manifest under
``<Prefix>errors/manifests/`` for a manual backfill (the staged data stays in S3). With
``S3BackupMode=Enabled`` every delivery's source records are also written to the backup bucket.

Metrics: ``DeliveryToRedshift.Records`` / ``.Bytes`` / ``.Success`` (and ``.DataFreshness`` from the
pipeline), ``DeliveryToS3.*`` for the staging objects, ``BackupToS3.*``.

Configuration rules and the Describe view: ``redshift_config``. The cluster and its database are ``labsim.redshift``'s (moto's control plane, DuckDB's SQL).
Error codes are those of the Firehose guide's "Amazon Redshift data delivery errors" list.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from labsim.redshift import copy as rcopy
from labsim.redshift.data_api import cluster_named
from labsim.redshift.warehouse import warehouse_for

from . import compression, prefixes
from .config import parse_destination
from .destinations import S3Writer
from .redshift_config import JDBC


class RedshiftWriter:
    """Stages a batch in S3 once, then COPYs it; retried within RetryOptions; skipped to errors/."""

    metric = "DeliveryToRedshift"
    __slots__ = ("stream", "dest", "context", "account_id", "region", "staging", "backup", "metrics", "staged", "loaded")

    def __init__(self, stream: str, dest: Any, context: Any, account_id: str, region: str, staging: Any,
                 backup: Any, metrics: Any) -> None:
        self.stream = stream
        self.dest = dest
        self.context = context
        self.account_id = account_id
        self.region = region
        self.staging = staging  # S3Writer on S3Configuration
        self.backup = backup  # S3Writer on S3BackupConfiguration, or None
        self.metrics = metrics
        #: id(batch) -> (data key, manifest key, staged body) of a batch waiting for a successful COPY.
        self.staged: dict[int, tuple[str, str, bytes]] = {}
        self.loaded = 0  # rows the COPYs loaded

    def retry_window(self) -> float:
        return float(self.dest.config["RetryOptions"]["DurationInSeconds"])

    def deliver(self, batch: Any, now: float) -> tuple[str, str] | None:
        staged = self.staged.get(id(batch))
        if staged is None:
            result = self._stage(batch, now)
            if isinstance(result, tuple) and len(result) == 2:
                return result  # type: ignore[return-value]
            staged = self.staged[id(batch)] = result  # type: ignore[assignment]
        error = self._copy(staged, now)
        if error is None:
            del self.staged[id(batch)]
            add = self.metrics.add
            add(now, self.stream, "DeliveryToRedshift.Records", float(len(batch)))
            add(now, self.stream, "DeliveryToRedshift.Bytes", float(batch.nbytes))
        return error

    def _stage(self, batch: Any, now: float) -> tuple[str, str, bytes] | tuple[str, str]:
        s = self.staging
        dest = s.dest
        data = b"".join(batch.records)
        key = s.key_for(batch.oldest, dest.prefix)
        body = compression.compress(dest.compression, data)
        error = s.s3.put(dest.bucket, key, body)
        if error is not None:
            return error
        manifest_key = self._manifest_key(batch.oldest, "manifests/")
        error = s.s3.put(dest.bucket, manifest_key, self._manifest(key))
        if error is not None:
            return error
        add = self.metrics.add
        add(now, self.stream, "DeliveryToS3.Records", float(len(batch)))
        add(now, self.stream, "DeliveryToS3.Bytes", float(batch.nbytes))
        add(now, self.stream, "DeliveryToS3.ObjectCount", 1.0)
        add(now, self.stream, "DeliveryToS3.Success", 1.0)
        if self.backup is not None:
            b = self.backup
            if b.write(batch, data, b.dest.prefix, now) is None:
                add(now, self.stream, "BackupToS3.Records", float(len(batch)))
                add(now, self.stream, "BackupToS3.Bytes", float(batch.nbytes))
                add(now, self.stream, "BackupToS3.Success", 1.0)
        return (key, manifest_key, body)

    def _manifest_key(self, oldest: float, folder: str) -> str:
        s = self.staging
        static = prefixes.EXPRESSION.sub("", s.dest.prefix or "")
        where = prefixes.render(static + folder, oldest, s.dest.time_zone, random_string=s.naming.random_string())
        return where + prefixes.object_name(self.stream, s.version(), oldest, s.dest.time_zone, s.naming.uuid(), "")

    def _manifest(self, key: str) -> bytes:
        return json.dumps({"entries": [{"url": f"s3://{self.staging.dest.bucket}/{key}", "mandatory": True}]}).encode()

    def _copy(self, staged: tuple[str, str, bytes], now: float) -> tuple[str, str] | None:
        from labsim import iam

        c = self.dest.config
        m = JDBC.fullmatch(c["ClusterJDBCURL"])
        identifier, database = m.group(1), m.group(3)
        cluster = cluster_named(self.account_id, self.region, identifier)
        if cluster is None or getattr(cluster, "status", "available") != "available":
            state = "does not exist" if cluster is None else f"is {cluster.status}"
            return ("Redshift.ConnectionFailed",
                    f"Could not connect to the cluster {identifier}: it {state} in {self.region}. Create it with "
                    "redshift.create_cluster and check ClusterJDBCURL.")
        if c.get("Username") != cluster.master_username or c.get("Password") != cluster.master_user_password:
            return ("Redshift.AuthenticationFailed",
                    f"The provided user name and password failed authentication for {identifier} "
                    f"(user {c.get('Username')!r}).")
        key = staged[0]
        try:
            iam.authorize(self.context, c["RoleARN"], "s3:GetObject", f"arn:aws:s3:::{self.staging.dest.bucket}/{key}")
        except iam.AccessDenied as exc:
            return ("Redshift.S3BucketAccessDenied", f"The COPY command failed to access the staging bucket: {exc.message}")
        command = c["CopyCommand"]
        warehouse = warehouse_for(self.context, self.account_id, self.region, identifier, database)
        try:
            options = rcopy.CopyOptions(command.get("CopyOptions"))
            self.loaded += rcopy.run_copy(warehouse, command["DataTableName"], rcopy.split_columns(command.get("DataTableColumns")),
                                          options, [(f"s3://{self.staging.dest.bucket}/{key}", staged[2])], now)
        except rcopy.CopyError as exc:
            return (exc.code, exc.message)
        return None

    def give_up(self, batch: Any, now: float, error: tuple[str, str]) -> None:
        """After RetryOptions: skip the batch, its manifest goes under errors/ for a manual COPY."""
        staged = self.staged.pop(id(batch), None)
        s = self.staging
        if staged is None:
            return  # never staged: S3 itself failed; nothing in S3 to point at
        key = self._manifest_key(batch.oldest, "errors/manifests/")
        body = json.dumps({"entries": [{"url": f"s3://{s.dest.bucket}/{staged[0]}", "mandatory": True}],
                           "errorCode": error[0], "errorMessage": error[1], "attemptsMade": batch.attempts}).encode()
        s.s3.put(s.dest.bucket, key, body)
        self.metrics.add(now, self.stream, "DeliveryToRedshift.Records", 0.0)


def redshift_writer(backend: Any, stream: str, version: Callable[[], str], dest: Any) -> RedshiftWriter:
    """The Redshift writer of one delivery stream, with its staging and backup S3 writers."""
    staging = S3Writer(stream, version, parse_destination("S3", dest.config["S3Configuration"]), backend.s3,
                       backend.naming, backend.metrics)
    backup = None
    if dest.config.get("S3BackupMode") == "Enabled":
        backup = S3Writer(stream, version, parse_destination("S3", dest.config["S3BackupConfiguration"]), backend.s3,
                          backend.naming, backend.metrics)
    return RedshiftWriter(stream, dest, backend.context, backend.account_id, backend.region_name, staging, backup,
                          backend.metrics)
