"""The Kinesis Producer Library (KPL), rebuilt in Python for experiments (layer 2: boto3 only).

The KPL is the library AWS offers for writing to Kinesis Data Streams at high rates. It takes
*user records* from your code and turns them into as few, as full *Kinesis records* and PutRecords
requests as it can, keeps each shard near its limit, and retries what fails. labsim's version
follows the KPL's design, names, defaults, wire format and metrics (kinesis-facts §4), so what a
learner observes here is what the real library does:

>>> from labsim import Lab
>>> from labsim.kpl import KinesisProducer, deaggregate
>>> with Lab() as lab:
...     kinesis = lab.client("kinesis")
...     _ = kinesis.create_stream(StreamName="clicks", ShardCount=1)
...     _ = lab.clock.advance(30)
...     with KinesisProducer("clicks", client=kinesis, record_max_buffered_time_ms=100) as producer:
...         futures = [producer.put_record(b"click-%d" % i, partition_key=f"user-{i % 7}") for i in range(1000)]
...     result = futures[0].result()
...     it = kinesis.get_shard_iterator(StreamName="clicks", ShardId=result.shard_id,
...                                     ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
...     stored = kinesis.get_records(ShardIterator=it)["Records"]
...     users = deaggregate(stored)
>>> result.successful, result.sub_sequence_number
(True, 0)
>>> len(stored), len(users)          # 1,000 user records travelled in one Kinesis record
(1, 1000)
>>> producer.metrics()["UserRecordsPerKinesisRecord"]["Average"]
1000.0

Where to look:

===============================  ==============================================================
``labsim.kpl.producer``          ``KinesisProducer``: the public API and the send loop that wires
                                 the pipeline's steps together (its docstring walks through them)
``labsim.kpl.records``           a user record in flight; the Kinesis record that carries it
``labsim.kpl.aggregator``        step 2: user records for one shard packed into Kinesis records
``labsim.kpl.limiter``           step 3: the per-shard token buckets (``rate_limit``)
``labsim.kpl.collector``         step 4: Kinesis records batched into PutRecords requests
``labsim.kpl.retrier``           step 5: success, retry, ``Expired``, "Wrong Shard"
``labsim.kpl.outcomes``          settling futures and the per-record metrics
``labsim.kpl.shard_map``         step 1: predicting shards from ListShards hash ranges
``labsim.kpl.errors``            ``ProducerClosedError`` and the error codes results carry
``labsim.kpl.config``            ``ProducerConfig``: every setting, default and allowed range
``labsim.kpl.aggregation``       the aggregated-record wire format, ``deaggregate`` for consumers
``labsim.kpl.futures``           ``RecordFuture``, ``UserRecordResult``, ``Attempt``
``labsim.kpl.metrics``           the KPL's CloudWatch metrics: names, levels, dimensions
``labsim.kpl.scheduler``         the lab's clock or a real-time thread
``labsim.kpl.compression``       compressing user records yourself (the KPL does not)
===============================  ==============================================================

Things worth showing a learner:

- *Aggregation vs collection* (kinesis-facts 4.1): ``UserRecordsPerKinesisRecord`` (aggregation)
  and ``KinesisRecordsPerPutRecordsRequest`` (collection) in ``producer.metrics()``; turn
  ``aggregation_enabled=False`` off and watch the 1,000 records/s shard limit bite.
- *Latency vs efficiency*: ``record_max_buffered_time_ms`` trades delay (``BufferingTime``) for
  fuller aggregates.
- *Retries and TTL*: ``result.attempts`` lists every try with its error code; a record that
  cannot get through within ``record_ttl_ms`` fails with ``Expired`` (``UserRecordExpired``).
- *Consumers*: aggregated data must be deaggregated (``deaggregate``); user records share the
  sequence number and differ by ``sub_sequence_number``.
- *Resharding*: "Wrong Shard" retries, and why consumers filter with ``max_key_range``.
"""

from .aggregation import (
    MAGIC,
    AggregatedRecordBuilder,
    AggregationFormatError,
    UserRecord,
    decode_aggregated,
    deaggregate,
    encode_aggregated,
    is_aggregated,
    iter_deaggregate,
)
from .config import ProducerConfig
from .futures import Attempt, CallbackError, RecordFuture, UserRecordResult
from .errors import ProducerClosedError
from .producer import KinesisProducer
from .scheduler import ThreadScheduler

__all__ = [
    "KinesisProducer",
    "ProducerConfig",
    "ProducerClosedError",
    "RecordFuture",
    "UserRecordResult",
    "Attempt",
    "CallbackError",
    "ThreadScheduler",
    "deaggregate",
    "iter_deaggregate",
    "UserRecord",
    "AggregationFormatError",
    "AggregatedRecordBuilder",
    "encode_aggregated",
    "decode_aggregated",
    "is_aggregated",
    "MAGIC",
]
