"""Every published number the course uses, each with its source.

Physics enforce these values and lessons quote them; nothing else in labsim hard-codes them.
Each value is a plain ``int`` or ``float`` that also carries ``.source`` (where the number is
published) and, when the value changed, ``.then`` (the older value) and ``.changed`` (when).

Source keys are those of ``shared/reference/kinesis-facts.md``:
KDS-API = the Kinesis Data Streams API reference (botocore model ``kinesis/2013-12-02``),
FH-API = the Firehose API reference, KDS-DG22 = the Kinesis developer guide (2022 archive),
KDS-LARGE / KDS-RET / KDS-MODES / KDS-Q = current developer-guide pages, KPL:/KCL: = the libraries' code.

>>> from labsim import quotas
>>> quotas.SHARD_WRITE_BYTES_PER_SECOND
1048576
>>> quotas.RETENTION_MAX_HOURS.then
168
"""

from __future__ import annotations

from typing import Any


class _Fact:
    source: str
    then: Any
    changed: str | None
    unit: str

    def describe(self) -> str:
        text = f"{self:,} {self.unit}".strip() if isinstance(self, (int, float)) else str(self)
        if self.then is not None:
            then = f"{self.then:,}" if isinstance(self.then, (int, float)) else str(self.then)
            text += f" (then: {then}; changed {self.changed})"
        return f"{text} [{self.source}]"


class Quota(_Fact, int):
    """An integer limit with its source."""

    def __new__(cls, value: int, unit: str, source: str, then: Any = None, changed: str | None = None):
        obj = int.__new__(cls, value)
        obj.unit, obj.source, obj.then, obj.changed = unit, source, then, changed
        return obj

    def __reduce__(self):  # pickles and deep-copies as the plain number
        return (int, (int(self),))


class Rate(_Fact, float):
    """A non-integer number (seconds, ratios) with its source."""

    def __new__(cls, value: float, unit: str, source: str, then: Any = None, changed: str | None = None):
        obj = float.__new__(cls, value)
        obj.unit, obj.source, obj.then, obj.changed = unit, source, then, changed
        return obj

    def __reduce__(self):
        return (float, (float(self),))


KiB = 1024
MiB = 1024 * 1024

# --- Kinesis Data Streams: per-shard data plane (kinesis-facts 1.1) -------------------------------
SHARD_WRITE_BYTES_PER_SECOND = Quota(
    1 * MiB, "bytes/s per shard (data + partition key)", "KDS-API PutRecords/CreateStream; KDS-DG22 key-concepts.md"
)
SHARD_WRITE_RECORDS_PER_SECOND = Quota(1000, "records/s per shard", "KDS-API PutRecords/CreateStream")
SHARD_READ_BYTES_PER_SECOND = Quota(2 * MiB, "bytes/s per shard, shared by polling consumers", "KDS-API GetRecords; KDS-CONS")
SHARD_READ_CALLS_PER_SECOND = Quota(5, "GetRecords calls/s per shard", "KDS-API GetRecords")
EFO_READ_BYTES_PER_SECOND = Quota(2 * MiB, "bytes/s per shard per EFO consumer", "KDS-API RegisterStreamConsumer")
GET_RECORDS_MAX_LIMIT = Quota(10_000, "records per GetRecords call (Limit 1-10,000)", "KDS-API GetRecordsInput.Limit")
GET_RECORDS_MAX_BYTES = Quota(10 * MiB, "bytes per GetRecords call", "KDS-API GetRecords")
GET_RECORDS_BIG_READ_PENALTY_SECONDS = Rate(5.0, "s of refused reads after a 10 MiB call", "KDS-API GetRecords")
GET_RECORDS_THROTTLE_PENALTY_SECONDS = Rate(1.0, "s window after plain over-use", "KDS-API GetRecords")
GET_SHARD_ITERATOR_CALLS_PER_SECOND = Quota(5, "calls/s per open shard", "KDS-API GetShardIterator")
SHARD_ITERATOR_LIFETIME_SECONDS = Quota(300, "s before an iterator expires", "KDS-API GetShardIterator")
SUBSCRIBE_TO_SHARD_CALLS_PER_SECOND = Quota(1, "call/s per consumer per shard", "KDS-API SubscribeToShard")
SUBSCRIPTION_LIFETIME_SECONDS = Quota(300, "s a SubscribeToShard connection lasts", "KDS-API SubscribeToShard")
SUBSCRIBE_RESUBSCRIBE_GUARD_SECONDS = Quota(5, "s before the same consumer+shard may subscribe again", "KDS-API SubscribeToShard")
MAX_CONSUMERS_PER_STREAM = Quota(20, "EFO consumers per stream (50 with On-demand Advantage)", "KDS-API RegisterStreamConsumer")

