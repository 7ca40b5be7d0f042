"""Benchmark: what does the KCL cost over a bare GetRecords loop, in the same run?

100,000 records of 100 bytes in a 4-shard stream (written first, then read from TRIM_HORIZON), consumed
(a) by a bare loop of GetRecords (Limit 10,000, following NextShardIterator, 5 calls/s per shard) and
(b) by two labsim.kcl workers (KCL 3.x defaults, a processor that counts and checkpoints every batch).
Both run in simulated time; the figure is records per *wall* second. Target: the KCL reaches at least
50 % of the bare loop.

    .venv/bin/python benchmarks/bench_kcl.py [--records N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from labsim import Lab
from labsim.kcl import RecordProcessorBase, Worker

SHARDS = 4


def fill(lab, kinesis, stream: str, records: int, rng: random.Random) -> None:
    kinesis.create_stream(StreamName=stream, ShardCount=SHARDS)
    lab.clock.advance(30)
    batch = []
    for n in range(records):
        batch.append({"Data": b"%09d" % n + rng.randbytes(91), "PartitionKey": f"k{rng.randrange(10**6)}"})
        if len(batch) == 500 or n == records - 1:
            while batch:
                out = kinesis.put_records(StreamName=stream, Records=batch)
                batch = [r for r, res in zip(batch, out["Records"]) if "ErrorCode" in res]
                if batch:
                    lab.clock.advance(1)
            lab.clock.advance(0.125)  # 4,000 records/s: the 4 shards' write limit


def bare_loop(lab, kinesis, stream: str) -> int:
    seen = 0
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            out = kinesis.get_records(ShardIterator=it, Limit=10_000)
            seen += len(out["Records"])
            if not out["Records"] and out.get("MillisBehindLatest", 0) == 0:
                break
            it = out.get("NextShardIterator")
            lab.clock.advance(0.2)
    return seen


def kcl(lab, stream: str, records: int) -> int:
    count = [0]

    class Count(RecordProcessorBase):
        def initialize(self, i): pass
        def process_records(self, i):
            count[0] += len(i.records)
            i.checkpointer.checkpoint()
        def lease_lost(self, i): pass
        def shard_ended(self, i): i.checkpointer.checkpoint()
        def shutdown_requested(self, i): i.checkpointer.checkpoint()

    config = {"initial_position_in_stream": "TRIM_HORIZON"}
    workers = [Worker("bench-app", stream, Count, worker_id=f"w{n}", config=config).start() for n in (1, 2)]
    while count[0] < records:
        lab.clock.advance(1)
    for w in workers:
        w.shutdown()
    return count[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with Lab(seed=args.seed) as lab:
        kinesis = lab.client("kinesis")
        fill(lab, kinesis, "bench", args.records, rng)
        w0 = time.perf_counter()
        bare = bare_loop(lab, kinesis, "bench")
        w1 = time.perf_counter()
        s0 = lab.clock.now()
        got = kcl(lab, "bench", args.records)
        w2 = time.perf_counter()
        simulated = lab.clock.now() - s0
    bare_rate, kcl_rate = bare / (w1 - w0), got / (w2 - w1)
    print(f"records: {args.records:,} in {SHARDS} shards")
    print(f"bare GetRecords loop: {bare:,} records in {w1 - w0:.2f} s wall = {bare_rate:,.0f} records/s")
    print(f"KCL, 2 workers:       {got:,} records in {w2 - w1:.2f} s wall ({simulated:.0f} s simulated) = "
          f"{kcl_rate:,.0f} records/s")
    share = kcl_rate / bare_rate
    print(f"KCL / bare loop: {share:.0%} (target >= 50%)")
    return 0 if share >= 0.5 and got >= args.records and bare == args.records else 1


if __name__ == "__main__":
    sys.exit(main())
