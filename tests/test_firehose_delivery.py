"""Firehose delivery to S3 through plain boto3: buffering, layout, compression, failures, limits, metrics."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import shutil
import struct
import subprocess
import zipfile

import cramjam
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from labsim import quotas
from labsim.firehose import pipeline, read_object

ROLE = "arn:aws:iam::123456789012:role/firehose"
MiB = 1024 * 1024


def make_stream(lab, name="clicks", bucket="lake", create_bucket=True, region=None, **dest):
    fh = lab.client("firehose", region_name=region)
    s3 = lab.client("s3")
    if create_bucket:
        s3.create_bucket(Bucket=bucket)
    config = {"BucketARN": f"arn:aws:s3:::{bucket}", "RoleARN": ROLE, **dest}
    fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=config)
    lab.clock.advance(float(quotas.FIREHOSE_CREATING_SECONDS))
    return fh, s3


def keys(s3, bucket="lake", prefix=""):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def stats(lab, metric, stream="clicks", stat="Sum"):
    cw = lab.client("cloudwatch")
    points = cw.get_metric_statistics(
        Namespace="AWS/Firehose", MetricName=metric, Dimensions=[{"Name": "DeliveryStreamName", "Value": stream}],
        StartTime=dt.datetime(2025, 1, 1), EndTime=dt.datetime(2027, 1, 1), Period=1, Statistics=[stat])["Datapoints"]
    return sorted((p["Timestamp"].timestamp(), p[stat]) for p in points)


def test_the_issue_contract_interval_falls_due(lab):
    fh, s3 = make_stream(lab, BufferingHints={"SizeInMBs": 5, "IntervalInSeconds": 60},
                         Prefix="clicks/!{timestamp:yyyy/MM/dd}/", ErrorOutputPrefix="errors/!{firehose:error-output-type}/",
                         CompressionFormat="GZIP")
    fh.put_record_batch(DeliveryStreamName="clicks", Records=[{"Data": b"a"}, {"Data": b"b"}])
    lab.clock.advance(59.9)
    assert keys(s3) == []  # nothing early
    lab.clock.advance(0.1)
    (key,) = keys(s3)
    assert key.startswith("clicks/2026/01/01/clicks-1-2026-01-01-00-00-05-") and key.endswith(".gz")
    assert gzip.decompress(s3.get_object(Bucket="lake", Key=key)["Body"].read()) == b"ab"  # no delimiter added


def test_size_flushes_at_once_and_never_splits_a_record(lab):
    fh, s3 = make_stream(lab, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 900})
    record = b"x" * 300_000
    for _ in range(3):
        fh.put_record(DeliveryStreamName="clicks", Record={"Data": record})
    assert keys(s3) == []  # 900,000 bytes < 1 MiB
    fh.put_record(DeliveryStreamName="clicks", Record={"Data": record})
    (key,) = keys(s3)  # the record that crossed 1 MiB is in the object, whole
    assert s3.head_object(Bucket="lake", Key=key)["ContentLength"] == 4 * len(record) > MiB


@pytest.mark.parametrize("rate, expected_trigger", [(10, "interval"), (20_000, "size")])
def test_whichever_comes_first(lab, rate, expected_trigger):
    fh, s3 = make_stream(lab, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60})
    start = lab.clock.now()
    for _ in range(60):
        fh.put_record_batch(DeliveryStreamName="clicks", Records=[{"Data": b"y" * (rate // 10)}] * 10)
        lab.clock.advance(1)
    first = s3.list_objects_v2(Bucket="lake")["Contents"]
    assert first
    delivered_after = min(o["LastModified"].timestamp() for o in first) - start
    if expected_trigger == "interval":
        assert delivered_after == 60 and len(first) == 1
    else:
        assert delivered_after < 60 and all(o["Size"] >= MiB for o in first)


def test_default_prefix_is_the_oldest_records_arrival_hour_not_the_flush(lab):
    fh, s3 = make_stream(lab, BufferingHints={"SizeInMBs": 5, "IntervalInSeconds": 120})
    lab.clock.advance_to(dt.datetime(2026, 1, 1, 0, 59, 30, tzinfo=dt.timezone.utc).timestamp())
    fh.put_record(DeliveryStreamName="clicks", Record={"Data": b"late"})
    lab.clock.advance(120)  # flushed at 01:01:30
    (key,) = keys(s3)
    assert key.startswith("2026/01/01/00/clicks-1-2026-01-01-00-59-30-")


def test_prefix_without_timestamp_gets_one_appended_with_no_slash(lab):
    fh, s3 = make_stream(lab, Prefix="clicks", BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 0})
    fh.put_record(DeliveryStreamName="clicks", Record={"Data": b"1"})
    lab.clock.advance(0)
    assert keys(s3)[0].startswith("clicks2026/01/01/00/clicks-1-")


def test_custom_prefix_random_string_time_zone_and_extension(lab):
    fh, s3 = make_stream(lab, Prefix="year=!{timestamp:yyyy}/hour=!{timestamp:HH}/!{firehose:random-string}/",
                         ErrorOutputPrefix="err/!{firehose:error-output-type}/", CustomTimeZone="Asia/Tokyo",
                         FileExtension=".json.gz", CompressionFormat="GZIP",
                         BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 0})
    fh.put_record(DeliveryStreamName="clicks", Record={"Data": b"{}"})
    lab.clock.advance(0)
    (key,) = keys(s3)
    parts = key.split("/")
    assert parts[:2] == ["year=2026", "hour=09"]  # 00:00 UTC is 09:00 in Tokyo
    assert len(parts[2]) == quotas.FIREHOSE_RANDOM_STRING_LENGTH and parts[2].isalnum()
    assert parts[3].startswith("clicks-1-2026-01-01-09-00-05-") and parts[3].endswith(".json.gz")


def _hadoop_snappy(blob: bytes) -> bytes:
    """Hadoop's SnappyCodec block format, parsed by hand: [raw length][chunk length][raw snappy]..."""
    out, i = [], 0
    while i < len(blob):
        (total,) = struct.unpack(">I", blob[i:i + 4])
        i += 4
        got = 0
        while got < total:
            (n,) = struct.unpack(">I", blob[i:i + 4])
            chunk = bytes(cramjam.snappy.decompress_raw(blob[i + 4:i + 4 + n]))
            out.append(chunk)
            got += len(chunk)
            i += 4 + n
    return b"".join(out)


