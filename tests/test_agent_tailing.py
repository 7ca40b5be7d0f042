"""labsim.agent tails real files in temporary folders: order, rotation, crash and resume, buffering, sending.

Every test writes real files with real renames and truncations, runs the agent on the lab's clock and
reads the stream back with GetRecords.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from collections import Counter

import pytest

from labsim.agent import Agent, AgentConfigError
from labsim.grading import read_stream


@pytest.fixture
def kinesis(lab):
    client = lab.client("kinesis")
    client.create_stream(StreamName="logs", ShardCount=1)  # one shard: one order to compare
    lab.clock.advance(30)
    return client


def sent(kinesis, stream="logs") -> list[bytes]:
    """The stream's data, in arrival order across shards (sequence numbers grow with time)."""
    records = read_stream(kinesis, stream)
    records.sort(key=lambda r: (r["ApproximateArrivalTimestamp"], int(r["SequenceNumber"])))
    return [r["Data"] for r in records]


def append(path, lines):
    with open(path, "a") as fh:
        fh.writelines(f"{line}\n" for line in lines)


def config(tmp_path, **flow):
    base = {"filePattern": f"{tmp_path}/logs/app.log*", "kinesisStream": "logs", "initialPosition": "START_OF_FILE",
            "maxBufferAgeMillis": 1000}
    base.update(flow)
    return {"checkpointFile": f"{tmp_path}/state/checkpoints", "cloudwatch.emitMetrics": False, "flows": [base]}


@pytest.fixture
def logdir(tmp_path):
    (tmp_path / "logs").mkdir()
    return tmp_path / "logs"


def test_start_of_file_sends_every_line_once_in_order(lab, kinesis, tmp_path, logdir):
    append(logdir / "app.log", [f"line {i}" for i in range(50)])
    agent = Agent(config(tmp_path)).start()
    lab.clock.advance(2)
    append(logdir / "app.log", [f"line {i}" for i in range(50, 80)])
    lab.clock.advance(2)
    agent.stop()
    assert sent(kinesis) == [f"line {i}\n".encode() for i in range(80)]


def test_end_of_file_skips_what_is_there_and_unterminated_lines_wait(lab, kinesis, tmp_path, logdir):
    append(logdir / "app.log", ["old 1", "old 2"])
    agent = Agent(config(tmp_path, initialPosition="END_OF_FILE")).start()
    with open(logdir / "app.log", "a") as fh:
        fh.write("new 1\nhalf")
    lab.clock.advance(2)
    assert sent(kinesis) == [b"new 1\n"]
    with open(logdir / "app.log", "a") as fh:
        fh.write(" done\n")
    lab.clock.advance(2)
    agent.stop()
    assert sent(kinesis) == [b"new 1\n", b"half done\n"]


@pytest.mark.parametrize("mode", ["rename", "copytruncate", "create"])
def test_rotation_loses_nothing_and_repeats_nothing(lab, kinesis, tmp_path, logdir, mode):
    flow = {"filePattern": f"{logdir}/app*.log*"} if mode == "create" else {}
    agent = Agent(config(tmp_path, **flow)).start()
    n, current = 0, logdir / ("app-0.log" if mode == "create" else "app.log")
    for rotation in range(4):
        for _ in range(3):
            append(current, [f"r{rotation} line {n + i}" for i in range(7)])
            n += 7
            lab.clock.advance(0.5)
        append(current, [f"r{rotation} last {n}"])   # written just before the rotation, not yet read
        n += 1
        if mode == "rename":
            for k in range(rotation, 0, -1):
                os.rename(logdir / f"app.log.{k}", logdir / f"app.log.{k + 1}")
            os.rename(current, logdir / "app.log.1")
            current.touch()
        elif mode == "copytruncate":
            for k in range(rotation, 0, -1):
                os.rename(logdir / f"app.log.{k}", logdir / f"app.log.{k + 1}")
            shutil.copyfile(current, logdir / "app.log.1")
            os.truncate(current, 0)
        else:
            current = logdir / f"app-{rotation + 1}.log"
            current.touch()
        lab.clock.advance(1.5)
    append(current, ["after all"])
    lab.clock.advance(3)
    agent.stop()
    got = [d.decode().rstrip("\n").split(" ", 1)[1] for d in sent(kinesis)]
    expected = []
    m = 0
    for rotation in range(4):
        for _ in range(3):
            expected += [f"line {m + i}" for i in range(7)]
            m += 7
        expected.append(f"last {m}")
        m += 1
    expected.append("all")
    assert Counter(got) == Counter(expected), "every line exactly once"
    assert got == expected, "in file order"


