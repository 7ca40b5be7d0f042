"""labsim.kcl's settings, messages and processor adapters: the contract's names and defaults."""

from __future__ import annotations

import datetime as dt

import pytest

from labsim import quotas
from labsim.kcl import (CheckpointError, InitializeInput, KclConfig, ProcessRecordsInput, Record, RecordProcessorBase,
                        load_properties)
from labsim.kcl.processor import adapt


def test_defaults_are_kcl_3x():
    cfg = KclConfig.from_dict({})
    assert cfg.failover_time_millis == 10_000 == quotas.KCL_FAILOVER_TIME_MILLIS
    assert cfg.max_records == 10_000 and cfg.idle_time_between_reads_in_millis == 1500
    assert cfg.initial_position_in_stream == "LATEST"
    assert cfg.client_version_config == "CLIENT_VERSION_CONFIG_3X"
    assert cfg.lease_table_billing_mode == "PAY_PER_REQUEST"
    assert cfg.max_leases_for_worker == 2**31 - 1
    assert cfg.renewal_interval == pytest.approx(3.30833, abs=1e-4)
    assert cfg.assignment_interval == 20 and cfg.discovery_interval == pytest.approx(9.975)
    assert cfg.taker_interval == pytest.approx(20.05)
    assert quotas.KCL_IDLE_TIME_BETWEEN_READS_MILLIS.then == 1000


def test_retrieval_mode_default_is_fanout_unless_a_polling_setting_is_given():
    # multilang RetrievalMode.DEFAULT: fan-out, but polling as soon as any PollingConfig property is set
    assert KclConfig.from_dict({}).retrieval_mode == "FANOUT" and KclConfig.from_dict({}).fanout
    assert KclConfig.from_dict({"max_records": 500}).retrieval_mode == "POLLING"
    assert KclConfig.from_dict({"idle_time_between_reads_in_millis": 500}).retrieval_mode == "POLLING"
    assert KclConfig.from_dict({"retrieval_mode": "fanout", "max_records": 500}).retrieval_mode == "FANOUT"
    assert KclConfig.from_dict({"retrieval_mode": "POLLING"}).fanout is False


def test_at_timestamp_takes_the_daemons_timestamp_setting(tmp_path):
    when = dt.datetime(2026, 1, 1, 0, 5, tzinfo=dt.timezone.utc)
    cfg = KclConfig.from_dict({"initial_position_in_stream": "AT_TIMESTAMP", "initial_position_in_stream_extended": when})
    assert (cfg.initial_position_in_stream, cfg.initial_position_in_stream_extended) == ("AT_TIMESTAMP", when.timestamp())
    # the daemon: initialPositionInStreamExtended = <epoch seconds> alone means AT_TIMESTAMP
    path = tmp_path / "app.properties"
    path.write_text("streamName = s\napplicationName = a\ninitialPositionInStreamExtended = 1767225900\n")
    settings = load_properties(path)
    settings.pop("stream_name"), settings.pop("application_name")
    cfg = KclConfig.from_dict(settings)
    assert (cfg.initial_position_in_stream, cfg.initial_position_in_stream_extended) == ("AT_TIMESTAMP", 1767225900.0)


def test_unknown_or_bad_settings_say_what_to_fix():
    with pytest.raises(ValueError, match="did you mean 'max_records'"):
        KclConfig.from_dict({"max_record": 5})
    with pytest.raises(ValueError, match="between 1 and 10,000"):
        KclConfig.from_dict({"max_records": 20_000})
    with pytest.raises(ValueError, match="at least 200"):
        KclConfig.from_dict({"idle_time_between_reads_in_millis": 50})
    with pytest.raises(ValueError, match="TRIM_HORIZON, LATEST, AT_TIMESTAMP"):
        KclConfig.from_dict({"initial_position_in_stream": "OLDEST"})
    with pytest.raises(ValueError, match="POLLING, FANOUT, DEFAULT"):
        KclConfig.from_dict({"retrieval_mode": "PUSH"})
    with pytest.raises(ValueError, match="initial_position_in_stream_extended"):
        KclConfig.from_dict({"initial_position_in_stream": "AT_TIMESTAMP"})  # AT_TIMESTAMP needs its timestamp
    with pytest.raises(ValueError, match="only goes with AT_TIMESTAMP"):
        KclConfig.from_dict({"initial_position_in_stream": "LATEST", "initial_position_in_stream_extended": 1})
    with pytest.raises(ValueError, match="aware datetime"):
        KclConfig.from_dict({"initial_position_in_stream_extended": dt.datetime(2026, 1, 1)})
    with pytest.raises(ValueError, match="epoch seconds"):
        KclConfig.from_dict({"initial_position_in_stream_extended": "yesterday"})
    assert KclConfig.from_dict({"initial_position_in_stream": "trim_horizon"}).initial_position_in_stream == "TRIM_HORIZON"


