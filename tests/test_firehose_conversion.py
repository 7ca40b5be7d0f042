"""Firehose record format conversion through plain boto3: JSON -> Parquet/ORC with a Glue table.

Read back with pyarrow and DuckDB; OpenX and Hive JSON SerDe rules; format-conversion-failed/;
the API's rules (64 MiB minimum buffer, UNCOMPRESSED outer compression, one SerDe each side).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json

import duckdb
import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from labsim import quotas
from labsim.firehose import pipeline

ROLE_NAME = "firehose-delivery"
ROLE = f"arn:aws:iam::123456789012:role/{ROLE_NAME}"
COLUMNS = [{"Name": "id", "Type": "int"}, {"Name": "customer", "Type": "string"},
           {"Name": "amount", "Type": "double"}, {"Name": "ts", "Type": "timestamp"}]


def make_role(lab, actions=("glue:GetTable*", "s3:*")):
    iam = lab.client("iam")
    iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="delivery", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}))


def make_table(lab, columns=COLUMNS, name="orders", database="shop"):
    glue = lab.client("glue")
    try:
        glue.create_database(DatabaseInput={"Name": database})
    except ClientError:
        pass
    glue.create_table(DatabaseName=database, TableInput={"Name": name, "StorageDescriptor": {"Columns": columns}})
    return glue


def conversion(deserializer=None, serializer=None, table="orders", **schema):
    return {"SchemaConfiguration": {"RoleARN": ROLE, "DatabaseName": "shop", "TableName": table, **schema},
            "InputFormatConfiguration": {"Deserializer": deserializer or {"OpenXJsonSerDe": {}}},
            "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {}} if serializer is None else serializer}}


def make_stream(lab, name="orders", role=True, table=True, columns=COLUMNS, hints=None, **conv):
    if role:
        make_role(lab)
    if table:
        make_table(lab, columns)
    lab.client("s3").create_bucket(Bucket="lake")
    fh = lab.client("firehose")
    fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::lake",
        "BufferingHints": hints or {"SizeInMBs": 64, "IntervalInSeconds": 60},
        "DataFormatConversionConfiguration": conversion(**conv)})
    lab.clock.advance(float(quotas.FIREHOSE_CREATING_SECONDS))
    return fh


def put(fh, docs, name="orders"):
    records = [{"Data": d if isinstance(d, bytes) else json.dumps(d).encode()} for d in docs]
    assert fh.put_record_batch(DeliveryStreamName=name, Records=records)["FailedPutCount"] == 0


def keys(lab, prefix=""):
    s3 = lab.client("s3")
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix=prefix).get("Contents", []))


def body(lab, key):
    return lab.client("s3").get_object(Bucket="lake", Key=key)["Body"].read()


def parquet_rows(lab):
    (key,) = [k for k in keys(lab) if k.endswith(".parquet")]
    return pq.read_table(io.BytesIO(body(lab, key))).to_pylist()


def failures(lab):
    out = []
    for key in keys(lab, "format-conversion-failed/"):
        out += [json.loads(line) for line in body(lab, key).decode().splitlines()]
    return out


ORDERS = [{"id": i, "customer": f"c{i % 3}", "amount": i * 1.5, "ts": 1_767_225_600 + i} for i in range(30)]


def test_json_becomes_one_parquet_object_that_pyarrow_and_duckdb_read(lab, tmp_path):
    fh = make_stream(lab)
    put(fh, ORDERS)
    lab.clock.advance(59.9)
    assert keys(lab) == []  # buffered like any delivery
    lab.clock.advance(0.1)
    (key,) = keys(lab)
    assert key.startswith("2026/01/01/00/orders-1-2026-01-01-00-00-05-") and key.endswith(".parquet")
    data = body(lab, key)
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1"
    table = pq.read_table(io.BytesIO(data))
    assert table.schema.names == ["id", "customer", "amount", "ts"]
    assert str(table.schema.field("id").type) == "int32" and str(table.schema.field("ts").type).startswith("timestamp")
    assert table.num_rows == 30 and table.column("amount").to_pylist() == [i * 1.5 for i in range(30)]
    assert table.column("ts").to_pylist()[1] == dt.datetime(2026, 1, 1, 0, 0, 1)
    # the default ParquetSerDe codec is SNAPPY
    assert pq.ParquetFile(io.BytesIO(data)).metadata.row_group(0).column(0).compression == "SNAPPY"
    path = tmp_path / "orders.parquet"
    path.write_bytes(data)
    got = duckdb.sql(f"select customer, count(*), sum(amount) from '{path}' group by 1 order by 1").fetchall()
    assert got == [("c0", 10, sum(i * 1.5 for i in range(0, 30, 3))), ("c1", 10, sum(i * 1.5 for i in range(1, 30, 3))),
                   ("c2", 10, sum(i * 1.5 for i in range(2, 30, 3)))]


@pytest.mark.parametrize("codec", ["UNCOMPRESSED", "GZIP", "SNAPPY"])
def test_parquet_codecs_and_dictionary_option(lab, codec):
    fh = make_stream(lab, serializer={"ParquetSerDe": {"Compression": codec, "EnableDictionaryCompression": True,
                                                        "PageSizeBytes": 64 * 1024, "BlockSizeBytes": 64 * 1024 * 1024,
                                                        "WriterVersion": "V2"}})
    put(fh, ORDERS)
    lab.clock.advance(60)
    (key,) = keys(lab)
    meta = pq.ParquetFile(io.BytesIO(body(lab, key))).metadata
    column = meta.row_group(0).column(1)
    assert column.compression == codec
    assert "RLE_DICTIONARY" in column.encodings or "PLAIN_DICTIONARY" in column.encodings


def test_dictionary_off_by_default(lab):
    fh = make_stream(lab)
    put(fh, ORDERS)
    lab.clock.advance(60)
    (key,) = keys(lab)
    column = pq.ParquetFile(io.BytesIO(body(lab, key))).metadata.row_group(0).column(1)
    assert not {"RLE_DICTIONARY", "PLAIN_DICTIONARY"} & set(column.encodings)


@pytest.mark.parametrize("codec,expected", [("NONE", "UNCOMPRESSED"), ("ZLIB", "ZLIB"), ("SNAPPY", "SNAPPY")])
def test_orc_output(lab, codec, expected):
    fh = make_stream(lab, serializer={"OrcSerDe": {"Compression": codec}})
    put(fh, ORDERS)
    lab.clock.advance(60)
    (key,) = keys(lab)
    assert key.endswith(".orc")
    reader = orc.ORCFile(io.BytesIO(body(lab, key)))
    assert reader.compression == expected and reader.nrows == 30
    orc_rows = reader.read()
    assert orc_rows.column("customer").to_pylist()[:3] == ["c0", "c1", "c2"]
    assert duckdb.sql("select sum(id) from orc_rows").fetchall()[0][0] == sum(range(30))  # DuckDB over pyarrow's reader


def test_rows_that_do_not_convert_go_to_format_conversion_failed(lab):
    fh = make_stream(lab)
    put(fh, ORDERS[:3] + [{"id": "seven", "customer": "x"}, b"not json", b"[1, 2]", {"id": 2 ** 40}])
    lab.clock.advance(60)
    assert [r["id"] for r in parquet_rows(lab)] == [0, 1, 2]
    docs = failures(lab)
    assert len(docs) == 4
    assert {d["ErrorCode"] for d in docs} == {"DataFormatConversion.MalformedData"}
    raws = [base64.b64decode(d["rawData"]) for d in docs]
    assert raws[1] == b"not json" and raws[2] == b"[1, 2]" and json.loads(raws[0]) == {"id": "seven", "customer": "x"}
    first = docs[0]
    assert set(first) == {"attemptsMade", "arrivalTimestamp", "ErrorCode", "ErrorMessage", "attemptEndingTimestamp",
                          "rawData", "sequenceNumber", "subSequenceNumber", "dataCatalogTable"}
    assert first["attemptsMade"] == 1 and first["arrivalTimestamp"] == 1_767_225_605_000
    assert first["attemptEndingTimestamp"] == 1_767_225_665_000
    assert "'id'" in first["ErrorMessage"]
    assert first["dataCatalogTable"] == {"catalogId": "123456789012", "databaseName": "shop", "tableName": "orders",
                                         "region": "us-east-1", "versionId": "1",
                                         "catalogArn": "arn:aws:glue:us-east-1:123456789012:catalog"}
    assert "out of range" in docs[3]["ErrorMessage"]


def test_a_delivery_where_nothing_converts_writes_no_columnar_object(lab):
    fh = make_stream(lab)
    put(fh, [b"{", b"x"])
    lab.clock.advance(60)
    assert not [k for k in keys(lab) if k.endswith(".parquet")]
    assert len(failures(lab)) == 2


def test_openx_case_insensitive_dots_and_column_mappings(lab):
    columns = [{"Name": "id", "Type": "int"}, {"Name": "user_name", "Type": "string"}, {"Name": "when_", "Type": "bigint"},
               {"Name": "amount", "Type": "double"}]
    fh = make_stream(lab, columns=columns, deserializer={"OpenXJsonSerDe": {
        "ConvertDotsInJsonKeysToUnderscores": True, "ColumnToJsonKeyMappings": {"when_": "when"}}})
    put(fh, [{"ID": 1, "user.name": "ana", "when": 5, "Amount": "2.5"}])
    lab.clock.advance(60)
    assert parquet_rows(lab) == [{"id": 1, "user_name": "ana", "when_": 5, "amount": 2.5}]  # numeric string accepted


def test_openx_case_sensitive_when_asked(lab):
    fh = make_stream(lab, deserializer={"OpenXJsonSerDe": {"CaseInsensitive": False}})
    put(fh, [{"ID": 1, "customer": "a"}])
    lab.clock.advance(60)
    assert parquet_rows(lab)[0]["id"] is None and parquet_rows(lab)[0]["customer"] == "a"


def test_openx_timestamp_formats(lab):
    fh = make_stream(lab)
    stamps = ["2026-01-01T00:00:01.5Z", "2026-01-01 00:00:02", 1_767_225_603, 1_767_225_604_000, "1767225605.25"]
    put(fh, [{"id": i, "ts": s} for i, s in enumerate(stamps)])
    lab.clock.advance(60)
    got = [r["ts"] for r in parquet_rows(lab)]
    base = dt.datetime(2026, 1, 1)
    assert got == [base + dt.timedelta(seconds=s) for s in (1.5, 2, 3, 4, 5.25)]


def test_hive_serde_is_strict_and_reads_timestamp_formats(lab):
    fh = make_stream(lab, deserializer={"HiveJsonSerDe": {"TimestampFormats": ["millis", "yyyy-MM-dd'T'HH:mm:ss"]}})
    put(fh, [{"id": 1, "ts": 1_767_225_601_000}, {"id": 2, "ts": "2026-01-01T00:00:02"},
             {"id": 3, "ts": "2026-01-01 00:00:03"},  # java.sql.Timestamp.valueOf still applies
             {"id": "4"}, {"id": 5, "ts": "01/01/2026"}, {"ID": 6}])
    lab.clock.advance(60)
    rows = parquet_rows(lab)
    assert [(r["id"], r["ts"]) for r in rows] == [(1, dt.datetime(2026, 1, 1, 0, 0, 1)), (2, dt.datetime(2026, 1, 1, 0, 0, 2)),
                                                  (3, dt.datetime(2026, 1, 1, 0, 0, 3)), (None, None)]
    failed = [json.loads(base64.b64decode(d["rawData"])) for d in failures(lab)]
    assert failed == [{"id": "4"}, {"id": 5, "ts": "01/01/2026"}]  # a string in an int column; no format matches


def test_nested_types_and_decimal(lab):
    columns = [{"Name": "tags", "Type": "array<string>"}, {"Name": "attrs", "Type": "map<string,int>"},
               {"Name": "who", "Type": "struct<name:string,age:int>"}, {"Name": "price", "Type": "decimal(10,2)"},
               {"Name": "day", "Type": "date"}, {"Name": "ok", "Type": "boolean"}]
    fh = make_stream(lab, columns=columns)
    put(fh, [{"tags": ["a", "b"], "attrs": {"x": 1}, "who": {"Name": "ana", "age": 30}, "price": 9.99,
              "day": "2026-01-01", "ok": True}])
    lab.clock.advance(60)
    (row,) = parquet_rows(lab)
    assert row["tags"] == ["a", "b"] and row["attrs"] == [("x", 1)] and row["who"] == {"name": "ana", "age": 30}
    assert str(row["price"]) == "9.99" and row["day"] == dt.date(2026, 1, 1) and row["ok"] is True


def test_missing_table_fails_the_delivery_and_it_is_retried_until_the_table_exists(lab):
    fh = make_stream(lab, table=False)
    put(fh, ORDERS[:5])
    lab.clock.advance(60)
    assert keys(lab) == []
    errors = pipeline(lab, "orders").errors
    assert errors and errors[-1][1] == "DataFormatConversion.EntityNotFound"
    make_table(lab)
    lab.clock.advance(120)
    assert len(parquet_rows(lab)) == 5


def test_the_schema_is_read_as_the_delivery_role(lab):
    make_role(lab, actions=("s3:*",))  # no glue permission
    fh = make_stream(lab, role=False)
    put(fh, ORDERS[:2])
    lab.clock.advance(60)
    code, message = pipeline(lab, "orders").errors[-1][1:]
    assert code == "DataFormatConversion.AccessDenied" and "glue:GetTableVersions" in message
    assert keys(lab) == []


def test_latest_table_version_or_a_pinned_one(lab):
    fh = make_stream(lab)
    glue = lab.client("glue")
    glue.update_table(DatabaseName="shop", TableInput={"Name": "orders", "StorageDescriptor": {
        "Columns": COLUMNS + [{"Name": "region", "Type": "string"}]}})
    put(fh, [{"id": 1, "region": "eu"}])
    lab.clock.advance(60)
    assert parquet_rows(lab)[0]["region"] == "eu"

    make_stream_pinned = lab.client("firehose")
    make_stream_pinned.create_delivery_stream(DeliveryStreamName="pinned", ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::lake", "Prefix": "pinned/",
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
        "DataFormatConversionConfiguration": conversion(VersionId="1")})
    lab.clock.advance(5)
    put(make_stream_pinned, [{"id": 2, "region": "eu"}], name="pinned")
    lab.clock.advance(60)
    (key,) = keys(lab, "pinned/")
    assert pq.read_table(io.BytesIO(body(lab, key))).schema.names == ["id", "customer", "amount", "ts"]


def test_conversion_metrics(lab):
    fh = make_stream(lab)
    put(fh, ORDERS[:4] + [b"bad"])
    lab.clock.advance(60)
    cw = lab.client("cloudwatch")

    def total(metric):
        points = cw.get_metric_statistics(Namespace="AWS/Firehose", MetricName=metric,
                                          Dimensions=[{"Name": "DeliveryStreamName", "Value": "orders"}],
                                          StartTime=dt.datetime(2025, 1, 1), EndTime=dt.datetime(2027, 1, 1),
                                          Period=3600, Statistics=["Sum"])["Datapoints"]
        return sum(p["Sum"] for p in points)

    assert total("SucceedConversion.Records") == 4 and total("FailedConversion.Records") == 1
    assert total("DeliveryToS3.Records") == 4


# -- the API's rules -----------------------------------------------------------------------------
def create(lab, hints=None, compression=None, conv=None):
    if "lake" not in [b["Name"] for b in lab.client("s3").list_buckets()["Buckets"]]:
        lab.client("s3").create_bucket(Bucket="lake")
    config = {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::lake", "DataFormatConversionConfiguration": conv or conversion()}
    if hints is not None:
        config["BufferingHints"] = hints
    if compression is not None:
        config["CompressionFormat"] = compression
    # botocore's own checks off: the lab's model guard answers as the service does
    fh = lab.client("firehose", config=Config(parameter_validation=False))
    return fh.create_delivery_stream(DeliveryStreamName="s", ExtendedS3DestinationConfiguration=config)


def error_of(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def test_buffer_size_at_least_64_mib_and_128_by_default(lab):
    code, message = error_of(lambda: create(lab, hints={"SizeInMBs": 32, "IntervalInSeconds": 60}))
    assert code == "InvalidArgumentException" and "between 64 and 128" in message and "DataFormatConversion" in message
    create(lab)
    desc = lab.client("firehose").describe_delivery_stream(DeliveryStreamName="s")["DeliveryStreamDescription"]
    ext = desc["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert ext["BufferingHints"] == {"SizeInMBs": 128, "IntervalInSeconds": 300}
    assert ext["DataFormatConversionConfiguration"]["SchemaConfiguration"]["TableName"] == "orders"


def test_outer_compression_must_stay_uncompressed(lab):
    code, message = error_of(lambda: create(lab, compression="GZIP"))
    assert code == "InvalidArgumentException" and "UNCOMPRESSED" in message


def test_disabled_conversion_keeps_ordinary_rules(lab):
    create(lab, hints={"SizeInMBs": 5, "IntervalInSeconds": 60}, compression="GZIP", conv={**conversion(), "Enabled": False})


def test_exactly_one_deserializer_and_one_serializer(lab):
    both = conversion(deserializer={"OpenXJsonSerDe": {}, "HiveJsonSerDe": {}})
    code, message = error_of(lambda: create(lab, conv=both))
    assert code == "InvalidArgumentException" and "exactly one of OpenXJsonSerDe or HiveJsonSerDe" in message
    code, message = error_of(lambda: create(lab, conv=conversion(serializer={})))
    assert "exactly one of ParquetSerDe or OrcSerDe" in message


def test_schema_configuration_must_name_the_table(lab):
    conv = conversion()
    del conv["SchemaConfiguration"]["TableName"]
    code, message = error_of(lambda: create(lab, conv=conv))
    assert code == "InvalidArgumentException" and "TableName" in message


def test_parquet_block_and_page_minimums_are_the_model_s(lab):
    small = conversion(serializer={"ParquetSerDe": {"BlockSizeBytes": 1024 * 1024}})
    code, message = error_of(lambda: create(lab, conv=small))
    assert code == "ValidationException" and str(quotas.FIREHOSE_PARQUET_BLOCK_BYTES_MIN) in message
    page = conversion(serializer={"ParquetSerDe": {"PageSizeBytes": 1024}})
    code, message = error_of(lambda: create(lab, conv=page))
    assert code == "ValidationException" and str(quotas.FIREHOSE_PARQUET_PAGE_BYTES_MIN) in message