# --- Record and request sizes (kinesis-facts 1.2) -------------------------------------------------
RECORD_MAX_BYTES_DEFAULT = Quota(
    1 * MiB, "bytes per record (data + partition key), default", "KDS-API Data; KDS-LARGE",
    then="1 MiB, fixed", changed="2025-10 (per-stream raise to 10 MiB)",
)
RECORD_MAX_BYTES_CEILING = Quota(10 * MiB, "bytes per record after UpdateMaxRecordSize", "KDS-API UpdateMaxRecordSize; KDS-LARGE")
MAX_RECORD_SIZE_KIB_MIN = Quota(1024, "KiB, smallest MaxRecordSizeInKiB", "KDS-API CreateStreamInput.MaxRecordSizeInKiB")
MAX_RECORD_SIZE_KIB_MAX = Quota(10240, "KiB, largest MaxRecordSizeInKiB", "KDS-API CreateStreamInput.MaxRecordSizeInKiB")
PUT_RECORDS_MAX_RECORDS = Quota(500, "records per PutRecords request", "KDS-API PutRecords")
PUT_RECORDS_MAX_BYTES = Quota(
    10 * MiB, "bytes per PutRecords request incl. partition keys", "KDS-API PutRecords; BC-HIST",
    then=5 * MiB, changed="2025-10-27",
)
PARTITION_KEY_MIN_LENGTH = Quota(1, "characters", "KDS-API PartitionKey")
PARTITION_KEY_MAX_LENGTH = Quota(256, "characters", "KDS-API PartitionKey")
HASH_KEY_MAX = Quota(2**128 - 1, "largest hash key (128-bit space)", "KDS-API HashKey; PutRecord")
STREAM_NAME_MAX_LENGTH = Quota(128, "characters, [a-zA-Z0-9_.-]+", "KDS-API StreamName")
TAGS_PER_STREAM = Quota(50, "tags per stream", "KDS-API AddTagsToStream")

# --- Retention (kinesis-facts 1.3) ----------------------------------------------------------------
RETENTION_DEFAULT_HOURS = Quota(24, "hours", "KDS-API PutRecord; KDS-RET")
RETENTION_MIN_HOURS = Quota(24, "hours", "KDS-API DecreaseStreamRetentionPeriod")
RETENTION_MAX_HOURS = Quota(
    8760, "hours (365 days)", "KDS-API IncreaseStreamRetentionPeriod; BC-HIST",
    then=168, changed="2021-11",
)

# --- Capacity modes and account limits (kinesis-facts 1.4) ----------------------------------------
ON_DEMAND_INITIAL_WRITE_BYTES_PER_SECOND = Quota(4 * MiB, "bytes/s for a new on-demand stream", "KDS-Q")
ON_DEMAND_INITIAL_SHARDS = Quota(4, "shards behind a new on-demand stream (4 MB/s / 1 MB/s)", "KDS-Q (derived)")
ON_DEMAND_PEAK_MULTIPLIER = Quota(2, "x the previous 30-day write peak", "KDS-DG22 how-do-i-size-a-stream.md")
ON_DEMAND_SCALE_WINDOW_SECONDS = Quota(900, "s within which on-demand adapts (15 min)", "KDS-DG22 how-do-i-size-a-stream.md")
ON_DEMAND_SPLIT_THRESHOLD_BYTES_PER_SECOND = Quota(500 * 1000, "bytes/s per shard that triggers a split", "KDS-DG22 how-do-i-size-a-stream.md")
ON_DEMAND_STREAMS_PER_ACCOUNT = Quota(50, "on-demand streams per account", "KDS-Q")
SHARDS_PER_ACCOUNT = Quota(
    20_000, "shards per account (us-east-1, us-west-2, eu-west-1)", "KDS-Q", then=500, changed="by 2024",
)
STREAMS_CREATING_AT_ONCE = Quota(5, "streams in CREATING per account", "KDS-API CreateStream")
MODE_SWITCHES_PER_DAY = Quota(2, "capacity-mode switches per stream per 24 h", "KDS-DG22 service-sizes-and-limits.md")
UPDATE_SHARD_COUNT_PER_DAY = Quota(10, "UpdateShardCount calls per stream per rolling 24 h", "KDS-API UpdateShardCount")
SHARDS_PER_STREAM_UNIFORM_SCALING = Quota(10_000, "shards per stream for UpdateShardCount", "KDS-API UpdateShardCount")
ENCRYPTION_CHANGES_PER_DAY = Quota(25, "successful Start/StopStreamEncryption per rolling 24 h", "KDS-API StartStreamEncryption")

# --- Control-plane rates (kinesis-facts 1.5) ------------------------------------------------------
CONTROL_PLANE_TPS = {
    "CreateStream": Quota(5, "calls/s per account", "KDS-API CreateStream"),
    "DeleteStream": Quota(5, "calls/s per account", "KDS-API DeleteStream"),
    "ListStreams": Quota(5, "calls/s per account", "KDS-API ListStreams"),
    "MergeShards": Quota(5, "calls/s per account", "KDS-API MergeShards"),
    "SplitShard": Quota(5, "calls/s per account", "KDS-API SplitShard"),
    "DescribeStream": Quota(10, "calls/s per account", "KDS-API DescribeStream"),
    "DescribeStreamSummary": Quota(20, "calls/s per account", "KDS-API DescribeStreamSummary"),
    "DescribeLimits": Quota(1, "calls/s per account", "KDS-API DescribeLimits"),
    "ListShards": Quota(1000, "calls/s per stream", "KDS-API ListShards", then=100, changed="2021-11"),
    "UpdateShardCount": Quota(10, "calls/s per account", "KDS-API UpdateShardCount"),
    "RegisterStreamConsumer": Quota(5, "calls/s per account", "KDS-API RegisterStreamConsumer"),
}
LIST_SHARDS_NEXT_TOKEN_LIFETIME_SECONDS = Quota(300, "s a ListShards NextToken stays valid", "KDS-API ListShards")
DESCRIBE_STREAM_SHARDS_DEFAULT = Quota(100, "shards per DescribeStream page, the default and the most returned (Limit 1-10,000)", "KDS-API DescribeStream")
LIST_STREAMS_DEFAULT_LIMIT = Quota(100, "stream names per ListStreams page when Limit is not given (Limit 1-10,000)", "KDS-API ListStreams")
LIST_SHARDS_MAX_RESULTS = Quota(1000, "shards per ListShards page (MaxResults 1-10,000; above 1,000 still 1,000)", "KDS-API ListShards")
LIST_STREAM_CONSUMERS_MAX_RESULTS = Quota(100, "consumers per ListStreamConsumers page (MaxResults 1-10,000)", "KDS-API ListStreamConsumers")
CONSUMERS_CREATING_AT_ONCE = Quota(5, "EFO consumers in CREATING per account", "KDS-API RegisterStreamConsumer")

