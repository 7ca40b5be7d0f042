"""The aggregated-record format: hand-written protobuf, byte-compatible with the reference library."""

from __future__ import annotations

import hashlib
import random

import pytest
from aws_kinesis_agg.aggregator import RecordAggregator  # (puts its folder on sys.path for messages_pb2)
from aws_kinesis_agg.deaggregator import iter_deaggregate_records
from aws_kinesis_agg import messages_pb2  # noqa: E402  (import order matters, see above)

from labsim.kpl import AggregationFormatError, UserRecord, deaggregate, encode_aggregated
from labsim.kpl.aggregation import (
    MAGIC,
    AggregatedRecordBuilder,
    decode_aggregated,
    decode_varint,
    encode_varint,
    hash_key_of,
    iter_deaggregate,
)
from test_kpl_helpers import md5_hash_key


def _random_records(seed: int, n: int) -> list[tuple[str, str | None, bytes]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        pk = rng.choice(["a", "user-42", "ключ-" + str(i % 3), "k" * 256, f"key-{i}"])
        ehk = rng.choice([None, None, str(rng.randrange(2**128)), "0"])
        data = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 127, 128, 300, 20000])))
        out.append((pk, ehk, data))
    return out


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 16383, 16384, 2**32, 2**63 - 1, 2**64 - 1])
def test_varints_round_trip(value):
    encoded = encode_varint(value)
    assert decode_varint(encoded, 0) == (value, len(encoded))
    assert decode_varint(b"\xff" + encoded, 1) == (value, len(encoded) + 1)


def test_varint_known_bytes_and_errors():
    assert encode_varint(300) == b"\xac\x02"
    with pytest.raises(ValueError):
        encode_varint(-1)
    with pytest.raises(ValueError, match="past the end"):
        decode_varint(b"\x80", 0)


@pytest.mark.parametrize("seed", range(5))
def test_our_bytes_equal_the_reference_aggregator(seed):
    records = _random_records(seed, 60)
    theirs = RecordAggregator(max_size=1024 * 1024)
    for pk, ehk, data in records:
        assert theirs.add_user_record(pk, data, ehk) is None
    _, _, their_blob = theirs.clear_and_get().get_contents()
    assert encode_aggregated(records) == their_blob


@pytest.mark.parametrize("seed", range(5))
def test_reference_deaggregator_reads_ours(seed):
    records = _random_records(seed, 40)
    blob = encode_aggregated(records)
    boto_record = {"Data": blob, "PartitionKey": "a", "SequenceNumber": "4901", "ApproximateArrivalTimestamp": 0}
    theirs = list(iter_deaggregate_records([boto_record], data_format="Boto3"))
    assert [r["kinesis"]["partitionKey"] for r in theirs] == [pk for pk, _, _ in records]
    # (The reference reads an unset explicit_hash_key_index as 0, so compare only the records that have one.)
    assert [r["kinesis"]["explicitHashKey"] for r, (_, ehk, _) in zip(theirs, records) if ehk is not None] == [
        ehk for _, ehk, _ in records if ehk is not None
    ]
    import base64

    assert [base64.b64decode(r["kinesis"]["data"]) for r in theirs] == [d for _, _, d in records]
    assert [r["kinesis"]["subSequenceNumber"] for r in theirs] == list(range(len(records)))


@pytest.mark.parametrize("seed", range(5))
def test_we_read_the_reference_aggregator_and_the_protobuf_library(seed):
    records = _random_records(seed, 50)
    theirs = RecordAggregator(max_size=1024 * 1024)
    for pk, ehk, data in records:
        theirs.add_user_record(pk, data, ehk)
    _, _, blob = theirs.clear_and_get().get_contents()
    users = deaggregate([{"Data": blob, "PartitionKey": "x", "SequenceNumber": "77"}])
    assert [(u.partition_key, u.explicit_hash_key, u.data) for u in users] == records
    assert [u.sub_sequence_number for u in users] == list(range(len(records)))
    assert {u.sequence_number for u in users} == {"77"} and all(u.aggregated for u in users)

    # ...and a message built by protobuf itself, with tags (which the KPL never writes) and fields
    # in an unusual order, decodes the same way.
    message = messages_pb2.AggregatedRecord()
    message.partition_key_table.append("p")
    rec = message.records.add()
    rec.partition_key_index = 0
    rec.data = b"tagged"
    tag = rec.tags.add()
    tag.key, tag.value = "k", "v"
    body = message.SerializeToString()
    users = decode_aggregated(MAGIC + body + hashlib.md5(body).digest())
    assert [(u.partition_key, u.data) for u in users] == [("p", b"tagged")]


def test_builder_size_is_exact_and_a_single_record_is_its_raw_data():
    builder = AggregatedRecordBuilder()
    assert builder.size == 0
    builder.add("only", None, b"12345")
    assert builder.size == 5  # sent raw, without the envelope
    for pk, ehk, data in _random_records(9, 200):
        expected = builder.size_with(pk, ehk, data)
        builder.add(pk, ehk, data)
        assert builder.size == expected == len(builder.serialize())