@pytest.mark.parametrize("fmt, ext", [("GZIP", ".gz"), ("ZIP", ".zip"), ("Snappy", ".snappy"), ("HADOOP_SNAPPY", ".hsnappy")])
def test_compression_is_readable_by_the_formats_own_tools(lab, tmp_path, fmt, ext):
    fh, s3 = make_stream(lab, CompressionFormat=fmt, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60})
    payload = [b'{"user": %d, "page": "/home"}\n' % i for i in range(300)]
    fh.put_record_batch(DeliveryStreamName="clicks", Records=[{"Data": d} for d in payload])
    lab.clock.advance(60)
    (key,) = keys(s3)
    assert key.endswith(ext)
    blob = s3.get_object(Bucket="lake", Key=key)["Body"].read()
    expected = b"".join(payload)
    assert len(blob) < len(expected)
    if fmt == "GZIP":
        assert subprocess.run(["gzip", "-dc"], input=blob, capture_output=True, check=True).stdout == expected if shutil.which("gzip") else True
        assert gzip.decompress(blob) == expected
    elif fmt == "ZIP":
        path = tmp_path / "o.zip"
        path.write_bytes(blob)
        if shutil.which("unzip"):
            assert subprocess.run(["unzip", "-p", str(path)], capture_output=True, check=True).stdout == expected
        assert zipfile.ZipFile(io.BytesIO(blob)).read(zipfile.ZipFile(io.BytesIO(blob)).namelist()[0]) == expected
    elif fmt == "Snappy":
        assert blob.startswith(b"\xff\x06\x00\x00sNaPpY")  # the framing format's stream identifier
        assert bytes(cramjam.snappy.decompress(blob)) == expected
    else:
        assert _hadoop_snappy(blob) == expected
    assert read_object(s3, "lake", key) == expected