# --- Simulated durations (not published as exact numbers; chosen to look like the service) --------
# AWS documents the states but not their durations; these keep lessons realistic and are labelled so.
STREAM_CREATING_SECONDS = Rate(10.0, "s in CREATING (labsim's model; AWS: 'a few seconds' to minutes)", "labsim model; KDS-API CreateStream")
STREAM_UPDATING_SECONDS = Rate(30.0, "s in UPDATING after a reshard (labsim's model)", "labsim model; KDS-API UpdateShardCount")
STREAM_DELETING_SECONDS = Rate(10.0, "s in DELETING (labsim's model)", "labsim model; KDS-API DeleteStream")
CONSUMER_CREATING_SECONDS = Rate(5.0, "s an EFO consumer stays CREATING (labsim's model)", "labsim model; KDS-API RegisterStreamConsumer")
EFO_PUSH_LATENCY_SECONDS = Rate(0.070, "s average propagation delay with EFO", "KDS-CONS")
POLLING_LATENCY_SECONDS = Rate(0.200, "s average propagation delay, one polling consumer", "KDS-CONS")
CONSUMER_DELETING_SECONDS = Rate(5.0, "s an EFO consumer stays DELETING (labsim's model)", "labsim model; KDS-API DeregisterStreamConsumer")
EFO_HEARTBEAT_SECONDS = Rate(1.0, "s between SubscribeToShard events when no data flows (labsim's model)", "labsim model; KDS-API SubscribeToShardEvent")
RETENTION_SWEEP_SECONDS = Rate(60.0, "s between retention sweeps; reads also trim on access (labsim's model)", "labsim model; KDS-RET")
PUT_RECORD_LATENCY_MS = Rate(10.0, "ms reported as PutRecord.Latency (labsim model; AWS publishes none)", "labsim model; KDS-DG22 monitoring-with-cloudwatch.md")
PUT_RECORDS_LATENCY_MS = Rate(20.0, "ms reported as PutRecords.Latency (labsim model; AWS publishes none)", "labsim model; KDS-DG22 monitoring-with-cloudwatch.md")
ON_DEMAND_MEASURE_SECONDS = Quota(60, "s window over which on-demand averages a shard's write rate (labsim model)", "labsim model; KDS-DG22 how-do-i-size-a-stream.md")

# --- Firehose (kinesis-facts 7) ------------------------------------------------------------------
FIREHOSE_RECORD_MAX_BYTES = Quota(1_024_000, "bytes per record before base64", "FH-API Data")
FIREHOSE_BATCH_MAX_RECORDS = Quota(500, "records per PutRecordBatch", "FH-API PutRecordBatch")
FIREHOSE_BATCH_MAX_BYTES = Quota(4 * MiB, "bytes per PutRecordBatch", "FH-API PutRecordBatch")
FIREHOSE_BUFFER_SIZE_MIB_DEFAULT = Quota(5, "MiB (S3)", "FH-API BufferingHints")
FIREHOSE_BUFFER_INTERVAL_DEFAULT = Quota(300, "s (S3)", "FH-API BufferingHints")
FIREHOSE_BUFFER_INTERVAL_MIN = Quota(0, "s (S3)", "FH-API BufferingHints; BC-HIST", then=60, changed="2023-12")
FIREHOSE_BUFFER_INTERVAL_MAX = Quota(900, "s", "FH-API BufferingHints")
FIREHOSE_STREAMS_PER_REGION = Quota(5000, "Firehose streams per Region", "FH-API CreateDeliveryStream", then=50, changed="by 2024")
# Firehose delivery physics (labsim.firehose, issue 11; kinesis-facts 7.2-7.8).
FIREHOSE_STREAM_NAME_MAX_LENGTH = Quota(64, "characters, [a-zA-Z0-9_.-]+", "FH-API DeliveryStreamName")
FIREHOSE_BUFFER_SIZE_MIB_MIN = Quota(1, "MiB (S3, HTTP endpoint)", "FH-API BufferingHints")
FIREHOSE_BUFFER_SIZE_MIB_MAX = Quota(128, "MiB (S3)", "FH-API BufferingHints")
FIREHOSE_HTTP_BUFFER_SIZE_MIB_MAX = Quota(64, "MiB (HTTP endpoint)", "FH-API HttpEndpointBufferingHints")
FIREHOSE_HTTP_BUFFER_SIZE_MIB_DEFAULT = Quota(5, "MiB (HTTP endpoint)", "FH-API HttpEndpointBufferingHints")
FIREHOSE_HTTP_BUFFER_INTERVAL_DEFAULT = Quota(300, "s (HTTP endpoint)", "FH-API HttpEndpointBufferingHints")
FIREHOSE_CONVERSION_BUFFER_SIZE_MIB_MIN = Quota(64, "MiB when format conversion is on", "FH-API; FH-DG23 record-format-conversion.md")
FIREHOSE_CONVERSION_BUFFER_SIZE_MIB_DEFAULT = Quota(128, "MiB when format conversion is on", "FH-API; FH-DG23 record-format-conversion.md")
FIREHOSE_HTTP_RETRY_SECONDS_DEFAULT = Quota(300, "s HTTP endpoint RetryOptions.DurationInSeconds", "FH-API HttpEndpointRetryOptions")
FIREHOSE_HTTP_RETRY_SECONDS_MAX = Quota(7200, "s HTTP endpoint retry duration (0-7,200)", "FH-API HttpEndpointRetryDurationInSeconds")
FIREHOSE_S3_RETRY_SECONDS = Quota(24 * 3600, "s Firehose keeps retrying S3 delivery before dropping", "FH-DG23 basic-deliver.md")
FIREHOSE_DIRECT_PUT_RETENTION_SECONDS = Quota(24 * 3600, "s a Direct PUT stream keeps undelivered data", "FH-DG23 limits.md")
FIREHOSE_RANDOM_STRING_LENGTH = Quota(11, "characters of !{firehose:random-string}", "FH-DG23 s3-prefixes.md")
FIREHOSE_BILLING_ROUNDING_BYTES = Quota(5 * KiB, "bytes each ingested record is rounded up to (5 KB)", "FH-DG23 limits.md")
# Direct PUT throughput per stream (FH-DG23 limits.md: the three scale together when raised).
FIREHOSE_DIRECT_PUT_LARGE_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
FIREHOSE_PUT_RECORDS_PER_SECOND = Quota(500_000, "records/s per Direct PUT stream (us-east-1, us-west-2, eu-west-1)", "FH-DG23 limits.md")
FIREHOSE_PUT_REQUESTS_PER_SECOND = Quota(2000, "PutRecord+PutRecordBatch calls/s per Direct PUT stream (us-east-1, us-west-2, eu-west-1)", "FH-DG23 limits.md")
FIREHOSE_PUT_BYTES_PER_SECOND = Quota(5 * MiB, "bytes/s per Direct PUT stream (us-east-1, us-west-2, eu-west-1)", "FH-DG23 limits.md")
FIREHOSE_PUT_RECORDS_PER_SECOND_OTHER = Quota(100_000, "records/s per Direct PUT stream (other Regions)", "FH-DG23 limits.md")
FIREHOSE_PUT_REQUESTS_PER_SECOND_OTHER = Quota(1000, "calls/s per Direct PUT stream (other Regions)", "FH-DG23 limits.md")
FIREHOSE_PUT_BYTES_PER_SECOND_OTHER = Quota(1 * MiB, "bytes/s per Direct PUT stream (other Regions)", "FH-DG23 limits.md")
FIREHOSE_SOURCE_POLL_SECONDS = Rate(1.0, "s between GetRecords per shard of a KDS source (about once a second)", "FH-DG23 writing-with-kinesis-streams.md")
# Simulated durations and retry pacing AWS does not publish (labsim's model, labelled so).
FIREHOSE_CREATING_SECONDS = Rate(5.0, "s a new delivery stream stays CREATING (labsim's model)", "labsim model; FH-API CreateDeliveryStream")
FIREHOSE_DELETING_SECONDS = Rate(5.0, "s a delivery stream stays DELETING (labsim's model)", "labsim model; FH-API DeleteDeliveryStream")
FIREHOSE_RETRY_FIRST_SECONDS = Rate(1.0, "s before the first delivery retry, doubling after each (labsim's model)", "labsim model; FH-DG23 basic-deliver.md")
FIREHOSE_RETRY_MAX_SECONDS = Rate(60.0, "s between delivery retries at most (labsim's model)", "labsim model; FH-DG23 basic-deliver.md")

