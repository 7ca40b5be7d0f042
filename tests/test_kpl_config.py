"""Settings: the KPL's names and defaults, validated with clear errors; bad records refused."""

from __future__ import annotations

import pytest

from labsim import quotas
from labsim.clock import VirtualClock
from labsim.kpl import KinesisProducer, ProducerClosedError, ProducerConfig
from test_kpl_helpers import FakeKinesis, lab_stream


def test_defaults_are_the_kpl_defaults():
    cfg = ProducerConfig()
    assert cfg.aggregation_enabled is True
    assert cfg.aggregation_max_count == 4_294_967_295 == quotas.KPL_AGGREGATION_MAX_COUNT
    assert cfg.aggregation_max_size == 51_200
    assert cfg.collection_max_count == 500
    assert cfg.collection_max_size == 5 * 1024 * 1024
    assert cfg.max_user_record_size == 1024 * 1024
    assert cfg.record_max_buffered_time_ms == 100
    assert cfg.record_ttl_ms == 30_000
    assert cfg.rate_limit == 150
    assert cfg.fail_if_throttled is False
    assert (cfg.metrics_level, cfg.metrics_granularity, cfg.metrics_namespace) == ("detailed", "shard", "KinesisProducerLibrary")
    assert cfg.metrics_upload_delay_ms == 60_000


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("aggregation_max_count", 0, "aggregation_max_count must be an integer from 1 to 9,223,372,036,854,775,807"),
        ("aggregation_max_size", 63, "aggregation_max_size must be an integer from 64 to 10,485,760 (bytes)"),
        ("aggregation_max_size", 10 * 1024 * 1024 + 1, "from 64 to 10,485,760"),
        ("collection_max_count", 501, "collection_max_count must be an integer from 1 to 500"),
        ("collection_max_size", 52_223, "collection_max_size must be an integer from 52,224"),
        ("max_user_record_size", 10 * 1024 * 1024 + 1, "max_user_record_size must be an integer from 64 to 10,485,760"),
        ("record_max_buffered_time_ms", -1, "record_max_buffered_time_ms must be an integer >= 0"),
        ("record_ttl_ms", 99, "record_ttl_ms must be an integer >= 100"),
        ("rate_limit", 0, "rate_limit must be an integer >= 1"),
        ("rate_limit", 1.5, "rate_limit must be an integer"),
        ("aggregation_enabled", "yes", "aggregation_enabled must be True or False"),
        ("fail_if_throttled", 1, "fail_if_throttled must be True or False"),
        ("metrics_level", "verbose", "metrics_level must be one of 'none', 'summary', 'detailed'"),
        ("metrics_granularity", "account", "metrics_granularity must be one of 'global', 'stream', 'shard'"),
        ("metrics_namespace", "AWS/Kinesis", "does not start with 'AWS/'"),
        ("metrics_upload_delay_ms", 60_001, "metrics_upload_delay_ms must be an integer from 1 to 60,000"),
        ("shard_map_refresh_s", 0, "shard_map_refresh_s must be a positive number"),
    ],
)
def test_out_of_range_settings_name_the_allowed_range(name, value, message):
    with pytest.raises(ValueError) as info:
        ProducerConfig(**{name: value})
    assert message in str(info.value)
    assert repr(value) in str(info.value)


def test_java_style_and_misspelt_names_get_a_suggestion():
    with pytest.raises(TypeError, match="did you mean 'record_max_buffered_time_ms'"):
        ProducerConfig.from_kwargs(RecordMaxBufferedTime=100)
    with pytest.raises(TypeError, match="did you mean 'aggregation_enabled'"):
        ProducerConfig.from_kwargs(AggregationEnabled=False)
    with pytest.raises(TypeError, match="did you mean 'rate_limit'"):
        ProducerConfig.from_kwargs(rate_limt=50)
    with pytest.raises(TypeError, match="has no setting"):
        KinesisProducer("clicks", client=FakeKinesis(), metrics_level="none", colour="blue")


def test_bad_stream_name():
    with pytest.raises(ValueError, match="stream_name"):
        KinesisProducer("bad name!", client=FakeKinesis())


@pytest.fixture()
def producer():
    # No lab needed to check input: an in-memory client on a virtual clock (an injected scheduler).
    with KinesisProducer("clicks", client=FakeKinesis(), scheduler=VirtualClock(start=0),
                         max_user_record_size=1000, metrics_level="none") as p:
        yield p


def test_data_must_be_bytes(producer):
    with pytest.raises(TypeError, match=r"data must be bytes, got str \(encode text first"):
        producer.put_record("text", partition_key="k")
    with pytest.raises(TypeError, match="got int"):
        producer.put_record(5, partition_key="k")
    assert producer.put_record(bytearray(b"ok"), partition_key="k").result().successful
    assert producer.put_record(memoryview(b"ok"), partition_key="k").result().successful


def test_data_too_large(producer):
    with pytest.raises(ValueError, match=r"data is 1,001 bytes but a user record may be at most 1,000 bytes \(max_user_record_size"):
        producer.put_record(b"x" * 1001, partition_key="k")
    assert producer.put_record(b"x" * 1000, partition_key="k").result().successful


def test_partition_key_rules(producer):
    with pytest.raises(ValueError, match="partition_key must be 1-256 characters long, got 0"):
        producer.put_record(b"x", partition_key="")
    with pytest.raises(ValueError, match="got 257 characters"):
        producer.put_record(b"x", partition_key="k" * 257)
    with pytest.raises(TypeError, match="partition_key must be a str"):
        producer.put_record(b"x", partition_key=42)
    assert producer.put_record(b"x", partition_key="ü" * 256).result().successful


@pytest.mark.parametrize("ehk", ["-1", "01", "abc", str(2**128), "1" * 40, "1.5", ""])
def test_bad_explicit_hash_keys(producer, ehk):
    with pytest.raises(ValueError, match="explicit_hash_key must be a decimal number from 0 to 2\\*\\*128 - 1"):
        producer.put_record(b"x", partition_key="k", explicit_hash_key=ehk)


def test_good_explicit_hash_keys(producer):
    with pytest.raises(TypeError, match="explicit_hash_key"):
        producer.put_record(b"x", partition_key="k", explicit_hash_key=1.0)
    for ehk in ("0", str(2**128 - 1), 12345):
        assert producer.put_record(b"x", partition_key="k", explicit_hash_key=ehk).result().successful


def test_closed_producer_refuses_records():
    with lab_stream() as (lab, kinesis):
        producer = KinesisProducer("clicks", client=kinesis)
        producer.put_record(b"x", partition_key="k")
        producer.close()
        assert producer.closed and producer.outstanding_records == 0
        with pytest.raises(ProducerClosedError, match="is closed"):
            producer.put_record(b"x", partition_key="k")
        producer.close()  # twice is fine