def test_missing_bucket_is_retried_then_the_backlog_arrives_as_one_bigger_object(lab):
    fh, s3 = make_stream(lab, create_bucket=False, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60})
    for _ in range(10):
        fh.put_record_batch(DeliveryStreamName="clicks", Records=[{"Data": b"z" * 40_000}] * 10)  # 400 KB
        lab.clock.advance(60)
    pipe = pipeline(lab, "clicks")
    assert pipe.errors and pipe.errors[-1][1] == "S3.NoSuchBucket"
    assert pipe.waiting_records() == 100  # nothing lost, nothing delivered
    s3.create_bucket(Bucket="lake")
    lab.clock.advance(float(quotas.FIREHOSE_RETRY_MAX_SECONDS))
    objects = s3.list_objects_v2(Bucket="lake")["Contents"]
    assert sum(o["Size"] for o in objects) == 100 * 40_000
    assert max(o["Size"] for o in objects) > MiB  # the buffer grew past its 1 MiB hint to catch up
    success = [v for _, v in stats(lab, "DeliveryToS3.Success", stat="Minimum")]
    assert 0.0 in success and stats(lab, "DeliveryToS3.Success", stat="Maximum")[-1][1] == 1.0


def test_s3_delivery_gives_up_after_24_hours_and_counts_it(lab):
    fh, s3 = make_stream(lab, create_bucket=False, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60})
    fh.put_record(DeliveryStreamName="clicks", Record={"Data": b"doomed"})
    lab.clock.advance(60 + float(quotas.FIREHOSE_S3_RETRY_SECONDS) + 60)
    pipe = pipeline(lab, "clicks")
    assert pipe.dropped == 1 and pipe.waiting_records() == 0


def test_put_record_batch_limits(lab):
    fh, _ = make_stream(lab)
    with pytest.raises(ClientError) as err:
        fh.put_record_batch(DeliveryStreamName="clicks", Records=[{"Data": b"1"}] * 501)
    assert err.value.response["Error"]["Code"] == "ValidationException" and "500" in str(err.value)
    with pytest.raises(ClientError) as err:
        fh.put_record(DeliveryStreamName="clicks", Record={"Data": b"1" * (quotas.FIREHOSE_RECORD_MAX_BYTES + 1)})
    assert err.value.response["Error"]["Code"] == "ValidationException" and "1024000" in str(err.value)
    fh.put_record(DeliveryStreamName="clicks", Record={"Data": b"1" * quotas.FIREHOSE_RECORD_MAX_BYTES})
    with pytest.raises(ClientError) as err:
        fh.put_record_batch(DeliveryStreamName="clicks", Records=[{"Data": b"1" * 1_000_000}] * 5)
    assert err.value.response["Error"]["Code"] == "InvalidArgumentException" and "4 MiB" in str(err.value)


def test_batch_response_shape(lab):
    fh, _ = make_stream(lab)
    out = fh.put_record_batch(DeliveryStreamName="clicks", Records=[{"Data": b"a"}, {"Data": b"b"}])
    assert out["FailedPutCount"] == 0 and out["Encrypted"] is False
    assert [set(r) for r in out["RequestResponses"]] == [{"RecordId"}, {"RecordId"}]


