"""Which IAM action and which resource ARN each request is authorised against.

The action is ``<prefix>:<Operation>`` (botocore's operation name) for every service whose IAM
actions are named after its operations (Kinesis, Firehose, DynamoDB, KMS, CloudWatch, Logs, IAM,
STS, Lambda, EC2, Glue); S3's differ and are mapped. The resource follows the Service
Authorization Reference and kinesis-facts 8.1 and 8.5:

- Kinesis: the stream ARN (from StreamARN, else StreamName in the call's account and Region);
  the consumer ARN for SubscribeToShard, DescribeStreamConsumer and DeregisterStreamConsumer;
  ``*`` for ListStreams, DescribeLimits, Enable/DisableEnhancedMonitoring, UpdateShardCount and
  UpdateStreamMode, which have no resource type; GetRecords' stream comes from its iterator.
- Firehose: ``arn:aws:firehose:<region>:<account>:deliverystream/<name>``; DynamoDB
  ``...:table/<name>``; S3 ``arn:aws:s3:::<bucket>[/<key>]``; KMS the key's ARN; IAM the user,
  role or policy ARN; STS AssumeRole the role ARN; everything else ``*``.

>>> action_for("kinesis", "PutRecords"), action_for("s3", "ListObjectsV2"), action_for("cloudwatch-logs", "PutLogEvents")
('kinesis:PutRecords', 's3:ListBucket', 'logs:PutLogEvents')
>>> kinesis_resource("PutRecord", {"StreamName": "orders"}, "eu-west-1", "111122223333")
'arn:aws:kinesis:eu-west-1:111122223333:stream/orders'
>>> kinesis_resource("ListStreams", {}, "eu-west-1", "111122223333")
'*'
"""

from __future__ import annotations

from typing import Any

#: botocore service id -> IAM action prefix, where they differ.
PREFIX = {"cloudwatch-logs": "logs", "lambda": "lambda", "cloudwatch": "cloudwatch"}

S3_ACTIONS = {
    "ListObjectsV2": "ListBucket", "ListObjects": "ListBucket", "HeadBucket": "ListBucket", "HeadObject": "GetObject",
    "ListBuckets": "ListAllMyBuckets", "CopyObject": "PutObject", "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject", "CompleteMultipartUpload": "PutObject", "DeleteObjects": "DeleteObject",
    "ListObjectVersions": "ListBucketVersions", "ListMultipartUploads": "ListBucketMultipartUploads",
    "DeleteBucketPolicy": "DeleteBucketPolicy", "GetObjectAttributes": "GetObjectAttributes",
}

#: Kinesis operations with no resource type: only ``Resource: "*"`` grants them (kinesis-facts 8.5).
KINESIS_NO_RESOURCE = frozenset({"ListStreams", "DescribeLimits", "EnableEnhancedMonitoring", "DisableEnhancedMonitoring",
                                 "UpdateShardCount", "UpdateStreamMode", "DescribeAccountSettings", "UpdateAccountSettings"})
#: Kinesis operations authorised on the consumer's ARN, not the stream's.
KINESIS_ON_CONSUMER = frozenset({"SubscribeToShard", "DescribeStreamConsumer", "DeregisterStreamConsumer"})
#: Requests every identity may make (AWS checks no permission for them).
ALWAYS_ALLOWED = frozenset({("sts", "GetCallerIdentity")})

_ACTIONS: dict[tuple[str, str], str] = {}


def action_for(service: str, operation: str) -> str:
    """The IAM action of ``service.operation`` (botocore's service id and operation name)."""
    key = (service, operation)
    action = _ACTIONS.get(key)
    if action is None:
        if service == "s3":
            action = "s3:" + S3_ACTIONS.get(operation, operation)
        else:
            action = f"{PREFIX.get(service, service)}:{operation}"
        _ACTIONS[key] = action
    return action


def kinesis_resource(operation: str, params: dict[str, Any], region: str, account_id: str) -> str:
    if operation in KINESIS_NO_RESOURCE:
        return "*"
    arn = params.get("ConsumerARN") or params.get("ResourceARN")
    if arn:
        return arn
    stream_arn = params.get("StreamARN")
    if not stream_arn:
        name = params.get("StreamName")
        if not name:
            return "*"
        stream_arn = f"arn:aws:kinesis:{region}:{account_id}:stream/{name}"
    if operation in KINESIS_ON_CONSUMER and params.get("ConsumerName"):
        # the consumer's creation time is part of its ARN; a policy names consumers with a wildcard
        return f"{stream_arn}/consumer/{params['ConsumerName']}:*"
    return stream_arn


def resource_for(service: str, operation: str, params: dict[str, Any], region: str, account_id: str) -> str:
    """The ARN a request acts on (``*`` when the action has no resource type)."""
    if service == "kinesis":
        return kinesis_resource(operation, params, region, account_id)
    if service == "firehose":
        name = params.get("DeliveryStreamName")
        return f"arn:aws:firehose:{region}:{account_id}:deliverystream/{name}" if name else "*"
    if service == "dynamodb":
        name = params.get("TableName")
        if not name:
            return "*"
        return name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account_id}:table/{name}"
    if service == "s3":
        bucket = params.get("Bucket")
        if not bucket:
            return "*"
        key = params.get("Key")
        return f"arn:aws:s3:::{bucket}/{key}" if key is not None else f"arn:aws:s3:::{bucket}"
    if service == "sts":
        return params.get("RoleArn") or "*"
    if service == "iam":
        if params.get("RoleName"):
            return f"arn:aws:iam::{account_id}:role/{params['RoleName']}"
        if params.get("UserName"):
            return f"arn:aws:iam::{account_id}:user/{params['UserName']}"
        return params.get("PolicyArn") or "*"
    if service == "lambda":
        name = params.get("FunctionName")
        if not name:
            return "*"
        return name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account_id}:function:{name}"
    return "*"


def account_of(arn: str) -> str | None:
    """The account an ARN belongs to (None for ``*`` and S3 buckets, which name none)."""
    if not arn.startswith("arn:"):
        return None
    parts = arn.split(":", 5)
    return parts[4] or None if len(parts) > 4 else None
