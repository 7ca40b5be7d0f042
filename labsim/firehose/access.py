"""What Firehose does as its IAM roles: read the source stream, write the bucket, use KMS, log errors.

Firehose acts with the roles named in a delivery stream's configuration (FH-DG23
``controlling-access.md``): it assumes the role (its trust policy must allow
``firehose.amazonaws.com``) and every call it then makes is checked against the role's policies by
the lab's policy engine (``labsim.iam.as_service``). What each call needs, as the documented
delivery-role policy grants it:

==============================  ===============================================  =========================
Firehose does                   the role needs                                   resource
==============================  ===============================================  =========================
create a stream-sourced stream  ``kinesis:DescribeStream``                       the source stream
find the source's shards        ``kinesis:DescribeStream``, ``kinesis:ListShards`` the source stream
read the source                 ``kinesis:GetShardIterator``, ``kinesis:GetRecords`` the source stream
read an encrypted source        ``kms:Decrypt`` on a customer key                the stream's key
write an object                 ``s3:PutObject``                                 ``arn:aws:s3:::bucket/key``
encrypt it with a customer key  ``kms:GenerateDataKey`` (``kms:ViaService`` s3)  the key
log a delivery error            ``logs:PutLogEvents``                            the log stream
==============================  ===============================================  =========================

The documented policy also grants ``s3:AbortMultipartUpload``, ``s3:GetBucketLocation``,
``s3:ListBucket`` and ``s3:ListBucketMultipartUploads``; the lab writes every object in one piece,
so only ``s3:PutObject`` is checked (the lab's simplification). An HTTP endpoint destination needs
no permission for the endpoint itself, only the S3 ones for its backup bucket.

How a missing permission fails, as Firehose fails:

- **CreateDeliveryStream** with a Kinesis stream as source checks the role at once:
  ``InvalidArgumentException`` ("Firehose is unable to assume role ..." or "Role ... is not
  authorized to perform: kinesis:DescribeStream on resource ...").
- **Reading the source**: Firehose retries DescribeStream, GetShardIterator and GetRecords
  indefinitely (FH-DG23 ``troubleshooting.md``); nothing is read, the data waits in the stream
  until its retention drops it. The refusals are kept in ``SourcePoller.errors`` (Kinesis's
  ``AccessDeniedException``, or ``KMSAccessDeniedException`` for an encrypted stream's key).
- **Writing S3**: a failed delivery with error code ``S3.AccessDenied`` (or ``S3.KMS.*`` for the
  key), retried for 24 h and then dropped, like any S3 delivery error; with CloudWatch error
  logging on, each failed attempt is logged to the configured log group and stream.
- **Logging itself**: without ``logs:PutLogEvents`` (or without the log group and stream),
  the error log is simply not written; delivery is not affected.

A role the lab's IAM does not hold is not enforced (``labsim.iam.as_service``), so lessons that
use placeholder role ARNs run as before.
"""

from __future__ import annotations

import json
from typing import Any

from labsim import _moto, iam, kms

SERVICE = "firehose.amazonaws.com"

#: Firehose's data delivery error codes and messages (FH-DG23 ``monitoring-with-cloudwatch-logs.md``).
S3_ACCESS_DENIED = ("S3.AccessDenied", "Access was denied. Ensure that the trust policy for the provided IAM role allows "
                    "Firehose to assume the role, and the access policy allows access to the S3 bucket.")
S3_KMS_ERRORS = {
    "KMSNotFoundException": ("S3.KMS.NotFoundException", "The provided AWS KMS key was not found. If you are using what "
                             "you believe to be a valid AWS KMS key with the correct role, check if there is a problem "
                             "with the account to which the AWS KMS key is attached."),
    "KMSDisabledException": ("S3.KMS.KeyDisabled", "The provided KMS key is disabled. Enable the key or use a different key."),
    "KMSInvalidStateException": ("S3.KMS.InvalidStateException",
                                 "The provided KMS key is in an invalid state. Please use a different key."),
    "KMSThrottlingException": ("S3.KMS.RequestLimitExceeded", "The KMS request per second limit was exceeded while "
                               "attempting to encrypt S3 objects. Increase the request per second limit."),
    "KMSAccessDeniedException": S3_ACCESS_DENIED,
    "KMSOptInRequired": S3_ACCESS_DENIED,
}
#: The CloudWatch Logs stream Firehose writes delivery errors to, per destination (the console's default names).
LOG_STREAMS = {"DeliveryToS3": "DestinationDelivery", "DeliveryToHttpEndpoint": "DestinationDelivery"}


def refusal(context: Any, role_arn: str | None, action: str, resource: str, **kwargs: Any) -> str | None:
    """None when Firehose, as ``role_arn``, may do ``action`` on ``resource``; else AWS's denial message."""
    decision = iam.as_service(context, SERVICE, role_arn, action, resource, **kwargs)
    if decision.allowed:
        return None
    return iam.denial_message(role_arn or "", action, resource, decision.reason)


