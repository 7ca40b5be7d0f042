"""The Redshift destination's configuration rules and DescribeDeliveryStream view (see ``redshift``)."""

from __future__ import annotations

import copy as _copy
import re
from typing import Any, Callable

from labsim import quotas
from labsim.redshift import copy as rcopy

from .backup import backed_by_s3
from .errors import InvalidArgumentError

#: jdbc:redshift://<cluster id>.<unique>.<region>.redshift.amazonaws.com:<port>/<database>
JDBC = re.compile(r"jdbc:(?:redshift|postgresql)://([^.:/]+)[^:/]*:(\d+)/([A-Za-z0-9_$-]+)")


def check_configuration(c: dict[str, Any], hints: Callable[[dict[str, Any]], dict[str, int]]) -> dict[str, Any]:
    """The Redshift destination's rules and defaults (the model checks shapes and ranges)."""
    c = _copy.deepcopy(c)
    s3 = c.get("S3Configuration") or {}
    if s3.get("CompressionFormat", "UNCOMPRESSED") not in ("UNCOMPRESSED", "GZIP"):
        raise InvalidArgumentError(
            "CompressionFormat for the Redshift destination's S3 staging must be UNCOMPRESSED or GZIP "
            "(Snappy, ZIP and HADOOP_SNAPPY are not allowed).")
    if not JDBC.fullmatch(c.get("ClusterJDBCURL", "")):
        raise InvalidArgumentError(
            f"ClusterJDBCURL {c.get('ClusterJDBCURL')!r} is not jdbc:redshift://<cluster endpoint>:<port>/<database> "
            "(the endpoint comes from redshift.describe_clusters()['Clusters'][0]['Endpoint']).")
    if not (c.get("Username") and c.get("Password")) and not (c.get("SecretsManagerConfiguration") or {}).get("Enabled"):
        raise InvalidArgumentError("The Redshift destination needs Username and Password (or a SecretsManagerConfiguration).")
    if (c.get("SecretsManagerConfiguration") or {}).get("Enabled"):
        raise InvalidArgumentError("labsim does not simulate Secrets Manager for Redshift: give Username and Password.")
    if not (c.get("CopyCommand") or {}).get("DataTableName"):
        raise InvalidArgumentError("CopyCommand.DataTableName is required: the table Firehose COPYs into.")
    try:  # Firehose does not parse CopyOptions (a typo fails each COPY); what labsim cannot run is refused now
        rcopy.CopyOptions(c["CopyCommand"].get("CopyOptions"))
    except rcopy.NotSimulated as exc:
        raise InvalidArgumentError(f"CopyCommand.CopyOptions: {exc.message}") from None
    except rcopy.CopyError:
        pass
    s3["BufferingHints"] = hints(s3)
    s3.setdefault("CompressionFormat", "UNCOMPRESSED")
    s3.setdefault("Prefix", "")
    c["S3Configuration"] = s3
    backed_by_s3(c, quotas.FIREHOSE_REDSHIFT_RETRY_SECONDS_DEFAULT, "Disabled")
    if c["S3BackupMode"] == "Enabled" and not c.get("S3BackupConfiguration"):
        raise InvalidArgumentError("S3BackupMode Enabled needs an S3BackupConfiguration (the backup bucket).")
    return c


def description(c: dict[str, Any], s3_description: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """RedshiftDestinationDescription: the password is never echoed back."""
    c = _copy.deepcopy(c)
    c.pop("Password", None)
    c["S3DestinationDescription"] = s3_description(c.pop("S3Configuration"))
    if "S3BackupConfiguration" in c:
        c["S3BackupDescription"] = s3_description(c.pop("S3BackupConfiguration"))
    return c