# --- KPL defaults (kinesis-facts 4.3) ------------------------------------------------------------
KPL_AGGREGATION_MAX_COUNT = Quota(4_294_967_295, "user records per aggregate", "KPL: KinesisProducerConfiguration.java")
KPL_AGGREGATION_MAX_SIZE = Quota(51_200, "bytes per aggregate", "KPL: KinesisProducerConfiguration.java")
KPL_COLLECTION_MAX_COUNT = Quota(500, "Kinesis records per PutRecords", "KPL: KinesisProducerConfiguration.java")
KPL_COLLECTION_MAX_SIZE = Quota(5 * MiB, "bytes per PutRecords", "KPL: KinesisProducerConfiguration.java")
KPL_RECORD_MAX_BUFFERED_TIME_MS = Quota(100, "ms", "KPL: KinesisProducerConfiguration.java")
KPL_RECORD_TTL_MS = Quota(30_000, "ms", "KPL: KinesisProducerConfiguration.java")
KPL_RATE_LIMIT_PERCENT = Quota(150, "% of the shard limit", "KPL: KinesisProducerConfiguration.java")
KPL_MAX_USER_RECORD_BYTES = Quota(1 * MiB, "bytes per user record", "KPL: KinesisProducerConfiguration.java")
# Allowed ranges of the KPL settings (kinesis-facts 4.3): labsim.kpl validates against these.
KPL_AGGREGATION_MAX_COUNT_MAX = Quota(2**63 - 1, "largest AggregationMaxCount", "KPL: KinesisProducerConfiguration.java")
KPL_AGGREGATION_MAX_SIZE_MIN = Quota(64, "bytes, smallest AggregationMaxSize", "KPL: KinesisProducerConfiguration.java")
KPL_AGGREGATION_MAX_SIZE_MAX = Quota(10 * MiB, "bytes, largest AggregationMaxSize", "KPL: KinesisProducerConfiguration.java")
KPL_COLLECTION_MAX_COUNT_MAX = Quota(500, "largest CollectionMaxCount", "KPL: KinesisProducerConfiguration.java")
KPL_COLLECTION_MAX_SIZE_MIN = Quota(52_224, "bytes, smallest CollectionMaxSize", "KPL: KinesisProducerConfiguration.java")
KPL_MAX_USER_RECORD_BYTES_MIN = Quota(64, "bytes, smallest MaxUserRecordSize", "KPL: KinesisProducerConfiguration.java")
KPL_MAX_USER_RECORD_BYTES_MAX = Quota(10 * MiB, "bytes, largest MaxUserRecordSize", "KPL: KinesisProducerConfiguration.java")
KPL_RECORD_TTL_MS_MIN = Quota(100, "ms, smallest RecordTtl", "KPL: KinesisProducerConfiguration.java")
KPL_RATE_LIMIT_PERCENT_MIN = Quota(1, "% of the shard limit, smallest RateLimit", "KPL: KinesisProducerConfiguration.java")
KPL_METRICS_UPLOAD_DELAY_MS = Quota(60_000, "ms between metrics uploads (1-60,000)", "KPL: KinesisProducerConfiguration.java")
# How the KPL works inside (kinesis-facts 4.1, 4.2, 4.4).
KPL_AGGREGATION_OVERHEAD_BYTES = Quota(20, "bytes per aggregated record (4 magic + 16 MD5)", "KPL: aggregation-format.md; kinesis_record.h")
KPL_LIMITER_RECORDS_CAPACITY = Quota(1000, "records the per-shard token bucket holds", "KPL: aws/kinesis/core/limiter.h")
KPL_LIMITER_BYTES_CAPACITY = Quota(
    1 * MiB, "bytes the per-shard token bucket holds (kBytesPerSecLimit = 1024 * 1024)",
    "KPL: aws/kinesis/core/limiter.h, aws/utils/token_bucket.h add_token_stream(max, rate) (kinesis-facts 4.4)",
)
KPL_LIMITER_DRAIN_MS = Quota(25, "ms between limiter drains", "KPL: aws/kinesis/core/limiter.h")
KPL_COLLECTOR_SHARD_FLUSH_BYTES = Quota(256 * KiB, "bytes buffered for one shard that make the collector send", "KPL: aws/kinesis/core/collector.h")


