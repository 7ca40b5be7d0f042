"""Every destination's buffering ranges, defaults and compression rules, judged as the API does (issue 12, part C).

Ranges from botocore's firehose model and kinesis-facts 7.3 (S3/ExtendedS3/Iceberg 1-128 MiB, HTTP
endpoint 1-64, OpenSearch 1-100, Splunk 1-5 MiB and 0-60 s, Snowflake 1-128, intervals 0-900
otherwise; Redshift buffers through its S3 staging configuration's hints, 1-128).
"""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from labsim import quotas
from labsim.firehose.config import BUFFER_RANGES

ROLE = "arn:aws:iam::123456789012:role/firehose"
S3 = {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::lake"}
DOMAIN = "arn:aws:es:us-east-1:123456789012:domain/logs"

#: member -> (a minimal valid configuration, where its hints go, size max, interval max, label in errors)
DESTINATIONS = {
    "ExtendedS3DestinationConfiguration": (dict(S3), "BufferingHints", 128, 900),
    "S3DestinationConfiguration": (dict(S3), "BufferingHints", 128, 900),
    "HttpEndpointDestinationConfiguration": (
        {"EndpointConfiguration": {"Url": "https://in.example.com"}, "S3Configuration": S3}, "BufferingHints", 64, 900),
    "AmazonopensearchserviceDestinationConfiguration": (
        {"RoleARN": ROLE, "DomainARN": DOMAIN, "IndexName": "i", "S3Configuration": S3}, "BufferingHints", 100, 900),
    "ElasticsearchDestinationConfiguration": (
        {"RoleARN": ROLE, "DomainARN": DOMAIN, "IndexName": "i", "S3Configuration": S3}, "BufferingHints", 100, 900),
    "AmazonOpenSearchServerlessDestinationConfiguration": (
        {"RoleARN": ROLE, "CollectionEndpoint": "https://abc.us-east-1.aoss.amazonaws.com", "IndexName": "i",
         "S3Configuration": S3}, "BufferingHints", 100, 900),
    "SplunkDestinationConfiguration": (
        {"HECEndpoint": "https://splunk.example.com:8088", "HECEndpointType": "Raw", "HECToken": "t", "S3Configuration": S3},
        "BufferingHints", 5, 60),
    "RedshiftDestinationConfiguration": (
        {"RoleARN": ROLE, "ClusterJDBCURL": "jdbc:redshift://c.abc.us-east-1.redshift.amazonaws.com:5439/dev",
         "CopyCommand": {"DataTableName": "t"}, "Username": "u", "Password": "secret1", "S3Configuration": dict(S3)},
        "S3Configuration.BufferingHints", 128, 900),
}


def _with_hints(member, hints):
    config, where, _, _ = DESTINATIONS[member]
    config = {k: (dict(v) if isinstance(v, dict) else v) for k, v in config.items()}
    if where == "BufferingHints":
        config["BufferingHints"] = hints
    else:
        config["S3Configuration"] = {**config["S3Configuration"], "BufferingHints": hints}
    return config


def _label(member, where, field):
    parts = [member, *where.split("."), field]
    return ".".join(p[0].lower() + p[1:] for p in parts)


@pytest.fixture
def unchecked(lab):
    """A Firehose client that lets the server judge every value (botocore checks minimums itself)."""
    return lab.client("firehose", config=Config(parameter_validation=False))


@pytest.mark.parametrize("member", list(DESTINATIONS))
@pytest.mark.parametrize("field, bound", [("SizeInMBs", "max"), ("IntervalInSeconds", "max"), ("SizeInMBs", "min"),
                                          ("IntervalInSeconds", "min")])
def test_each_destination_range_is_the_api_model(unchecked, member, field, bound):
    _, where, size_max, interval_max = DESTINATIONS[member]
    top = size_max if field == "SizeInMBs" else interval_max
    bottom = 1 if field == "SizeInMBs" else 0
    value = top + 1 if bound == "max" else bottom - 1
    hints = {"SizeInMBs": 1, "IntervalInSeconds": 60, field: value}
    with pytest.raises(ClientError) as err:
        unchecked.create_delivery_stream(DeliveryStreamName="b", **{member: _with_hints(member, hints)})
    message = err.value.response["Error"]["Message"]
    assert err.value.response["Error"]["Code"] == "ValidationException"
    words = f"less than or equal to {top}" if bound == "max" else f"greater than or equal to {bottom}"
    assert f"Value '{value}' at '{_label(member, where, field)}' failed to satisfy constraint: Member must have value {words}" in message


@pytest.mark.parametrize("member", ["HttpEndpointDestinationConfiguration", "AmazonopensearchserviceDestinationConfiguration",
                                    "AmazonOpenSearchServerlessDestinationConfiguration", "SplunkDestinationConfiguration"])
def test_the_top_of_each_range_is_accepted(lab, member):
    _, _, size_max, interval_max = DESTINATIONS[member]
    fh = lab.client("firehose")
    fh.create_delivery_stream(DeliveryStreamName="top", **{member: _with_hints(
        member, {"SizeInMBs": size_max, "IntervalInSeconds": interval_max})})
    desc = fh.describe_delivery_stream(DeliveryStreamName="top")["DeliveryStreamDescription"]["Destinations"][0]
    (shown,) = [v for k, v in desc.items() if k.endswith("DestinationDescription") and k != "S3DestinationDescription"]
    assert shown["BufferingHints"] == {"SizeInMBs": size_max, "IntervalInSeconds": interval_max}


@pytest.mark.parametrize("member, key, expected", [
    ("ExtendedS3DestinationConfiguration", "ExtendedS3DestinationDescription", {"SizeInMBs": 5, "IntervalInSeconds": 300}),
    ("HttpEndpointDestinationConfiguration", "HttpEndpointDestinationDescription", {"SizeInMBs": 5, "IntervalInSeconds": 300}),
    ("AmazonopensearchserviceDestinationConfiguration", "AmazonopensearchserviceDestinationDescription",
     {"SizeInMBs": 5, "IntervalInSeconds": 300}),
    ("ElasticsearchDestinationConfiguration", "ElasticsearchDestinationDescription", {"SizeInMBs": 5, "IntervalInSeconds": 300}),
    ("SplunkDestinationConfiguration", "SplunkDestinationDescription", {"SizeInMBs": 5, "IntervalInSeconds": 60}),
])
def test_default_hints_per_destination(lab, member, key, expected):
    config, _, _, _ = DESTINATIONS[member]
    fh = lab.client("firehose")
    fh.create_delivery_stream(DeliveryStreamName="d", **{member: config})
    desc = fh.describe_delivery_stream(DeliveryStreamName="d")["DeliveryStreamDescription"]["Destinations"][0]
    assert desc[key]["BufferingHints"] == expected


def test_the_lab_table_matches_the_quotas():
    assert BUFFER_RANGES["Splunk"] == (1, quotas.FIREHOSE_SPLUNK_BUFFER_SIZE_MIB_MAX, quotas.FIREHOSE_SPLUNK_BUFFER_SIZE_MIB_DEFAULT,
                                       0, quotas.FIREHOSE_SPLUNK_BUFFER_INTERVAL_MAX, quotas.FIREHOSE_SPLUNK_BUFFER_INTERVAL_DEFAULT)
    for kind in ("Amazonopensearchservice", "AmazonOpenSearchServerless", "Elasticsearch"):
        assert BUFFER_RANGES[kind][1] == quotas.FIREHOSE_OPENSEARCH_BUFFER_SIZE_MIB_MAX


@pytest.mark.parametrize("fmt", ["Snappy", "ZIP", "HADOOP_SNAPPY"])
def test_redshift_staging_takes_gzip_or_nothing(lab, fmt):
    config = _with_hints("RedshiftDestinationConfiguration", {"SizeInMBs": 5, "IntervalInSeconds": 300})
    config["S3Configuration"]["CompressionFormat"] = fmt
    with pytest.raises(ClientError) as err:
        lab.client("firehose").create_delivery_stream(DeliveryStreamName="r", RedshiftDestinationConfiguration=config)
    assert err.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert "GZIP" in err.value.response["Error"]["Message"]


def test_http_endpoint_content_encoding_is_none_or_gzip(unchecked):
    config = dict(DESTINATIONS["HttpEndpointDestinationConfiguration"][0])
    config["RequestConfiguration"] = {"ContentEncoding": "SNAPPY"}
    with pytest.raises(ClientError) as err:
        unchecked.create_delivery_stream(DeliveryStreamName="h", HttpEndpointDestinationConfiguration=config)
    assert "enum value set: [NONE, GZIP]" in err.value.response["Error"]["Message"]


@pytest.mark.parametrize("member", ["AmazonopensearchserviceDestinationConfiguration", "SplunkDestinationConfiguration"])
def test_backup_bucket_of_search_and_splunk_may_be_compressed(lab, member):
    config = dict(DESTINATIONS[member][0])
    config["S3Configuration"] = {**S3, "CompressionFormat": "GZIP"}
    fh = lab.client("firehose")
    fh.create_delivery_stream(DeliveryStreamName="g", **{member: config})
    desc = fh.describe_delivery_stream(DeliveryStreamName="g")["DeliveryStreamDescription"]["Destinations"][0]
    (shown,) = [v for k, v in desc.items() if k.endswith("DestinationDescription")]
    assert shown["S3DestinationDescription"]["CompressionFormat"] == "GZIP"