def test_direct_put_quota_fails_records_beyond_the_byte_rate(lab):
    # eu-central-1 is one of the Regions with 1 MiB/s per stream.
    fh, _ = make_stream(lab, region="eu-central-1")
    record = {"Data": b"q" * 4000}
    results = [fh.put_record_batch(DeliveryStreamName="clicks", Records=[record] * 100) for _ in range(4)]
    failed = [r["FailedPutCount"] for r in results]
    assert failed[:2] == [0, 0] and failed[-1] == 100 and sum(failed) == 400 - (MiB // 4000)
    bad = next(e for e in results[-1]["RequestResponses"])
    assert bad == {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."}
    lab.clock.advance(1)
    assert fh.put_record_batch(DeliveryStreamName="clicks", Records=[record] * 100)["FailedPutCount"] == 0
    cw = lab.client("cloudwatch", region_name="eu-central-1")
    points = cw.get_metric_statistics(Namespace="AWS/Firehose", MetricName="ThrottledRecords",
                                      Dimensions=[{"Name": "DeliveryStreamName", "Value": "clicks"}],
                                      StartTime=dt.datetime(2025, 1, 1), EndTime=dt.datetime(2027, 1, 1),
                                      Period=60, Statistics=["Sum"])["Datapoints"]
    assert sum(p["Sum"] for p in points) == sum(failed)


def test_request_rate_quota_is_service_unavailable(lab):
    make_stream(lab, region="eu-central-1")
    fh = lab.client("firehose", region_name="eu-central-1", config=Config(retries={"total_max_attempts": 1}))
    for _ in range(quotas.FIREHOSE_PUT_REQUESTS_PER_SECOND_OTHER):
        fh.put_record(DeliveryStreamName="clicks", Record={"Data": b"."})
    with pytest.raises(ClientError) as err:
        fh.put_record(DeliveryStreamName="clicks", Record={"Data": b"."})
    assert err.value.response["Error"]["Code"] == "ServiceUnavailableException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


def test_nothing_lost_bytes_delivered_equal_bytes_accepted(lab):
    fh, s3 = make_stream(lab, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 30}, CompressionFormat="GZIP")
    rng = lab.context.rng("test")
    sent = []
    for _ in range(200):
        batch = [bytes([65 + rng.randrange(26)]) * rng.randrange(1, 20_000) for _ in range(rng.randrange(1, 20))]
        fh.put_record_batch(DeliveryStreamName="clicks", Records=[{"Data": d} for d in batch])
        sent.extend(batch)
        lab.clock.advance(rng.random() * 2)
    lab.clock.advance(30)
    got = b"".join(read_object(s3, "lake", k) for k in sorted(keys(s3), key=lambda k: k.rsplit("-", 6)[0]))
    assert sorted(got) == sorted(b"".join(sent)) and len(got) == sum(map(len, sent))
    delivered = sum(v for _, v in stats(lab, "DeliveryToS3.Bytes"))
    incoming = sum(v for _, v in stats(lab, "IncomingBytes"))
    assert delivered == incoming == len(got)


def test_freshness_is_published_each_second_and_saw_tooths_with_the_interval(lab):
    fh, _ = make_stream(lab, BufferingHints={"SizeInMBs": 5, "IntervalInSeconds": 60})
    for _ in range(180):
        fh.put_record(DeliveryStreamName="clicks", Record={"Data": b"tick"})
        lab.clock.advance(1)
    fresh = [v for _, v in stats(lab, "DeliveryToS3.DataFreshness", stat="Maximum")]
    assert len(fresh) >= 175 and max(fresh) <= 60 and max(fresh) >= 59
    assert sum(1 for a, b in zip(fresh, fresh[1:]) if b < a) == 2  # two deliveries in the window


def test_billing_rounds_each_record_up_to_5_kb(lab):
    from labsim.firehose import billed_bytes

    fh, _ = make_stream(lab)
    fh.put_record_batch(DeliveryStreamName="clicks", Records=[{"Data": b"x" * 100}] * 10 + [{"Data": b"y" * 5121}])
    stream = lab.backend("firehose").delivery_streams["clicks"]
    assert stream.billed_bytes == 10 * 5120 + 2 * 5120 == sum(billed_bytes(n) for n in [100] * 10 + [5121])