# --- KCL 3.x and its DynamoDB lease table (unit: kcl; kinesis-facts 5, kcl-contract 3) ------------
KCL_FAILOVER_TIME_MILLIS = Quota(10_000, "ms a lease's counter may stand still before the lease is expired", "KCL: leases/LeaseManagementConfig.java")
KCL_EPSILON_MILLIS = Quota(25, "ms the coordinator takes off (renewal, discovery) or adds (taker) to its intervals", "KCL: leases/dynamodb/DynamoDBLeaseCoordinator.java")
KCL_MAX_LEASES_FOR_WORKER = Quota(2**31 - 1, "leases per worker (Integer.MAX_VALUE: unlimited)", "KCL: leases/LeaseManagementConfig.java")
KCL_MAX_LEASES_TO_STEAL_AT_ONE_TIME = Quota(1, "leases a 2.x-mode taker steals per run", "KCL: leases/LeaseManagementConfig.java")
KCL_SHARD_SYNC_INTERVAL_MILLIS = Quota(60_000, "ms between the leader's shard syncs", "KCL: leases/LeaseManagementConfig.java")
KCL_CLEANUP_INTERVAL_MILLIS = Quota(60_000, "ms between lease cleanup runs", "KCL: leases/LeaseManagementConfig.java")
KCL_COMPLETED_LEASE_CLEANUP_MILLIS = Quota(300_000, "ms a finished parent's lease is kept before cleanup", "KCL: leases/LeaseManagementConfig.java")
KCL_PARENT_SHARD_POLL_INTERVAL_MILLIS = Quota(10_000, "ms between checks that a child's parents reached SHARD_END", "KCL: coordinator/CoordinatorConfig.java")
KCL_MAX_RECORDS = Quota(10_000, "records per GetRecords call (also the most allowed)", "KCL: retrieval/polling/PollingConfig.java")
KCL_IDLE_TIME_BETWEEN_READS_MILLIS = Quota(
    1500, "ms between a shard consumer's GetRecords calls", "KCL: retrieval/polling/PollingConfig.java; KCL1 KinesisClientLibConfiguration.java",
    then=1000, changed="KCL 2.x (KCL 1.x and the kclpy sample's comment: 1000)",
)
KCL_IDLE_TIME_BETWEEN_READS_MIN_MILLIS = Quota(200, "ms, smallest idle time between reads", "KCL: retrieval/polling/PollingConfig.java")
KCL_LEASE_ASSIGNMENT_INTERVAL_FACTOR = Quota(2, "x failover time between the 3.x leader's assignment runs", "KCL: leases/LeaseManagementConfig.java leaseAssignmentIntervalMillis()")
KCL_WORKER_METRICS_REPORTER_FREQ_MILLIS = Quota(30_000, "ms between a worker's WorkerMetricStats writes", "KCL: leases/LeaseManagementConfig.java")
KCL_DEAD_WORKER_SKIPPED_STATS = Quota(2, "missed metric reports after which the leader treats a worker as gone", "KCL: coordinator/assignment/MigrationAwareLAMDataManager.java")
KCL_REBALANCE_THRESHOLD_PERCENT = Quota(10, "% a worker's load may differ from the average before leases move", "KCL: leases/LeaseManagementConfig.java")
KCL_DAMPENING_PERCENT = Quota(60, "% of the excess load moved in one balancing run", "KCL: leases/LeaseManagementConfig.java")
KCL_VARIANCE_BALANCING_FREQUENCY = Quota(3, "assignment runs per variance-balancing run", "KCL: leases/LeaseManagementConfig.java")
KCL_WORKER_METRICS_EMA_ALPHA = Rate(0.5, "weight of the newest sample in a worker's moving average", "KCL: leases/LeaseManagementConfig.java")
KCL_GRACEFUL_HANDOFF_TIMEOUT_MILLIS = Quota(30_000, "ms a new owner waits for the old one to checkpoint and let go", "KCL: leases/LeaseManagementConfig.java GracefulLeaseHandoffConfig")
KCL_LEADER_LOCK_LEASE_MILLIS = Quota(120_000, "ms before another worker may take a silent leader's lock", "KCL: leases/LeaseManagementConfig.java dynamoDbLockBasedLeader*")
KCL_LEADER_LOCK_HEARTBEAT_MILLIS = Quota(30_000, "ms between the leader's lock heartbeats", "KCL: leases/LeaseManagementConfig.java dynamoDbLockBasedLeader*")
KCL_LEASE_TABLE_INITIAL_CAPACITY = Quota(
    10, "RCU and WCU of a PROVISIONED lease table the KCL creates", "KCL: leases/LeaseManagementConfig.java; kinesis-facts 5.2",
)
KCL_METRICS_BUFFER_TIME_MILLIS = Quota(10_000, "ms the KCL buffers metrics before PutMetricData", "KCL: metrics/MetricsConfig.java")
# DynamoDB provisioned capacity (the lease table's physics). DDB-DG = the DynamoDB developer guide.
DYNAMODB_WRITE_UNIT_BYTES = Quota(1024, "bytes of item one write capacity unit writes", "DDB-DG provisioned-capacity-mode (read/write capacity units)")
DYNAMODB_READ_UNIT_BYTES = Quota(4096, "bytes of item one read capacity unit reads strongly consistently (eventually: twice)", "DDB-DG provisioned-capacity-mode (read/write capacity units)")
DYNAMODB_BURST_SECONDS = Quota(300, "s of unused provisioned capacity a table keeps for bursts", "DDB-DG burst-capacity; re:Post dynamodb-spiky-workloads-short-intervals")

