"""Firehose to OpenSearch (Service, Serverless, legacy Elasticsearch) through plain boto3 (issue 12, part C)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from labsim import quotas
from labsim.firehose import opensearch_domain, pipeline
from labsim.firehose.opensearch import index_name

ROLE = "arn:aws:iam::123456789012:role/firehose"
BUCKET = "search-backup"


def code(err):
    return err.value.response["Error"]["Code"]


def domain(lab, name="logs", engine="OpenSearch_2.11"):
    return lab.client("opensearch").create_domain(DomainName=name, EngineVersion=engine)["DomainStatus"]


def s3_config(**extra):
    return {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{BUCKET}", **extra}


def make(lab, name="to-search", kind="AmazonopensearchserviceDestinationConfiguration", create_domain=True, **dest):
    if create_domain:
        arn = domain(lab)["ARN"]
        dest.setdefault("DomainARN", arn)
    s3 = lab.client("s3")
    if BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=BUCKET)
    config = {"RoleARN": ROLE, "IndexName": "web", "S3Configuration": s3_config(),
              "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}, **dest}
    fh = lab.client("firehose")
    fh.create_delivery_stream(DeliveryStreamName=name, **{kind: config})
    lab.clock.advance(float(quotas.FIREHOSE_CREATING_SECONDS))
    return fh, s3


def put(fh, docs, name="to-search"):
    fh.put_record_batch(DeliveryStreamName=name, Records=[
        {"Data": d if isinstance(d, bytes) else json.dumps(d).encode()} for d in docs])


def objects(s3, prefix=""):
    out = {}
    for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []):
        out[o["Key"]] = s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
    return out


def failed_documents(s3, prefix="AmazonOpenSearchService-failed/"):
    return [json.loads(line) for body in objects(s3, prefix).values() for line in body.splitlines()]


def metric_sum(lab, metric, stream="to-search"):
    points = lab.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Firehose", MetricName=metric, Dimensions=[{"Name": "DeliveryStreamName", "Value": stream}],
        StartTime=dt.datetime(2025, 1, 1), EndTime=dt.datetime(2027, 1, 1), Period=60, Statistics=["Sum"])["Datapoints"]
    return sum(p["Sum"] for p in points)


def test_describe_shows_the_documented_defaults(lab):
    fh, _ = make(lab)
    d = fh.describe_delivery_stream(DeliveryStreamName="to-search")["DeliveryStreamDescription"]
    desc = d["Destinations"][0]["AmazonopensearchserviceDestinationDescription"]
    assert desc["IndexRotationPeriod"] == "OneDay"
    assert desc["RetryOptions"] == {"DurationInSeconds": 300}
    assert desc["S3BackupMode"] == "FailedDocumentsOnly"
    assert desc["DocumentIdOptions"] == {"DefaultDocumentIdFormat": "FIREHOSE_DEFAULT"}
    assert desc["BufferingHints"] == {"SizeInMBs": 1, "IntervalInSeconds": 60}
    assert desc["S3DestinationDescription"]["BucketARN"] == f"arn:aws:s3:::{BUCKET}"
    assert "S3Configuration" not in desc
    fh.create_delivery_stream(DeliveryStreamName="plain", AmazonopensearchserviceDestinationConfiguration={
        "RoleARN": ROLE, "DomainARN": desc["DomainARN"], "IndexName": "x", "S3Configuration": s3_config()})
    plain = fh.describe_delivery_stream(DeliveryStreamName="plain")["DeliveryStreamDescription"]["Destinations"][0]
    assert plain["AmazonopensearchserviceDestinationDescription"]["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 300}


@pytest.mark.parametrize("target", [{}, {"DomainARN": "arn:aws:es:us-east-1:123456789012:domain/logs",
                                         "ClusterEndpoint": "https://logs.us-east-1.es.amazonaws.com"}])
def test_exactly_one_of_domain_arn_and_cluster_endpoint(lab, target):
    fh = lab.client("firehose")
    with pytest.raises(ClientError) as err:
        fh.create_delivery_stream(DeliveryStreamName="bad", AmazonopensearchserviceDestinationConfiguration={
            "RoleARN": ROLE, "IndexName": "web", "S3Configuration": s3_config(), **target})
    assert code(err) == "InvalidArgumentException"
    assert "either DomainARN or ClusterEndpoint" in err.value.response["Error"]["Message"]


def test_documents_are_indexed_and_searchable(lab):
    fh, s3 = make(lab)
    put(fh, [{"status": 200, "path": "/home", "message": "All good"},
             {"status": 500, "path": "/pay", "message": "Upstream timeout from bank"},
             {"status": 503, "path": "/pay", "message": "Timeout again"}])
    lab.clock.advance(59)
    logs = opensearch_domain(lab, "logs")
    assert logs.indices() == {}  # buffered for 60 s
    lab.clock.advance(1)
    assert logs.indices() == {"web-2026-01-01": 3}  # OneDay: the UTC arrival date
    assert logs.count("web-*", {"term": {"status": 500}}) == {"count": 1}
    assert logs.count("web-*", {"match": {"message": "TIMEOUT"}})["count"] == 2
    assert logs.count("web-*", {"range": {"status": {"gte": 500}}})["count"] == 2
    assert logs.count("web-*", {"bool": {"must": [{"term": {"path": "/pay"}}], "must_not": [{"term": {"status": 503}}]}})["count"] == 1
    hits = logs.search("web-2026-01-01", {"match_all": {}}, size=2)["hits"]
    assert hits["total"]["value"] == 3 and len(hits["hits"]) == 2
    first = hits["hits"][0]
    assert logs.get(first["_index"], first["_id"])["_source"] == first["_source"]
    assert logs.mapping("web-2026-01-01")["status"] == "long"
    assert objects(s3) == {}  # FailedDocumentsOnly: nothing failed, nothing backed up
    assert metric_sum(lab, "DeliveryToAmazonOpenSearchService.Records") == 3
    assert metric_sum(lab, "DeliveryToAmazonOpenSearchService.Success") == 1
    with pytest.raises(ValueError, match="not served by the lab's index"):
        logs.search("web-*", {"fuzzy": {"message": "timout"}})


@pytest.mark.parametrize("rotation, expected", [
    ("NoRotation", "myindex"), ("OneHour", "myindex-2016-02-25-13"), ("OneDay", "myindex-2016-02-25"),
    ("OneWeek", "myindex-2016-w09"), ("OneMonth", "myindex-2016-02")])
def test_index_rotation_names_as_the_docs_say(rotation, expected):
    arrival = dt.datetime(2016, 2, 25, 13, tzinfo=dt.timezone.utc).timestamp()
    assert index_name("myindex", rotation, arrival) == expected


def test_one_week_rotation_follows_us_weeks_across_the_new_year():
    # Sunday 30 Dec 2018 starts the week holding Saturday 5 Jan 2019: week 1 of 2019.
    assert index_name("i", "OneWeek", dt.datetime(2018, 12, 30, tzinfo=dt.timezone.utc).timestamp()) == "i-2019-w01"
    assert index_name("i", "OneWeek", dt.datetime(2018, 12, 29, tzinfo=dt.timezone.utc).timestamp()) == "i-2018-w52"


def test_one_hour_rotation_splits_a_delivery_by_arrival_hour(lab):
    fh, _ = make(lab, IndexRotationPeriod="OneHour", BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 900})
    lab.clock.advance(3600 - 5 - 30)  # 00:59:30
    put(fh, [{"n": 1}])
    lab.clock.advance(60)  # 01:00:30
    put(fh, [{"n": 2}, {"n": 3}])
    lab.clock.advance(900)
    assert opensearch_domain(lab, "logs").indices() == {"web-2026-01-01-00": 1, "web-2026-01-01-01": 2}


def test_a_rejected_document_is_retried_then_backed_up_as_the_documented_json(lab):
    fh, s3 = make(lab, RetryOptions={"DurationInSeconds": 60})
    put(fh, [{"status": 200}, {"status": "not-a-number"}, b"plain text, not JSON"])
    lab.clock.advance(60)  # first attempt
    logs = opensearch_domain(lab, "logs")
    assert logs.indices() == {"web-2026-01-01": 1}
    assert failed_documents(s3) == []  # still retrying
    lab.clock.advance(61)
    failed = failed_documents(s3)
    assert len(failed) == 2 and logs.indices() == {"web-2026-01-01": 1}  # the good one was not sent twice
    for doc in failed:
        assert set(doc) == {"attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage", "attemptEndingTimestamp",
                            "esDocumentId", "esIndexName", "esTypeName", "rawData"}
        assert doc["errorCode"] == "400" and doc["esIndexName"] == "web-2026-01-01" and doc["attemptsMade"] > 1
        assert doc["attemptEndingTimestamp"] - doc["arrivalTimestamp"] >= 120_000
    by_data = {base64.b64decode(d["rawData"]): d for d in failed}
    assert "mapper_parsing_exception" in by_data[b'{"status": "not-a-number"}']["errorMessage"]
    assert "[status] of type [long]" in by_data[b'{"status": "not-a-number"}']["errorMessage"]
    assert "not a JSON document" in by_data[b"plain text, not JSON"]["errorMessage"]
    assert metric_sum(lab, "BackupToS3.Records") == 2


def test_retry_duration_zero_backs_up_after_one_attempt(lab):
    fh, s3 = make(lab, RetryOptions={"DurationInSeconds": 0})
    put(fh, [b"{broken"])
    lab.clock.advance(60)
    (doc,) = failed_documents(s3)
    assert doc["attemptsMade"] == 1


def test_error_output_prefix_takes_the_error_output_type(lab):
    fh, s3 = make(lab, RetryOptions={"DurationInSeconds": 0},
                  S3Configuration=s3_config(Prefix="docs/", ErrorOutputPrefix="errors/!{firehose:error-output-type}/"))
    put(fh, [b"nope"])
    lab.clock.advance(60)
    (key,) = objects(s3)
    assert key.startswith("errors/AmazonOpenSearchService-failed/")


def test_all_documents_backs_up_every_record(lab):
    fh, s3 = make(lab, S3BackupMode="AllDocuments", S3Configuration=s3_config(Prefix="all/", CompressionFormat="GZIP"))
    put(fh, [{"a": 1}, {"a": 2}])
    lab.clock.advance(60)
    (key,) = objects(s3, "all/")
    assert key.endswith(".gz")
    from labsim.firehose import read_object
    assert read_object(s3, BUCKET, key) == b'{"a": 1}{"a": 2}'
    assert opensearch_domain(lab, "logs").count()["count"] == 2


@pytest.mark.parametrize("id_format, expected", [("FIREHOSE_DEFAULT", 2), ("NO_DOCUMENT_ID", 4)])
def test_document_ids_decide_whether_a_retried_request_duplicates(lab, id_format, expected):
    fh, _ = make(lab, DocumentIdOptions={"DefaultDocumentIdFormat": id_format})
    logs = opensearch_domain(lab, "logs")
    logs.lose_responses_until = lab.clock.now() + 61  # the first bulk request times out after indexing
    put(fh, [{"order": 1}, {"order": 2}])
    lab.clock.advance(60)
    assert pipeline(lab, "to-search").errors[0][1] == "OS.ConnectionFailed"
    lab.clock.advance(30)
    assert logs.count()["count"] == expected
    assert len(logs.requests) == 2


def test_missing_domain_is_retried_then_backed_up(lab):
    fh, s3 = make(lab, create_domain=False, DomainARN="arn:aws:es:us-east-1:123456789012:domain/nowhere",
                  RetryOptions={"DurationInSeconds": 30})
    put(fh, [{"x": 1}])
    lab.clock.advance(100)
    (doc,) = failed_documents(s3)
    assert doc["errorCode"] == "OS.ResourceNotFound" and "nowhere" in doc["errorMessage"]


def test_cluster_endpoint_names_the_domain(lab):
    status = domain(lab)
    fh, _ = make(lab, create_domain=False, ClusterEndpoint=f"https://{status['Endpoint']}")
    put(fh, [{"x": 1}])
    lab.clock.advance(60)
    assert opensearch_domain(lab, status["ARN"]).count()["count"] == 1


def test_the_delivery_role_needs_es_permissions(lab):
    iam = lab.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="fh-search", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    fh, s3 = make(lab, RoleARN=role, RetryOptions={"DurationInSeconds": 10})
    put(fh, [{"x": 1}])
    lab.clock.advance(80)
    (doc,) = failed_documents(s3)
    assert doc["errorCode"] == "OS.AccessDenied" and "es:DescribeDomain" in doc["errorMessage"]
    iam.put_role_policy(RoleName="fh-search", PolicyName="search", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["es:DescribeDomain", "es:ESHttpPost"],
                                                "Resource": ["arn:aws:es:us-east-1:123456789012:domain/logs",
                                                             "arn:aws:es:us-east-1:123456789012:domain/logs/*"]}]}))
    put(fh, [{"x": 2}])
    lab.clock.advance(60)
    assert opensearch_domain(lab, "logs").count()["count"] == 1


def test_one_type_per_index_and_no_types_on_opensearch_2(lab):
    es6 = domain(lab, "legacy", "Elasticsearch_6.8")["ARN"]
    fh, s3 = make(lab, "typed-a", create_domain=False, DomainARN=es6, TypeName="log", RetryOptions={"DurationInSeconds": 0})
    make(lab, "typed-b", create_domain=False, DomainARN=es6, TypeName="event", RetryOptions={"DurationInSeconds": 0})
    put(fh, [{"x": 1}], "typed-a")
    lab.clock.advance(60)
    put(fh, [{"x": 2}], "typed-b")
    lab.clock.advance(60)
    assert opensearch_domain(lab, "legacy").count()["count"] == 1
    (doc,) = failed_documents(s3)
    assert "more than 1 type: [log, event]" in doc["errorMessage"] and doc["esTypeName"] == "event"
    fh2, s3 = make(lab, "typed-os2", RetryOptions={"DurationInSeconds": 0}, TypeName="log")
    put(fh2, [{"x": 3}], "typed-os2")
    lab.clock.advance(60)
    assert any("leave TypeName empty" in d["errorMessage"] for d in failed_documents(s3))


def test_legacy_elasticsearch_destination(lab):
    arn = domain(lab, "old", "Elasticsearch_7.10")["ARN"]
    fh, s3 = make(lab, "legacy", kind="ElasticsearchDestinationConfiguration", create_domain=False, DomainARN=arn,
                  IndexRotationPeriod="NoRotation", RetryOptions={"DurationInSeconds": 0})
    d = fh.describe_delivery_stream(DeliveryStreamName="legacy")["DeliveryStreamDescription"]["Destinations"][0]
    assert d["ElasticsearchDestinationDescription"]["IndexName"] == "web"
    put(fh, [{"ok": True}, b"bad"], "legacy")
    lab.clock.advance(60)
    assert opensearch_domain(lab, "old").indices() == {"web": 1}
    assert len(failed_documents(s3, "elasticsearch-failed/")) == 1
    assert metric_sum(lab, "DeliveryToElasticsearch.Records", "legacy") == 1


def test_opensearch_serverless_collection(lab):
    aoss = lab.client("opensearchserverless")
    # moto needs a KmsARN in the encryption policy (its AWSOwnedKey=True path fails)
    aoss.create_security_policy(name="events-enc", type="encryption", policy=json.dumps(
        {"Rules": [{"ResourceType": "collection", "Resource": ["collection/events"]}], "AWSOwnedKey": False, "KmsARN": "arn:aws:kms:us-east-1:123456789012:key/abc"}))
    cid = aoss.create_collection(name="events", type="SEARCH")["createCollectionDetail"]["id"]
    endpoint = aoss.batch_get_collection(ids=[cid])["collectionDetails"][0]["collectionEndpoint"]
    fh, s3 = make(lab, "serverless", kind="AmazonOpenSearchServerlessDestinationConfiguration", create_domain=False,
                  CollectionEndpoint=endpoint, RetryOptions={"DurationInSeconds": 0})
    d = fh.describe_delivery_stream(DeliveryStreamName="serverless")["DeliveryStreamDescription"]["Destinations"][0]
    assert d["AmazonOpenSearchServerlessDestinationDescription"]["CollectionEndpoint"] == endpoint
    put(fh, [{"ok": 1}, b"bad"], "serverless")
    lab.clock.advance(60)
    assert opensearch_domain(lab, endpoint).indices() == {"web": 1}  # Serverless has no rotation
    (doc,) = failed_documents(s3)
    assert {"osDocumentId", "osIndexName"} <= set(doc) and "esTypeName" not in doc


def test_update_destination_changes_the_index(lab):
    fh, _ = make(lab)
    fh.update_destination(DeliveryStreamName="to-search", CurrentDeliveryStreamVersionId="1",
                          DestinationId="destinationId-000000000001",
                          AmazonopensearchserviceDestinationUpdate={"IndexName": "shop", "IndexRotationPeriod": "NoRotation"})
    d = fh.describe_delivery_stream(DeliveryStreamName="to-search")["DeliveryStreamDescription"]
    assert d["VersionId"] == "2"
    assert d["Destinations"][0]["AmazonopensearchserviceDestinationDescription"]["IndexName"] == "shop"
    put(fh, [{"x": 1}])
    lab.clock.advance(60)
    assert opensearch_domain(lab, "logs").indices() == {"shop": 1}


def test_retry_options_range_is_validated(lab):
    fh = lab.client("firehose")
    with pytest.raises(ClientError) as err:
        fh.create_delivery_stream(DeliveryStreamName="r", AmazonopensearchserviceDestinationConfiguration={
            "RoleARN": ROLE, "DomainARN": "arn:aws:es:us-east-1:123456789012:domain/logs", "IndexName": "w",
            "S3Configuration": s3_config(), "RetryOptions": {"DurationInSeconds": 7201}})
    assert code(err) == "ValidationException" and "less than or equal to 7200" in err.value.response["Error"]["Message"]
    unchecked = lab.client("firehose", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as err:
        unchecked.create_delivery_stream(DeliveryStreamName="r", AmazonopensearchserviceDestinationConfiguration={
            "RoleARN": ROLE, "DomainARN": "arn:aws:es:us-east-1:123456789012:domain/logs", "IndexName": "w",
            "S3Configuration": s3_config(), "IndexRotationPeriod": "OneYear"})
    assert code(err) == "ValidationException" and "enum value set" in err.value.response["Error"]["Message"]


def test_lookup_errors_say_how_to_fix(lab):
    with pytest.raises(LookupError, match="create_domain"):
        opensearch_domain(lab, "absent")


def test_vpc_delivery_is_refused_clearly(lab):
    with pytest.raises(ClientError) as err:
        lab.client("firehose").create_delivery_stream(DeliveryStreamName="vpc", AmazonopensearchserviceDestinationConfiguration={
            "RoleARN": ROLE, "DomainARN": "arn:aws:es:us-east-1:123456789012:domain/logs", "IndexName": "w",
            "S3Configuration": s3_config(), "VpcConfiguration": {
                "SubnetIds": ["subnet-1"], "RoleARN": ROLE, "SecurityGroupIds": ["sg-1"]}})
    assert code(err) == "InvalidArgumentException" and "VpcConfiguration" in err.value.response["Error"]["Message"]


def test_all_documents_backs_up_even_when_the_domain_is_gone(lab):
    fh, s3 = make(lab, create_domain=False, DomainARN="arn:aws:es:us-east-1:123456789012:domain/nowhere",
                  S3BackupMode="AllDocuments", S3Configuration=s3_config(Prefix="all/"), RetryOptions={"DurationInSeconds": 0})
    put(fh, [{"x": 1}])
    lab.clock.advance(60)
    copies = [body for key, body in objects(s3, "all/").items() if "-failed/" not in key]
    assert copies == [b'{"x": 1}']  # the copy of every record, besides the failed-documents JSON
    (doc,) = failed_documents(s3, "all/AmazonOpenSearchService-failed/")
    assert doc["errorCode"] == "OS.ResourceNotFound"
