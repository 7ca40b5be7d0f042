"""S3 backup for destinations that are not S3 (OpenSearch, Splunk): all records, or the failed ones.

``backed_by_s3`` sets the defaults and checks such destinations share (HTTP endpoint and Redshift too).

``write_backup`` writes one object through the destination's backup ``S3Writer`` under the backup
configuration's Prefix (all-records mode) or its error prefix (``ErrorOutputPrefix``, else
``<Prefix><error-output-type>/``) and publishes ``BackupToS3.{Records,Bytes,Success}``.
"""

from __future__ import annotations

from typing import Any

from . import prefixes
from .delivery import Batch


def backed_by_s3(c: dict[str, Any], retry_seconds: float, backup_mode: str) -> None:
    """What every destination with an S3Configuration beside it shares (HTTP endpoint, OpenSearch, Splunk,
    Redshift): its retry window's default, its backup mode's default, logging off, its S3 prefixes checked."""
    c.setdefault("RetryOptions", {"DurationInSeconds": retry_seconds})
    c.setdefault("S3BackupMode", backup_mode)
    c.setdefault("CloudWatchLoggingOptions", {"Enabled": False})
    s3 = c["S3Configuration"]
    prefixes.check_prefixes(s3.get("Prefix", ""), s3.get("ErrorOutputPrefix"), "UTC", False)


def write_backup(backup: Any, metrics: Any, stream: str, batch: Batch, data: bytes, now: float,
                 error_type: str | None) -> None:
    s3 = backup.dest
    prefix = s3.prefix if error_type is None else prefixes.error_prefix_for(s3.prefix, s3.error_prefix, error_type)
    ok = backup.write(batch, data, prefix, now, error_type) is None
    if ok:
        metrics.add(now, stream, "BackupToS3.Records", float(len(batch)))
        metrics.add(now, stream, "BackupToS3.Bytes", float(len(data)))
    metrics.add(now, stream, "BackupToS3.Success", 1.0 if ok else 0.0)