# --- security: server-side encryption, KMS, credentials (labsim.kms, labsim.streams.encryption, labsim.iam) ---
SSE_CHANGES_PER_DAY = Quota(25, "successful StartStreamEncryption (and, separately, StopStreamEncryption) calls per stream per rolling 24 h", "KDS-API StartStreamEncryption/StopStreamEncryption")
SSE_CHANGE_WINDOW_SECONDS = Quota(86_400, "s, the rolling window of the encryption-change limit", "KDS-API StartStreamEncryption")
SSE_UPDATING_SECONDS = Rate(5.0, "s a stream stays UPDATING after an encryption change (labsim's model: AWS says new writes are encrypted within ~5 s of ACTIVE)", "labsim model; KDS-DG22 what-is-sse.md")
SSE_DATA_KEY_REUSE_SECONDS = Quota(300, "s Kinesis reuses a data key per stream and caller credential before asking KMS again", "KDS-DG22 costs-performance.md")
SSE_LATENCY_OVERHEAD_US = Quota(100, "microseconds at most that SSE adds to a put or get", "KDS-DG22 costs-performance.md")
KMS_CRYPTO_REQUESTS_PER_SECOND = Quota(5_500, "symmetric cryptographic KMS requests/s per account and Region (shared; higher in some Regions)", "KMS developer guide, request quotas (labsim default)")
KMS_PENDING_WINDOW_DAYS_MIN = Quota(7, "days, shortest ScheduleKeyDeletion waiting period", "KMS API ScheduleKeyDeletion")
STS_SESSION_SECONDS_MIN = Quota(900, "s, shortest AssumeRole DurationSeconds", "STS API AssumeRole")
STS_SESSION_SECONDS_DEFAULT = Quota(3600, "s an AssumeRole session lasts by default", "STS API AssumeRole")


def all_quotas() -> dict[str, Any]:
    """Every named fact in this module, for lessons that tabulate them and for the source check."""
    out: dict[str, Any] = {}
    for name, value in globals().items():
        if isinstance(value, _Fact):
            out[name] = value
        elif isinstance(value, dict) and value and all(isinstance(v, _Fact) for v in value.values()):
            out.update({f"{name}[{k}]": v for k, v in value.items()})
    return out