def test_load_properties_reads_a_daemon_file(tmp_path):
    path = tmp_path / "app.properties"
    path.write_text(
        "# the kclpy sample's keys\n"
        "executableName = sample_kclpy_app.py\n"
        "streamName = kclpysample\n"
        "applicationName = PythonKCLSample\n"
        "AWSCredentialsProvider = DefaultCredentialsProvider\n"
        "processingLanguage = python/3.8\n"
        "initialPositionInStream = TRIM_HORIZON\n"
        "regionName = us-east-1\n"
        "failoverTimeMillis = 20000\n"
        "idleTimeBetweenReadsInMillis: 500\n"
    )
    settings = load_properties(path)
    assert settings == {"stream_name": "kclpysample", "application_name": "PythonKCLSample",
                        "initial_position_in_stream": "TRIM_HORIZON", "failover_time_millis": "20000",
                        "idle_time_between_reads_in_millis": "500"}
    config = {k: v for k, v in settings.items() if k not in ("stream_name", "application_name")}
    assert KclConfig.from_dict(config).failover == 20
    path.write_text("streamName = s\napplicationName = a\nfailoverTimeMilis = 1\n")
    with pytest.raises(ValueError, match="failover_time_millis"):
        load_properties(path)


def test_record_and_inputs_follow_kclpy():
    ms = 1767225600123
    rec = Record({"action": "record", "data": "aGk=", "partitionKey": "p", "sequenceNumber": "4955",
                  "subSequenceNumber": 3, "approximateArrivalTimestamp": ms})
    assert (rec.binary_data, rec.data, rec.sub_sequence_number, rec.timestamp_millis) == (b"hi", "aGk=", 3, ms)
    assert rec.approximate_arrival_timestamp == dt.datetime.fromtimestamp(ms / 1000)
    assert rec["sequenceNumber"] == "4955" and rec.get("action") == "record"
    lab_made = Record(binary_data=b"hi", partition_key="p", sequence_number="1")
    assert lab_made.data == "aGk=" and lab_made.sub_sequence_number == 0
    batch = ProcessRecordsInput({"records": [rec.__class__({"data": "", "partitionKey": "k", "sequenceNumber": "1"})],
                                 "millisBehindLatest": 7})
    assert batch.action == "processRecords" and batch.millis_behind_latest == 7 and batch.records[0].partition_key == "k"
    init = InitializeInput({"shardId": "shardId-1", "sequenceNumber": "LATEST", "subSequenceNumber": 0})
    assert (init.action, init.shard_id, init.sequence_number) == ("initialize", "shardId-1", "LATEST")
    err = CheckpointError("ThrottlingException")
    assert err.value == "ThrottlingException"


def test_v2_and_v1_processors_are_adapted_like_kclpy():
    calls = []

    class V2:
        version = 2

        def initialize(self, i): calls.append(("init", i.shard_id))
        def process_records(self, i): calls.append(("records", len(i.records)))
        def shutdown(self, i): calls.append(("shutdown", i.reason, i.checkpointer))
        def shutdown_requested(self, i): calls.append(("requested",))

    class V1:
        def initialize(self, shard_id): calls.append(("v1 init", shard_id))
        def process_records(self, records, checkpointer): calls.append(("v1 records", len(records)))
        def shutdown(self, checkpointer, reason): calls.append(("v1 shutdown", reason))

    from labsim.kcl import LeaseLostInput, ShardEndedInput
    v2 = adapt(V2())
    assert isinstance(v2, RecordProcessorBase)
    v2.initialize(InitializeInput({"shardId": "s"}))
    v2.lease_lost(LeaseLostInput())
    v2.shard_ended(ShardEndedInput(None, "cp"))
    v1 = adapt(V1())
    v1.initialize(InitializeInput({"shardId": "s"}))
    v1.process_records(ProcessRecordsInput({"records": []}, "cp"))
    v1.shard_ended(ShardEndedInput(None, "cp"))
    assert calls == [("init", "s"), ("shutdown", "ZOMBIE", None), ("shutdown", "TERMINATE", "cp"),
                     ("v1 init", "s"), ("v1 records", 0), ("v1 shutdown", "TERMINATE")]
    with pytest.raises(ValueError, match="version"):
        adapt(type("V9", (), {"version": 9})())
