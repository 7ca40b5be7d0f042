"""The fixed vocabularies a question is tagged with: course topics and exam domains.

They live in code, not in the YAML, so a typo in a question file ("kds-writes") is an error
instead of a new, silently empty topic.
"""

from __future__ import annotations

# One YAML file per topic (questions/<topic>.yaml); the order is the course's order.
TOPICS: dict[str, str] = {
    "course-basics": "Streams, shards, records, hashing, retention, iterators (lesson 00)",
    "kds-write": "Writing to Kinesis Data Streams: limits, throttling, PutRecords, capacity, cost",
    "kds-read": "Reading with shard iterators and GetRecords",
    "efo": "Enhanced fan-out consumers and SubscribeToShard",
    "resharding-retention": "Splitting, merging, UpdateShardCount and changing retention",
    "kpl": "Kinesis Producer Library: aggregation, collection, retries",
    "kcl": "Kinesis Client Library: leases, checkpoints, workers",
    "firehose": "Amazon Data Firehose: sources, buffering, transformation, delivery",
    "firehose-transform": "Firehose transformation and destinations: Lambda, Parquet/ORC, dynamic partitioning, Redshift, OpenSearch, Splunk",
    "agent-sources": "The Kinesis Agent and other sources: flows, processing, rotation, CloudWatch Logs, IoT, third-party producers",
    "security": "IAM, encryption, network access",
}

# The four content domains of the AWS Certified Data Engineer - Associate exam (DEA-C01).
DOMAINS: dict[str, str] = {
    "ingestion-transformation": "Domain 1: Data Ingestion and Transformation",
    "data-store-management": "Domain 2: Data Store Management",
    "operations-support": "Domain 3: Data Operations and Support",
    "security-governance": "Domain 4: Data Security and Governance",
}
# Each domain's share of the scored questions in the exam guide (DEA-C01 version 1.0): a mock exam draws by it.
# AWS's certification user guide has since shown 36 % for domain 1 on its page for that domain; the other
# pages were not checked here, so the lab keeps version 1.0's published set (lesson 14 tells learners to check).
DOMAIN_WEIGHTS: dict[str, float] = {"ingestion-transformation": 0.34, "data-store-management": 0.26,
                                    "operations-support": 0.22, "security-governance": 0.18}

# Prefixes of the source keys in shared/reference/kinesis-facts.md, plus COURSE for facts about
# the course's own lab (DESIGN.md). A question's `source` must start with one of them.
SOURCE_KEYS: frozenset[str] = frozenset({
    "KDS-API", "KDS-EP", "FH-API", "FH-EP", "BC-HIST", "KDS-Q", "KDS-DG22", "FH-DG23", "KDS-MODES",
    "KDS-LARGE", "KDS-RET", "KDS-CONS", "KDS-PRICE", "ODA-BLOG", "OD1GB-BLOG", "GR-AK", "GR-FH",
    "FH-XFORM", "FH-BUF", "FH-DPBUF", "KPL", "KCL", "KCL1", "KCL2", "KCLPY", "AGG", "AGENT", "COURSE",
})