def test_skip_header_lines_also_after_copytruncate(lab, kinesis, tmp_path, logdir):
    path = logdir / "app.log"
    append(path, ["id,name", "1,a", "2,b"])
    opts = [{"optionName": "CSVTOJSON", "customFieldNames": ["id", "name"]}]
    agent = Agent(config(tmp_path, skipHeaderLines=1, dataProcessingOptions=opts)).start()
    lab.clock.advance(2)
    shutil.copyfile(path, logdir / "app.log.1")
    os.truncate(path, 0)
    append(path, ["id,name", "3,c"])
    lab.clock.advance(3)
    agent.stop()
    assert sent(kinesis) == [b'{"id":"1","name":"a"}\n', b'{"id":"2","name":"b"}\n', b'{"id":"3","name":"c"}\n']


def test_multi_line_records_with_singleline(lab, kinesis, tmp_path, logdir):
    path = logdir / "app.log"
    append(path, ["2026-01-01 ERROR boom", "java.lang.IllegalStateException: x", "    at a.B.c(B.java:1)",
                  "2026-01-01 INFO fine"])
    agent = Agent(config(tmp_path, multiLineStartPattern=r"\d{4}-\d{2}-\d{2}",
                         dataProcessingOptions=[{"optionName": "SINGLELINE"}])).start()
    lab.clock.advance(2)
    append(path, ["2026-01-02 WARN next", "  detail"])
    lab.clock.advance(2)
    agent.stop()
    assert sent(kinesis) == [b"2026-01-01 ERROR boomjava.lang.IllegalStateException: xat a.B.c(B.java:1)\n",
                             b"2026-01-01 INFO fine\n", b"2026-01-02 WARN nextdetail\n"]


def test_crash_resumes_from_the_sqlite_checkpoint(lab, kinesis, tmp_path, logdir):
    path = logdir / "app.log"
    cfg = config(tmp_path, maxBufferSizeRecords=10, maxBufferAgeMillis=60000)
    agent = Agent(cfg).start()
    append(path, [f"a{i}" for i in range(25)])
    lab.clock.advance(1)      # two full buffers of 10 sent and checkpointed; 5 lines wait in the buffer
    agent.crash()
    rows = sqlite3.connect(tmp_path / "state" / "checkpoints").execute(
        "select flow, path, fileId, offset from FILE_CHECKPOINTS").fetchall()
    st = os.stat(path)
    assert rows == [(f"kinesis:logs:{logdir}/app.log*", str(path), f"(dev={st.st_dev:x},ino={st.st_ino})",
                     sum(len(f"a{i}\n") for i in range(20)))]
    assert len(sent(kinesis)) == 20
    append(path, [f"b{i}" for i in range(5)])
    os.rename(path, logdir / "app.log.1")         # rotated while the agent was down
    append(path, [f"c{i}" for i in range(3)])
    again = Agent(cfg).start()
    lab.clock.advance(61)
    again.stop()
    got = [d.decode().strip() for d in sent(kinesis)]
    assert got == [f"a{i}" for i in range(25)] + [f"b{i}" for i in range(5)] + [f"c{i}" for i in range(3)]


def test_crash_with_a_partly_sent_buffer_repeats_only_records_after_the_checkpoint(lab, kinesis, tmp_path, logdir):
    path = logdir / "app.log"
    cfg = config(tmp_path, maxBufferSizeRecords=500)
    # 1,500 records of 700 bytes at once: the shard takes 1 MiB/s, so the third buffer of 500 goes in only in part
    append(path, [f"x{i:04d} " + "p" * 694 for i in range(1500)])
    agent = Agent(cfg).start()
    lab.clock.advance(0.1)
    assert agent.metrics()[f"kinesis:logs:{logdir}/app.log*"]["RecordSendErrors"] > 0
    agent.crash()
    again = Agent(cfg).start()
    lab.clock.advance(10)
    again.stop()
    got = Counter(d.decode().split()[0] for d in sent(kinesis))
    assert set(got) == {f"x{i:04d}" for i in range(1500)}, "no line lost"
    assert max(got.values()) <= 2 and sum(got.values()) > 1500, "repeats only after the checkpoint"


