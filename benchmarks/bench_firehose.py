"""Firehose data-plane throughput: PutRecordBatch into a GZIP S3 delivery stream vs the client floor.

200,000 records of 200 B (seeded), 500 per PutRecordBatch, spread over 10 simulated minutes, into a
delivery stream with 1 MiB / 60 s buffering hints and GZIP compression, virtual clock. Reports:
- labsim's wall-clock records/s, against the botocore client floor measured in the same run (the same
  requests serialised, a canned PutRecordBatch response parsed, no server): target >= 40 % of it;
- wall cost per record in each quarter of the run (flat = no slowdown as S3 fills);
- bytes delivered to S3 (decompressed) = bytes accepted, and the objects written.

    .venv/bin/python benchmarks/bench_firehose.py [--records N] [--repeat R] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from labsim import Lab
from labsim.firehose import read_object

BATCH = 500
SIM_SECONDS = 600
CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def make_batches(records: int, size: int, seed: int) -> list[list[dict[str, bytes]]]:
    rng = random.Random(seed)
    words = [b"click", b"view", b"cart", b"buy", b"home", b"search"]
    out = []
    for start in range(0, records, BATCH):
        batch = []
        for i in range(start, min(records, start + BATCH)):
            body = b'{"n":%d,"e":"%s"' % (i, rng.choice(words))
            batch.append({"Data": (body + b"," + b"x" * (size - len(body) - 2) + b"}")[:size]})
        out.append(batch)
    return out


def timed_puts(client: Any, batches: list, advance: Any = None) -> tuple[float, list[float]]:
    step = SIM_SECONDS / len(batches)
    quarters = [0.0] * 4
    t0 = time.perf_counter()
    for i, batch in enumerate(batches):
        t = time.perf_counter()
        client.put_record_batch(DeliveryStreamName="bench", Records=batch)
        if advance is not None:
            advance(step)
        quarters[min(3, 4 * i // len(batches))] += time.perf_counter() - t
    return time.perf_counter() - t0, quarters


def bench_labsim(batches: list, seed: int) -> tuple[float, list[float], int, int, int]:
    with Lab(seed=seed) as lab:
        fh, s3 = lab.client("firehose"), lab.client("s3")
        s3.create_bucket(Bucket="lake")
        fh.create_delivery_stream(DeliveryStreamName="bench", ExtendedS3DestinationConfiguration={
            "BucketARN": "arn:aws:s3:::lake", "RoleARN": "arn:aws:iam::123456789012:role/fh",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}, "CompressionFormat": "GZIP"})
        lab.clock.advance(10)
        wall, quarters = timed_puts(fh, batches, lab.clock.advance)
        lab.clock.advance(60)
        stream = lab.backend("firehose").delivery_streams["bench"]
        keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="lake") for o in page.get("Contents", [])]
        delivered = sum(len(read_object(s3, "lake", k)) for k in keys)
        return wall, quarters, stream.accepted_bytes, delivered, len(keys)


def bench_floor(batches: list) -> tuple[float, list[float]]:
    client = boto3.session.Session(**CREDS).client("firehose")
    body = json.dumps({"FailedPutCount": 0, "Encrypted": False,
                       "RequestResponses": [{"RecordId": "f" * 64}] * BATCH}).encode()
    from labsim.transport import _RawBody

    def canned(request: Any, **kw: Any) -> AWSResponse:
        return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.1"}, _RawBody(body))

    client.meta.events.register_first("before-send.firehose", canned)
    return timed_puts(client, batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, interleaved (median reported)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    batches = make_batches(args.records, args.size, args.seed)
    floors, labs = [], []
    for _ in range(args.repeat):
        floors.append(bench_floor(batches)[0])
        labs.append(bench_labsim(batches, args.seed))
    floor = statistics.median(floors)
    run = sorted(labs, key=lambda r: r[0])[len(labs) // 2]
    wall, quarters, accepted, delivered, objects = run
    lab_rate, floor_rate = args.records / wall, args.records / floor
    per_quarter = [1e6 * q / (args.records / 4) for q in quarters]
    print(f"{args.records:,} records of {args.size} B, {len(batches)} PutRecordBatch calls over {SIM_SECONDS} simulated s")
    print(f"labsim: {lab_rate:,.0f} records/s   floor (botocore, canned responses): {floor_rate:,.0f} records/s")
    print(f"labsim / floor: {100 * lab_rate / floor_rate:.0f} %   (target >= 40 %)")
    print("wall cost per record by quarter (us): " + "  ".join(f"{q:.1f}" for q in per_quarter))
    print(f"bytes accepted {accepted:,}   bytes delivered (decompressed) {delivered:,}   objects {objects}")
    ok = delivered == accepted and lab_rate >= 0.4 * floor_rate
    print("targets met" if ok else "TARGETS NOT MET")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