# Kinesis Agent for Linux (kinesis-facts 6; labsim.agent validates agent.json against these).
AGENT_MAX_BUFFER_AGE_MS = Quota(60_000, "ms, default maxBufferAgeMillis", "AGENT: tailing/FileFlow.java (kinesis-facts 6.2)")
AGENT_MAX_BUFFER_AGE_MS_MIN = Quota(1_000, "ms, smallest maxBufferAgeMillis", "AGENT: tailing/KinesisFileFlow.java")
AGENT_MAX_BUFFER_AGE_MS_MAX = Quota(900_000, "ms, largest maxBufferAgeMillis", "AGENT: tailing/KinesisFileFlow.java")
AGENT_MAX_BUFFER_RECORDS = Quota(500, "records per buffer, default and largest maxBufferSizeRecords", "AGENT: tailing/KinesisConstants.java")
AGENT_KDS_MAX_BUFFER_BYTES = Quota(5 * MiB, "bytes per buffer, default and largest for a Kinesis flow", "AGENT: tailing/KinesisConstants.java")
AGENT_FIREHOSE_MAX_BUFFER_BYTES = Quota(4 * MiB, "bytes per buffer, default and largest for a Firehose flow", "AGENT: tailing/FirehoseConstants.java")
AGENT_KDS_MAX_RECORD_BYTES = Quota(1 * MiB, "bytes per record incl. partition key, longer ones truncated", "AGENT: tailing/KinesisConstants.java")
AGENT_FIREHOSE_MAX_RECORD_BYTES = Quota(1_000 * KiB, "bytes per record, longer ones truncated", "AGENT: tailing/FirehoseConstants.java")
AGENT_FIREHOSE_MAX_BATCH_RECORDS = Quota(500, "records per PutRecordBatch", "FH-API PutRecordBatch")
AGENT_MIN_TIME_BETWEEN_POLLS_MS = Quota(100, "ms, default minTimeBetweenFilePollsMillis", "AGENT: tailing/FileFlow.java")
AGENT_MAX_TIME_BETWEEN_REFRESH_MS = Quota(10_000, "ms, default maxTimeBetweenFileTrackerRefreshMillis", "AGENT: tailing/FileFlow.java")
AGENT_RETRY_INITIAL_BACKOFF_MS = Quota(100, "ms, default retryInitialBackoffMillis", "AGENT: Constants.java")
AGENT_RETRY_MAX_BACKOFF_MS = Quota(10_000, "ms, default retryMaxBackoffMillis", "AGENT: Constants.java")
AGENT_PUBLISH_QUEUE_CAPACITY = Quota(100, "buffers, default publishQueueCapacity", "AGENT: Constants.java")
AGENT_SHUTDOWN_TIMEOUT_MS = Quota(10_000, "ms, default shutdownTimeoutMillis", "AGENT: config/AgentConfiguration.java")
AGENT_CHECKPOINT_TTL_DAYS = Quota(7, "days a checkpoint row is kept", "AGENT: config/AgentConfiguration.java")
AGENT_METRICS_BUFFER_TIME_MS = Quota(30_000, "ms, default cloudwatch.metricsBufferTimeMillis", "AGENT: config/AgentConfiguration.java")
AGENT_PARTITION_KEY_RANDOM_BOUND = Quota(1_000_000, "exclusive bound of the RANDOM partition key (a double as text)", "AGENT: tailing/KinesisRecord.java")
# CloudWatch Logs subscription filters (CWL: service limits).
LOGS_SUBSCRIPTION_FILTERS_PER_GROUP = Quota(2, "subscription filters per log group", "AWS CloudWatch Logs quotas (moto enforces 2)")
AGENT_BACKOFF_FACTOR = Rate(2.0, "x per successive failure, retry back-off growth", "AGENT: tailing/AsyncPublisherThrottler.java")
AGENT_BACKOFF_JITTER = Rate(0.30, "fraction, +/- random spread of each back-off", "AGENT: tailing/AsyncPublisherThrottler.java")
# AWS Lambda in the lab and Firehose data transformation / dynamic partitioning (issue 12, part A: labsim.awslambda,
# labsim.firehose.processing, labsim.firehose.partitioning).
LAMBDA_SYNC_PAYLOAD_BYTES = Quota(6 * MiB, "bytes, largest RequestResponse invocation payload", "Lambda API Invoke; kinesis-facts 7.5")
LAMBDA_SYNC_RESPONSE_BYTES = Quota(6_291_556, "bytes, largest synchronous response (Function.ResponseSizeTooLarge)", "Lambda error message as returned by the service (moto 5.2.5 mirrors it)")
LAMBDA_ASYNC_PAYLOAD_BYTES = Quota(1 * MiB, "bytes, largest Event (asynchronous) invocation payload", "Lambda API Invoke", then=256 * KiB, changed="2025-10")
LAMBDA_LOG_TAIL_BYTES = Quota(4 * KiB, "bytes of log returned by LogType=Tail", "Lambda API Invoke LogType")
LAMBDA_MODEL_INVOKE_MS = Rate(1.0, "ms of simulated run time per invocation before any time.sleep (labsim's model)", "labsim model; AWS publishes none")
FIREHOSE_LAMBDA_BUFFER_MB_MIN = Rate(0.2, "MB, smallest Lambda processor BufferSizeInMBs", "FH-XFORM; FH-API ProcessorParameter (kinesis-facts 7.5)")
FIREHOSE_LAMBDA_BUFFER_MB_MAX = Rate(3.0, "MB, largest Lambda processor BufferSizeInMBs", "FH-XFORM (kinesis-facts 7.5)")
FIREHOSE_LAMBDA_BUFFER_MB_DEFAULT = Rate(1.0, "MB, default Lambda processor BufferSizeInMBs (256 KB for Splunk and Snowflake)", "FH-XFORM (kinesis-facts 7.5)")
FIREHOSE_LAMBDA_BUFFER_MB_DEFAULT_SPLUNK = Rate(0.25, "MB (256 KB), default Lambda processor BufferSizeInMBs for Splunk and Snowflake", "FH-XFORM (kinesis-facts 7.5)")
FIREHOSE_LAMBDA_INTERVAL_MIN = Quota(0, "s, smallest Lambda processor BufferIntervalInSeconds", "FH-XFORM (kinesis-facts 7.5)")
FIREHOSE_LAMBDA_INTERVAL_MAX = Quota(900, "s, largest Lambda processor BufferIntervalInSeconds", "FH-XFORM (kinesis-facts 7.5)")
FIREHOSE_LAMBDA_INTERVAL_DEFAULT = Quota(60, "s, default Lambda processor BufferIntervalInSeconds (30 s for Snowflake)", "FH-XFORM (kinesis-facts 7.5)")
FIREHOSE_LAMBDA_RETRIES_DEFAULT = Quota(3, "retries of a failed Lambda invocation (NumberOfRetries)", "FH-XFORM (kinesis-facts 7.5)")
FIREHOSE_LAMBDA_RETRIES_MAX = Quota(300, "largest NumberOfRetries", "FH-XFORM data-transformation failure handling")
FIREHOSE_DEAGGREGATION_MAX_RECORDS = Quota(500, "records one record may be split into by multi-record de-aggregation", "Firehose multi-record de-aggregation page (kinesis-facts 7.6)")
FIREHOSE_ACTIVE_PARTITIONS_DEFAULT = Quota(500, "active partitions per delivery stream (raisable to 5,000)", "FH-DPBUF (kinesis-facts 7.7)")
FIREHOSE_ACTIVE_PARTITIONS_MAX = Quota(5000, "active partitions per delivery stream after a quota increase", "FH-DPBUF (kinesis-facts 7.7)")
# Firehose record format conversion and the Redshift destination (issue 12, branch columnar; kinesis-facts 7.4, 7.6).
FIREHOSE_PARQUET_BLOCK_BYTES_MIN = Quota(64 * MiB, "bytes, smallest ParquetSerDe.BlockSizeBytes", "FH-API ParquetSerDe")
FIREHOSE_PARQUET_BLOCK_BYTES_DEFAULT = Quota(256 * MiB, "bytes, default ParquetSerDe.BlockSizeBytes", "FH-API ParquetSerDe")
FIREHOSE_PARQUET_PAGE_BYTES_MIN = Quota(64 * KiB, "bytes, smallest ParquetSerDe.PageSizeBytes", "FH-API ParquetSerDe")
FIREHOSE_PARQUET_PAGE_BYTES_DEFAULT = Quota(1 * MiB, "bytes, default ParquetSerDe.PageSizeBytes", "FH-API ParquetSerDe")
FIREHOSE_ORC_STRIPE_BYTES_DEFAULT = Quota(64 * MiB, "bytes, default OrcSerDe.StripeSizeBytes", "FH-API OrcSerDe")
FIREHOSE_ORC_ROW_INDEX_STRIDE_DEFAULT = Quota(10_000, "rows, default OrcSerDe.RowIndexStride", "FH-API OrcSerDe")
FIREHOSE_REDSHIFT_RETRY_SECONDS_DEFAULT = Quota(3600, "s, default RedshiftRetryOptions.DurationInSeconds", "FH-API RedshiftRetryOptions")
FIREHOSE_REDSHIFT_RETRY_SECONDS_MAX = Quota(7200, "s, largest Redshift retry duration (0-7,200)", "FH-API RedshiftRetryDurationInSeconds")