def check_source_role(context: Any, role_arn: str, stream_arn: str) -> str | None:
    """What CreateDeliveryStream says about a stream-sourced stream's role (None: fine)."""
    decision = iam.as_service(context, SERVICE, role_arn, "kinesis:DescribeStream", stream_arn)
    if decision.allowed:
        return None
    if "trust policy" in decision.reason:
        return f"Firehose is unable to assume role {role_arn}. Please check the role provided."
    return f"Role {role_arn} is not authorized to perform: kinesis:DescribeStream on resource {stream_arn}."


class SourceAccess:
    """The source role's permission to read one stream; ``require`` raises ``iam.AccessDenied``."""

    __slots__ = ("context", "role_arn", "stream_arn")

    def __init__(self, context: Any, role_arn: str | None, stream_arn: str) -> None:
        self.context = context
        self.role_arn = role_arn
        self.stream_arn = stream_arn

    def acting(self) -> Any:
        """A context in which Kinesis sees Firehose's calls as the role's (its KMS permissions count)."""
        # ``require`` ran first, so Firehose could assume the role; a role the lab does not hold is None
        enforced = self.role_arn and iam.guard_of(self.context) is not None
        return iam.acting_as(iam.principals.role_principal(self.role_arn, "Firehose") if enforced else None)

    def require(self, *actions: str) -> None:
        for action in actions:
            message = refusal(self.context, self.role_arn, action, self.stream_arn)
            if message is not None:
                raise iam.AccessDenied(message)


def s3_write_error(context: Any, dest_config: dict[str, Any], bucket: str, key: str, now: float,
                   region: str) -> tuple[tuple[str, str] | None, Any]:
    """Whether the delivery role may write ``bucket/key``: (error or None, the KMS key to encrypt with or None)."""
    role_arn = dest_config.get("RoleARN")
    if refusal(context, role_arn, "s3:PutObject", f"arn:aws:s3:::{bucket}/{key}") is not None:
        return S3_ACCESS_DENIED, None
    key_arn = ((dest_config.get("EncryptionConfiguration") or {}).get("KMSEncryptionConfig") or {}).get("AWSKMSKeyARN")
    if not key_arn:
        return None, None
    principal = iam.principals.role_principal(role_arn, "Firehose") if role_arn and iam.guard_of(context) else None
    try:
        cmk = kms.find_key(_account(role_arn, context), region, key_arn, service="s3")
        kms.use_key(context, cmk, principal, "GenerateDataKey", "s3", region, now)
    except kms.KmsProblem as problem:
        return S3_KMS_ERRORS[problem.error_type], None
    return None, cmk


def _account(role_arn: str | None, context: Any) -> str:
    return role_arn.split(":")[4] if role_arn and role_arn.count(":") >= 5 else context.account_id


class ErrorLog:
    """Writes a delivery stream's failed attempts to CloudWatch Logs, as the role, when logging is on."""

    __slots__ = ("context", "account_id", "region", "stream_arn", "destination_arn", "version", "options", "role_arn",
                 "metric", "written", "refused")

    def __init__(self, context: Any, account_id: str, region: str, stream_arn: str, destination_arn: str,
                 version: Any, options: dict[str, Any], role_arn: str | None, metric: str) -> None:
        self.context = context
        self.account_id = account_id
        self.region = region
        self.stream_arn = stream_arn
        self.destination_arn = destination_arn
        self.version = version
        self.options = options
        self.role_arn = role_arn
        self.metric = metric
        self.written = 0
        #: Log events not written because the role may not (logs:PutLogEvents) or the log stream is missing.
        self.refused = 0

    def __call__(self, now: float, code: str, message: str) -> None:
        opts = self.options
        if not opts.get("Enabled"):
            return
        group = opts.get("LogGroupName")
        stream = opts.get("LogStreamName") or LOG_STREAMS.get(self.metric, "DestinationDelivery")
        if not group:
            return
        arn = f"arn:aws:logs:{self.region}:{self.account_id}:log-group:{group}:log-stream:{stream}"
        if refusal(self.context, self.role_arn, "logs:PutLogEvents", arn) is not None:
            self.refused += 1
            return
        event = json.dumps({"deliveryStreamARN": self.stream_arn, "destination": self.destination_arn,
                            "deliveryStreamVersionId": int(self.version()), "message": message, "errorCode": code})
        logs = _moto.get_backend("logs")[self.account_id][self.region]
        try:
            logs.put_log_events(group, stream, [{"timestamp": int(now * 1000), "message": event}])
        except Exception:  # noqa: BLE001 - no such group or stream: Firehose cannot log, delivery goes on
            self.refused += 1
            return
        self.written += 1