def test_retries_only_the_failed_records_until_all_are_in(lab, kinesis, tmp_path, logdir):
    append(logdir / "app.log", [f"r{i:04d}" for i in range(2500)])
    agent = Agent(config(tmp_path)).start()
    lab.clock.advance(10)
    agent.stop()
    m = agent.metrics()[f"kinesis:logs:{logdir}/app.log*"]
    got = [d.decode().strip() for d in sent(kinesis)]
    assert Counter(got) == Counter(f"r{i:04d}" for i in range(2500))
    assert m["RecordSendErrors"] > 0 and m["RecordsSent"] == 2500
    assert m["RecordSendAttempts"] == 2500 + m["RecordSendErrors"]


def test_buffers_close_on_records_bytes_and_age(lab, kinesis, tmp_path, logdir):
    calls = []
    kinesis.meta.events.register("before-call.kinesis.PutRecords", lambda params, **_: calls.append(len(params["body"]["Records"]) if isinstance(params.get("body"), dict) else 0))
    append(logdir / "app.log", [f"{i:03d}" for i in range(23)])
    agent = Agent(config(tmp_path, maxBufferSizeRecords=10, maxBufferAgeMillis=5000), kinesis=kinesis).start()
    lab.clock.advance(1)
    assert len(calls) == 2, "two full buffers of 10 go at once"
    lab.clock.advance(3)
    assert len(calls) == 2, "3 records wait for the buffer's age"
    lab.clock.advance(1.5)
    assert len(calls) == 3
    agent.stop()
    assert len(sent(kinesis)) == 23
    # bytes: 4-byte records with ~17-byte random keys in a 100-byte buffer: several small calls
    append(logdir / "app.log", [f"{i:03d}" for i in range(20)])
    agent = Agent(config(tmp_path, maxBufferSizeBytes=100), kinesis=kinesis).start()
    lab.clock.advance(2)
    agent.stop()
    assert len(sent(kinesis)) == 43 and len(calls) >= 3 + 20 * 20 // 100


def test_partition_keys_follow_partition_key_option(lab, kinesis, tmp_path, logdir):
    append(logdir / "app.log", ["alpha", "beta"])
    agent = Agent(config(tmp_path, partitionKeyOption="DETERMINISTIC")).start()
    lab.clock.advance(2)
    agent.stop()
    keys = {r["Data"]: r["PartitionKey"] for r in read_stream(kinesis, "logs")}
    assert keys == {b"alpha\n": hashlib.md5(b"alpha\n").hexdigest(), b"beta\n": hashlib.md5(b"beta\n").hexdigest()}
    (tmp_path / "state" / "checkpoints").unlink()
    kinesis.create_stream(StreamName="random", ShardCount=1)
    lab.clock.advance(30)
    agent = Agent(config(tmp_path, kinesisStream="random")).start()
    lab.clock.advance(2)
    agent.stop()
    for record in read_stream(kinesis, "random"):
        assert 0 <= float(record["PartitionKey"]) < 1_000_000


def test_oversized_record_is_truncated_with_the_terminator(lab, kinesis, tmp_path, logdir):
    with open(logdir / "app.log", "w") as fh:
        fh.write("x" * (1024 * 1024 + 10) + "\nsmall\n")
    agent = Agent(config(tmp_path, partitionKeyOption="DETERMINISTIC", truncatedRecordTerminator="<cut>\n")).start()
    lab.clock.advance(2)
    agent.stop()
    big, small = sent(kinesis)
    assert len(big) == 1024 * 1024 - 32 and big.endswith(b"x<cut>\n") and small == b"small\n"
    assert agent.metrics()[f"kinesis:logs:{logdir}/app.log*"]["RecordsTruncated"] == 1


def test_two_flows_route_by_file(lab, kinesis, tmp_path, logdir):
    kinesis.create_stream(StreamName="errors", ShardCount=1)
    lab.clock.advance(30)
    append(logdir / "access.log", ["GET /"])
    append(logdir / "error.log", ["oops"])
    cfg = {"checkpointFile": f"{tmp_path}/cp", "cloudwatch.emitMetrics": False, "flows": [
        {"filePattern": f"{logdir}/access.log", "kinesisStream": "logs", "initialPosition": "START_OF_FILE"},
        {"filePattern": f"{logdir}/error.*", "kinesisStream": "errors", "initialPosition": "START_OF_FILE"}]}
    agent = Agent(cfg).start()
    lab.clock.advance(61)
    agent.stop()
    assert sent(kinesis) == [b"GET /\n"] and sent(kinesis, "errors") == [b"oops\n"]