# --- Firehose OpenSearch, Splunk and buffering per destination (issue 12, part C: searchdest) ------
# Ranges from botocore's firehose model (FH-API shapes named in each source); kinesis-facts 7.3, 7.6.
FIREHOSE_OPENSEARCH_BUFFER_SIZE_MIB_MAX = Quota(100, "MiB (OpenSearch Service / Serverless / Elasticsearch, 1-100)", "FH-API AmazonopensearchserviceBufferingHints")
FIREHOSE_OPENSEARCH_BUFFER_SIZE_MIB_DEFAULT = Quota(5, "MiB (OpenSearch)", "FH-API AmazonopensearchserviceBufferingHints")
FIREHOSE_OPENSEARCH_BUFFER_INTERVAL_DEFAULT = Quota(300, "s (OpenSearch, 0-900)", "FH-API AmazonopensearchserviceBufferingHints")
FIREHOSE_OPENSEARCH_RETRY_SECONDS_DEFAULT = Quota(300, "s OpenSearch RetryOptions.DurationInSeconds (0-7,200)", "FH-API AmazonopensearchserviceRetryOptions")
FIREHOSE_OPENSEARCH_RETRY_SECONDS_MAX = Quota(7200, "s OpenSearch retry duration at most", "FH-API AmazonopensearchserviceRetryDurationInSeconds")
FIREHOSE_SPLUNK_BUFFER_SIZE_MIB_MAX = Quota(5, "MiB (Splunk, 1-5)", "FH-API SplunkBufferingHints; FH-DG23 limits.md (2023: fixed 5 MB)")
FIREHOSE_SPLUNK_BUFFER_SIZE_MIB_DEFAULT = Quota(5, "MiB (Splunk)", "FH-API SplunkBufferingHints")
FIREHOSE_SPLUNK_BUFFER_INTERVAL_MAX = Quota(60, "s (Splunk, 0-60)", "FH-API SplunkBufferingHints; FH-DG23 limits.md (2023: fixed 60 s)")
FIREHOSE_SPLUNK_BUFFER_INTERVAL_MIN = Quota(0, "s (Splunk): configurable today; 2023 docs: fixed 5 MB / 60 s, not configurable", "FH-API SplunkBufferingHints; FH-DG23 limits.md; BC-HIST", then=60, changed="2023-12")
FIREHOSE_SPLUNK_BUFFER_INTERVAL_DEFAULT = Quota(60, "s (Splunk)", "FH-API SplunkBufferingHints")
FIREHOSE_SPLUNK_ACK_TIMEOUT_MIN = Quota(180, "s HECAcknowledgmentTimeoutInSeconds at least", "FH-API HECAcknowledgmentTimeoutInSeconds")
FIREHOSE_SPLUNK_ACK_TIMEOUT_MAX = Quota(600, "s HECAcknowledgmentTimeoutInSeconds at most", "FH-API HECAcknowledgmentTimeoutInSeconds")
FIREHOSE_SPLUNK_ACK_TIMEOUT_DEFAULT = Quota(180, "s HECAcknowledgmentTimeoutInSeconds when not given", "FH-API (the range's minimum; the console's default)")
FIREHOSE_SPLUNK_RETRY_SECONDS_DEFAULT = Quota(3600, "s Splunk RetryOptions.DurationInSeconds when not given (labsim's assumption: the API reference states none; the console and Terraform use 3,600)", "labsim model; FH-API SplunkRetryOptions")
FIREHOSE_SNOWFLAKE_BUFFER_SIZE_MIB_DEFAULT = Quota(128, "MiB (Snowflake, 1-128)", "FH-API SnowflakeBufferingHints")
FIREHOSE_SNOWFLAKE_BUFFER_INTERVAL_DEFAULT = Quota(0, "s (Snowflake, 0-900)", "FH-API SnowflakeBufferingHints")
