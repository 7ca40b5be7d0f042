"""The Redshift destination through plain boto3: S3 staging, COPY into the cluster's table, the Data API.

Rows are queried back with ``redshift-data`` ExecuteStatement / DescribeStatement / GetStatementResult.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from labsim import quotas
from labsim import redshift as lab_redshift
from labsim.firehose import pipeline

ROLE_NAME = "firehose-redshift"
ROLE = f"arn:aws:iam::123456789012:role/{ROLE_NAME}"
PASSWORD = "Secret-123"


def make_role(lab, actions=("s3:*",)):
    iam = lab.client("iam")
    iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="delivery", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}))


def make_cluster(lab, identifier="analytics"):
    cluster = lab.client("redshift").create_cluster(
        ClusterIdentifier=identifier, NodeType="ra3.xlplus", MasterUsername="awsuser", MasterUserPassword=PASSWORD)["Cluster"]
    return cluster["Endpoint"]


def run_sql(lab, sql, cluster="analytics"):
    rd = lab.client("redshift-data")
    sid = rd.execute_statement(ClusterIdentifier=cluster, Database="dev", DbUser="awsuser", Sql=sql)["Id"]
    status = rd.describe_statement(Id=sid)
    assert status["Status"] == "FINISHED", status.get("Error")
    if not status["HasResultSet"]:
        return status
    result = rd.get_statement_result(Id=sid)
    return [[next(iter(v.values())) if "isNull" not in v else None for v in row] for row in result["Records"]]


def make_stream(lab, copy_options="json 'auto'", compression="UNCOMPRESSED", table="orders", columns=None,
                create_table=True, cluster=True, password=PASSWORD, retry=None, role=True, **extra):
    if role:
        make_role(lab)
    endpoint = make_cluster(lab) if cluster else {"Address": "analytics.abc123.us-east-1.redshift.amazonaws.com", "Port": 5439}
    if create_table and cluster:
        run_sql(lab, "create table orders (id int, customer varchar(16), amount decimal(10,2))")
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="staging")
    command = {"DataTableName": table, "CopyOptions": copy_options}
    if columns:
        command["DataTableColumns"] = columns
    config = {"RoleARN": ROLE, "ClusterJDBCURL": f"jdbc:redshift://{endpoint['Address']}:{endpoint['Port']}/dev",
              "CopyCommand": command, "Username": "awsuser", "Password": password,
              "S3Configuration": {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::staging", "CompressionFormat": compression,
                                  "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}}, **extra}
    if retry is not None:
        config["RetryOptions"] = {"DurationInSeconds": retry}
    fh = lab.client("firehose")
    fh.create_delivery_stream(DeliveryStreamName="to-redshift", RedshiftDestinationConfiguration=config)
    lab.clock.advance(float(quotas.FIREHOSE_CREATING_SECONDS))
    return fh


def put(fh, lines):
    records = [{"Data": (json.dumps(x) if isinstance(x, dict) else x).encode() + b"\n"} for x in lines]
    assert fh.put_record_batch(DeliveryStreamName="to-redshift", Records=records)["FailedPutCount"] == 0


def keys(lab, bucket="staging", prefix=""):
    return sorted(o["Key"] for o in lab.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


ORDERS = [{"id": i, "customer": f"c{i % 2}", "amount": i + 0.25} for i in range(10)]


def test_delivery_is_staged_in_s3_then_copied_and_the_rows_can_be_queried(lab):
    fh = make_stream(lab)
    put(fh, ORDERS)
    lab.clock.advance(59)
    assert run_sql(lab, "select count(*) from orders") == [[0]]
    lab.clock.advance(1)
    assert run_sql(lab, "select customer, count(*), sum(amount) from orders group by 1 order by 1") == [
        ["c0", 5, "21.25"], ["c1", 5, "26.25"]]
    staged = keys(lab)
    assert [k for k in staged if k.startswith("2026/01/01/00/to-redshift-1-")]
    (manifest_key,) = [k for k in staged if k.startswith("manifests/2026/01/01/00/")]
    manifest = json.loads(lab.client("s3").get_object(Bucket="staging", Key=manifest_key)["Body"].read())
    (entry,) = manifest["entries"]
    assert entry["mandatory"] is True and entry["url"].startswith("s3://staging/2026/01/01/00/to-redshift-1-")


def test_gzip_staging_with_the_gzip_copy_option(lab):
    fh = make_stream(lab, copy_options="json 'auto' gzip", compression="GZIP")
    put(fh, ORDERS[:4])
    lab.clock.advance(60)
    (data_key,) = [k for k in keys(lab) if k.endswith(".gz")]
    raw = lab.client("s3").get_object(Bucket="staging", Key=data_key)["Body"].read()
    assert gzip.decompress(raw).count(b"\n") == 4
    assert run_sql(lab, "select sum(id) from orders") == [[6]]


def test_gzip_staging_without_gzip_in_the_copy_options_fails_the_copy(lab):
    fh = make_stream(lab, compression="GZIP", retry=0)
    put(fh, ORDERS[:2])
    lab.clock.advance(60)
    code, message = pipeline(lab, "to-redshift").errors[-1][1:]
    assert code == "Redshift.DataLoadFailed" and "GZIP" in message
    assert run_sql(lab, "select count(*) from orders") == [[0]]


@pytest.mark.parametrize("fmt", ["ZIP", "Snappy", "HADOOP_SNAPPY"])
def test_staging_compression_is_gzip_or_none(lab, fmt):
    with pytest.raises(ClientError) as info:
        make_stream(lab, compression=fmt)
    assert info.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert "UNCOMPRESSED or GZIP" in info.value.response["Error"]["Message"]


def test_delimited_copy_with_data_table_columns(lab):
    fh = make_stream(lab, copy_options="delimiter ','", columns="customer,id")
    put(fh, ["ana,1", "bob,2"])
    lab.clock.advance(60)
    assert run_sql(lab, "select id, customer, amount from orders order by id") == [[1, "ana", None], [2, "bob", None]]


def test_csv_and_ignoreheader(lab):
    fh = make_stream(lab, copy_options="csv ignoreheader 1")
    put(fh, ["id,customer,amount", '3,"x, y",1.5'])
    lab.clock.advance(60)
    assert run_sql(lab, "select id, customer, amount from orders") == [[3, "x, y", "1.50"]]


def test_rejected_rows_fail_the_copy_unless_maxerror_allows_them(lab):
    fh = make_stream(lab, copy_options="json 'auto' maxerror 1")
    put(fh, ORDERS[:3] + [{"id": "seven"}])
    lab.clock.advance(60)
    assert run_sql(lab, "select count(*) from orders") == [[3]]
    errors = run_sql(lab, "select colname, err_reason from stl_load_errors")
    assert errors == [["id", "Invalid input for column id of type INTEGER"]]


def test_a_copy_that_keeps_failing_is_retried_then_skipped_to_errors(lab):
    fh = make_stream(lab, create_table=False, retry=120)
    put(fh, ORDERS[:2])
    lab.clock.advance(60)
    errors = pipeline(lab, "to-redshift").errors
    assert errors[-1][1] == "Redshift.TableNotFound" and "orders" in errors[-1][2]
    assert not keys(lab, prefix="errors/")
    lab.clock.advance(130)
    attempts = [t for t, code, _ in pipeline(lab, "to-redshift").errors]
    assert attempts[0] == 1_767_225_665.0 and attempts[-1] - attempts[0] == pytest.approx(120.0)
    (skipped,) = keys(lab, prefix="errors/manifests/")
    doc = json.loads(lab.client("s3").get_object(Bucket="staging", Key=skipped)["Body"].read())
    assert doc["entries"][0]["url"].startswith("s3://staging/2026/01/01/00/to-redshift-1-")
    assert doc["errorCode"] == "Redshift.TableNotFound"


def test_a_table_created_during_the_retry_window_gets_the_rows(lab):
    fh = make_stream(lab, create_table=False)
    put(fh, ORDERS[:2])
    lab.clock.advance(60)
    run_sql(lab, "create table orders (id int, customer varchar(16), amount decimal(10,2))")
    lab.clock.advance(120)
    assert run_sql(lab, "select count(*) from orders") == [[2]]
    assert len([k for k in keys(lab) if k.startswith("2026/")]) == 1  # staged once, COPY retried


def test_missing_cluster_and_wrong_password(lab):
    fh = make_stream(lab, cluster=False, retry=0)
    put(fh, ORDERS[:1])
    lab.clock.advance(60)
    code, message = pipeline(lab, "to-redshift").errors[-1][1:]
    assert code == "Redshift.ConnectionFailed" and "analytics" in message


def test_wrong_password_is_an_authentication_failure(lab):
    fh = make_stream(lab, password="Wrong-123", retry=0)
    put(fh, ORDERS[:1])
    lab.clock.advance(60)
    assert pipeline(lab, "to-redshift").errors[-1][1] == "Redshift.AuthenticationFailed"


def test_the_copy_reads_s3_as_the_delivery_role(lab):
    make_role(lab, actions=("s3:PutObject",))
    fh = make_stream(lab, role=False, retry=0)
    put(fh, ORDERS[:1])
    lab.clock.advance(60)
    code, message = pipeline(lab, "to-redshift").errors[-1][1:]
    assert code == "Redshift.S3BucketAccessDenied" and "s3:GetObject" in message


def test_retry_duration_default_and_range(lab):
    make_stream(lab)
    desc = lab.client("firehose").describe_delivery_stream(DeliveryStreamName="to-redshift")["DeliveryStreamDescription"]
    red = desc["Destinations"][0]["RedshiftDestinationDescription"]
    assert red["RetryOptions"] == {"DurationInSeconds": quotas.FIREHOSE_REDSHIFT_RETRY_SECONDS_DEFAULT} == {"DurationInSeconds": 3600}
    assert "Password" not in red and red["Username"] == "awsuser"
    assert red["S3DestinationDescription"]["CompressionFormat"] == "UNCOMPRESSED"
    fh = lab.client("firehose", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as info:
        fh.create_delivery_stream(DeliveryStreamName="too-long", RedshiftDestinationConfiguration={
            **{k: v for k, v in red.items() if k in ("RoleARN", "ClusterJDBCURL", "CopyCommand", "Username")},
            "Password": PASSWORD, "RetryOptions": {"DurationInSeconds": 7201},
            "S3Configuration": {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::staging"}})
    assert info.value.response["Error"]["Code"] == "ValidationException" and "7200" in info.value.response["Error"]["Message"]


def test_s3_backup_and_metrics(lab):
    lab.client("s3").create_bucket(Bucket="backup")
    fh = make_stream(lab, S3BackupMode="Enabled",
                     S3BackupConfiguration={"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::backup", "Prefix": "source/"})
    put(fh, ORDERS[:3])
    lab.clock.advance(60)
    (backup,) = keys(lab, bucket="backup")
    assert backup.startswith("source/") and lab.client("s3").get_object(Bucket="backup", Key=backup)["Body"].read().count(b"\n") == 3
    cw = lab.client("cloudwatch")

    def total(metric):
        points = cw.get_metric_statistics(Namespace="AWS/Firehose", MetricName=metric,
                                          Dimensions=[{"Name": "DeliveryStreamName", "Value": "to-redshift"}],
                                          StartTime=dt.datetime(2025, 1, 1), EndTime=dt.datetime(2027, 1, 1),
                                          Period=3600, Statistics=["Sum"])["Datapoints"]
        return sum(p["Sum"] for p in points)

    assert total("DeliveryToRedshift.Records") == 3 and total("DeliveryToRedshift.Success") == 1
    assert total("DeliveryToS3.Records") == 3 and total("BackupToS3.Records") == 3


def test_bad_copy_options_are_refused_at_creation(lab):
    with pytest.raises(ClientError) as info:
        make_stream(lab, copy_options="json 's3://bucket/jsonpaths.json'")
    assert info.value.response["Error"]["Code"] == "InvalidArgumentException" and "JSONPaths" in info.value.response["Error"]["Message"]


def test_data_api_errors_and_lab_side_handle(lab):
    make_cluster(lab)
    rd = lab.client("redshift-data")
    with pytest.raises(ClientError) as info:
        rd.execute_statement(ClusterIdentifier="nope", Database="dev", DbUser="awsuser", Sql="select 1")
    assert info.value.response["Error"]["Code"] == "ValidationException"
    sid = rd.execute_statement(ClusterIdentifier="analytics", Database="dev", DbUser="awsuser", Sql="select * from missing")["Id"]
    status = rd.describe_statement(Id=sid)
    assert status["Status"] == "FAILED" and "missing" in status["Error"]
    with pytest.raises(ClientError) as info:
        rd.get_statement_result(Id=sid)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    sid = rd.execute_statement(ClusterIdentifier="analytics", Database="dev", DbUser="awsuser",
                               Sql="select cast(:n as int) + 1 as answer", Parameters=[{"name": "n", "value": "41"}])["Id"]
    result = rd.get_statement_result(Id=sid)
    assert result["ColumnMetadata"][0]["name"] == "answer" and result["TotalNumRows"] == 1
    assert result["Records"] == [[{"longValue": 42}]]
    assert lab_redshift.sql(lab, "analytics", "select 40 + 2") == (["(40 + 2)"], [(42,)])


def test_a_typo_in_copy_options_fails_each_copy_as_a_syntax_error(lab):
    fh = make_stream(lab, copy_options="json 'auto' gzipp", retry=0)
    put(fh, ORDERS[:1])
    lab.clock.advance(60)
    code, message = pipeline(lab, "to-redshift").errors[-1][1:]
    assert code == "Redshift.SyntaxError" and "gzipp" in message