def test_firehose_flow_uses_put_record_batch(lab, tmp_path, logdir):
    s3, firehose = lab.client("s3"), lab.client("firehose")
    s3.create_bucket(Bucket="sink")
    firehose.create_delivery_stream(DeliveryStreamName="fh", ExtendedS3DestinationConfiguration={
        "RoleARN": "arn:aws:iam::123456789012:role/fh", "BucketARN": "arn:aws:s3:::sink"})
    append(logdir / "app.log", ["one", "two"])
    agent = Agent({"checkpointFile": f"{tmp_path}/cp", "flows": [
        {"filePattern": f"{logdir}/app.log", "deliveryStream": "fh", "initialPosition": "START_OF_FILE",
         "maxBufferAgeMillis": 1000}]}).start()
    lab.clock.advance(2)
    agent.stop()
    body = b"".join(s3.get_object(Bucket="sink", Key=o["Key"])["Body"].read()
                    for o in s3.list_objects_v2(Bucket="sink").get("Contents", []))
    assert body == b"one\ntwo\n"
    assert agent.metrics()[f"fh:fh:{logdir}/app.log"]["RecordsSent"] == 2


def test_metrics_reach_the_labs_cloudwatch(lab, kinesis, tmp_path, logdir):
    append(logdir / "app.log", ["a", "b", "c"])
    cfg = config(tmp_path)
    cfg["cloudwatch.emitMetrics"] = True
    agent = Agent(cfg).start()
    lab.clock.advance(31)
    agent.stop()
    cw = lab.client("cloudwatch")
    stats = cw.get_metric_statistics(Namespace="AWSKinesisAgent", MetricName="RecordsSent",
                                     Dimensions=[{"Name": "Destination", "Value": "KinesisStream:logs"}],
                                     StartTime=lab.clock.now() - 3600, EndTime=lab.clock.now() + 60,
                                     Period=3600, Statistics=["Sum"])
    assert stats["Datapoints"][0]["Sum"] == 3
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="AWSKinesisAgent")["Metrics"]}
    assert {"BytesSent", "RecordSendAttempts", "RecordSendErrors", "ServiceErrors", "RecordsSent"} <= names


def test_a_missing_stream_counts_service_errors_and_loses_nothing(lab, kinesis, tmp_path, logdir):
    append(logdir / "app.log", ["wait for me"])
    agent = Agent(config(tmp_path, kinesisStream="later")).start()
    lab.clock.advance(3)
    assert agent.metrics()[f"kinesis:later:{logdir}/app.log*"]["ServiceErrors"] >= 2
    kinesis.create_stream(StreamName="later", ShardCount=1)
    lab.clock.advance(40)
    agent.stop()
    assert sent(kinesis, "later") == [b"wait for me\n"]


@pytest.mark.parametrize("flow, message", [
    ({"kinesisStream": "s"}, "filePattern"),
    ({"filePattern": "/tmp/x.log"}, "exactly one of kinesisStream or deliveryStream"),
    ({"filePattern": "/tmp/x.log", "kinesisStream": "s", "deliveryStream": "d"}, "exactly one"),
    ({"filePattern": "/tmp/x.log", "kinesisStream": "s", "maxBufferAgeMillis": 999}, "maxBufferAgeMillis: 999 is out of range; allowed 1000 to 900000"),
    ({"filePattern": "/tmp/x.log", "kinesisStream": "s", "maxBufferSizeBytes": 5242881}, "allowed 1 to 5242880"),
    ({"filePattern": "/tmp/x.log", "deliveryStream": "s", "maxBufferSizeBytes": 4194305}, "allowed 1 to 4194304"),
    ({"filePattern": "/tmp/x.log", "kinesisStream": "s", "initialPosition": "LATEST"}, "END_OF_FILE, START_OF_FILE"),
    ({"filePattern": "/tmp/x.log", "kinesisStream": "s", "partitionKeyOption": "HASH"}, "RANDOM, DETERMINISTIC"),
    ({"filePattern": "/tmp/*/x.log", "kinesisStream": "s"}, "folder part"),
    ({"filePattern": "logs/x.log", "kinesisStream": "s"}, "absolute"),
    ({"filePattern": "/tmp/x.log", "kinesisStream": "s", "skipHeaderLines": "1"}, "whole number"),
])
def test_bad_config_is_refused_with_the_key_named(lab, flow, message):
    with pytest.raises(AgentConfigError, match=message):
        Agent({"checkpointFile": "/tmp/unused", "flows": [flow]})


