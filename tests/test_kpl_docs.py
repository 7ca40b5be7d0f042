"""labsim.kpl's docstring examples run, and the compression recipe works end to end."""

from __future__ import annotations

import doctest
import importlib
import json

import pytest

from labsim.kpl import KinesisProducer
from labsim.kpl.compression import gzip_decoder, gzip_encoder, zlib_decoder, zlib_encoder
from test_kpl_helpers import lab_stream, read_all

MODULES = [
    "labsim.kpl", "labsim.kpl.aggregation", "labsim.kpl.config", "labsim.kpl.producer", "labsim.kpl.compression",
    "labsim.kpl.aggregator", "labsim.kpl.collector", "labsim.kpl.limiter",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_compress_before_put_and_decompress_after_deaggregate():
    events = [{"user": f"u-{i % 5}", "page": "/home", "n": i} for i in range(300)]
    encode, decode = gzip_encoder(level=9), gzip_decoder()
    with lab_stream() as (lab, kinesis):
        with KinesisProducer("clicks", client=kinesis) as producer:
            for event in events:
                producer.put_record(encode(json.dumps(event).encode()), partition_key=event["user"])
        users = read_all(kinesis)["shardId-000000000000"]
    assert sorted((json.loads(decode(u.data)) for u in users), key=lambda e: e["n"]) == events


def test_codecs_and_their_errors():
    data = b"abc" * 100
    assert zlib_decoder()(zlib_encoder(9)(data)) == data
    assert gzip_encoder()(data) == gzip_encoder()(data)  # deterministic (mtime=0)
    with pytest.raises(ValueError, match="not gzip"):
        gzip_decoder()(b"plain")
    with pytest.raises(ValueError, match="not zlib"):
        zlib_decoder()(b"plain")
    with pytest.raises(ValueError, match="level"):
        gzip_encoder(level=10)