def test_try_add_respects_the_limit():
    builder = AggregatedRecordBuilder()
    assert builder.try_add("k", None, b"x" * 100, limit=150)  # an empty builder always takes one
    assert not builder.try_add("k", None, b"x" * 100, limit=150)
    assert len(builder) == 1
    assert builder.try_add("k", None, b"x" * 10, limit=150)
    assert builder.size <= 150


def test_plain_records_pass_through_with_sub_sequence_zero():
    records = [
        {"Data": b"hello", "PartitionKey": "p1", "SequenceNumber": "1"},
        {"Data": b"\xf3\x89", "PartitionKey": "p2", "SequenceNumber": "2"},  # too short for the magic
    ]
    users = deaggregate(records)
    assert [(u.data, u.partition_key, u.sequence_number, u.sub_sequence_number, u.aggregated) for u in users] == [
        (b"hello", "p1", "1", 0, False),
        (b"\xf3\x89", "p2", "2", 0, False),
    ]


def test_deaggregate_accepts_a_response_a_single_record_and_bytearray():
    blob = encode_aggregated([("a", None, b"1"), ("b", None, b"2")])
    response = {"Records": [{"Data": blob, "PartitionKey": "a", "SequenceNumber": "9"}], "MillisBehindLatest": 0}
    assert len(deaggregate(response)) == 2
    assert len(deaggregate({"Data": bytearray(blob), "PartitionKey": "a", "SequenceNumber": "9"})) == 2
    assert [u.data for u in iter_deaggregate(response["Records"])] == [b"1", b"2"]
    first = deaggregate(response)[0]
    assert first.to_dict()["SubSequenceNumber"] == 0 and first.hash_key == md5_hash_key("a")


def test_corrupted_md5_raises_naming_the_sequence_number():
    blob = bytearray(encode_aggregated([("a", None, b"payload-1"), ("b", None, b"payload-2")]))
    blob[10] ^= 0xFF
    with pytest.raises(AggregationFormatError, match=r"record 4960.*MD5"):
        deaggregate([{"Data": bytes(blob), "PartitionKey": "a", "SequenceNumber": "4960"}])


def test_bad_protobuf_with_a_valid_md5_raises():
    body = b"\x0a\x05ab"  # a partition key of 5 bytes with only 2 present
    data = MAGIC + body + hashlib.md5(body).digest()
    with pytest.raises(AggregationFormatError, match=r"record 12.*protobuf is malformed"):
        deaggregate([{"Data": data, "PartitionKey": "a", "SequenceNumber": "12"}])


def test_index_out_of_range_and_missing_fields_raise():
    body = b"\x0a\x01p" + b"\x1a\x04" + b"\x08\x05\x1a\x00"  # record points at partition key 5
    with pytest.raises(AggregationFormatError, match="partition key 5"):
        decode_aggregated(MAGIC + body + hashlib.md5(body).digest(), sequence_number="3")
    body = b"\x0a\x01p" + b"\x1a\x02" + b"\x08\x00"  # no data field
    with pytest.raises(AggregationFormatError, match="no data"):
        decode_aggregated(MAGIC + body + hashlib.md5(body).digest())


def test_magic_but_too_short_raises():
    with pytest.raises(AggregationFormatError, match="only 8 bytes"):
        deaggregate([{"Data": MAGIC + b"1234", "PartitionKey": "a", "SequenceNumber": "5"}])


def test_max_key_range_drops_user_records_outside_the_shard():
    low, high = "0", str(2**128 - 1)
    blob = encode_aggregated([("x", low, b"low"), ("y", high, b"high")])
    record = {"Data": blob, "PartitionKey": "a", "SequenceNumber": "1"}
    shard = {"ShardId": "shardId-000000000000", "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": str(2**127 - 1)}}
    assert [u.data for u in deaggregate([record], max_key_range=shard)] == [b"low"]
    assert [u.data for u in deaggregate([record], max_key_range=(2**127, 2**128 - 1))] == [b"high"]
    assert len(deaggregate([record])) == 2
    plain = {"Data": b"plain", "PartitionKey": "y", "SequenceNumber": "2"}
    assert len(deaggregate([plain], max_key_range=shard)) == 1  # plain records are never dropped
    with pytest.raises(ValueError, match="max_key_range"):
        deaggregate([record], max_key_range=(5, 1))


def test_bad_input_types():
    with pytest.raises(TypeError, match="bytes"):
        deaggregate([{"Data": "text", "PartitionKey": "a"}])
    with pytest.raises(TypeError, match="GetRecords record"):
        deaggregate([42])


def test_hash_key_matches_the_service_rule():
    assert hash_key_of("user-42") == md5_hash_key("user-42")
    assert hash_key_of("ignored", "12345") == 12345
    assert UserRecord(b"", "k", "7").hash_key == 7