def test_unknown_keys_warn_and_agent_json_files_load(lab, tmp_path):
    path = tmp_path / "agent.json"
    path.write_text('{"checkpointFile": "%s/cp", "awsAccessKeyId": "AKIA", "flows": '
                    '[{"filePattern": "%s/*.log", "kinesisStream": "s", "colour": "red"}]}' % (tmp_path, tmp_path))
    with pytest.warns(UserWarning) as caught:
        Agent(str(path))
    texts = " ".join(str(w.message) for w in caught)
    assert "flows[0].colour" in texts and "awsAccessKeyId is accepted and ignored" in texts
    path.write_text("{not json")
    with pytest.raises(AgentConfigError, match="not valid JSON at line 1"):
        Agent(str(path))


def test_copytruncate_refilled_past_the_old_size_is_the_documented_blind_spot(lab, kinesis, tmp_path, logdir):
    path = logdir / "app.log"
    agent = Agent(config(tmp_path)).start()
    append(path, [f"old {i:02d}" for i in range(10)])
    lab.clock.advance(1)
    shutil.copyfile(path, logdir / "app.log.1")
    os.truncate(path, 0)
    append(path, [f"new {i:02d}" for i in range(12)])   # refilled beyond the old size before the next refresh
    lab.clock.advance(1)
    append(path, ["later"])
    lab.clock.advance(2)
    agent.stop()
    got = [d.decode().strip() for d in sent(kinesis)]
    assert got[:10] == [f"old {i:02d}" for i in range(10)], "the copy is not read again"
    assert "new 00" not in got, "the refill's first lines are missed, as in the Java agent"
    assert got[-1] == "later" and len(got) == len(set(got)), "later lines still arrive, nothing twice"


def test_firehose_aggregated_record_size_packs_whole_lines(lab, tmp_path, logdir):
    s3, firehose = lab.client("s3"), lab.client("firehose")
    s3.create_bucket(Bucket="sink")
    firehose.create_delivery_stream(DeliveryStreamName="fh", ExtendedS3DestinationConfiguration={
        "RoleARN": "arn:aws:iam::123456789012:role/fh", "BucketARN": "arn:aws:s3:::sink"})
    calls = []
    client = lab.client("firehose")
    client.meta.events.register("provide-client-params.firehose.PutRecordBatch",
                                lambda params, **_: calls.append([r["Data"] for r in params["Records"]]))
    append(logdir / "app.log", [f"line {i:02d}" for i in range(10)])   # 8 bytes each
    agent = Agent({"checkpointFile": f"{tmp_path}/cp", "cloudwatch.emitMetrics": False, "flows": [
        {"filePattern": f"{logdir}/app.log", "deliveryStream": "fh", "initialPosition": "START_OF_FILE",
         "aggregatedRecordSizeBytes": 20, "maxBufferAgeMillis": 1000}]}, firehose=client).start()
    lab.clock.advance(2)
    agent.stop()
    records = [r for call in calls for r in call]
    assert records[0] == b"line 00\nline 01\n" and all(len(r) <= 20 for r in records)
    assert b"".join(records) == b"".join(f"line {i:02d}\n".encode() for i in range(10))


def test_file_footer_pattern_stops_the_file(lab, kinesis, tmp_path, logdir):
    append(logdir / "app.log", ["a", "b", "--- END ---", "c"])
    agent = Agent(config(tmp_path, fileFooterPattern="--- END")).start()
    lab.clock.advance(2)
    agent.stop()
    assert sent(kinesis) == [b"a\n", b"b\n"]


def test_checkpoints_older_than_their_time_to_live_are_deleted(lab, kinesis, tmp_path, logdir):
    append(logdir / "app.log", ["a"])
    cfg = config(tmp_path)
    agent = Agent(cfg).start()
    lab.clock.advance(2)
    agent.stop()
    assert len(agent.checkpoints()) == 1
    lab.clock.advance(8 * 86400)     # past checkpointTimeToLiveDays (7): the next agent starts afresh
    again = Agent(cfg).start()
    assert again.checkpoints() == []
    again.stop()
