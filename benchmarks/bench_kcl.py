"""Benchmark: what does the KCL cost over a bare GetRecords loop, in the same run?

100,000 records of 100 bytes in a 4-shard stream (written first, then read from TRIM_HORIZON), consumed
(a) by a bare loop of GetRecords (Limit 10,000, following NextShardIterator, 5 calls/s per shard) and
(b) by two labsim.kcl workers (KCL 3.x defaults, a processor that counts and checkpoints every batch),
once with fan-out retrieval (SubscribeToShard, the default) and once polling (GetRecords).
All run in simulated time; the figure is records per *wall* second. Target: the KCL reaches at least
50 % of the bare loop in both retrieval modes.

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


def kcl(lab, stream: str, records: int, mode: str) -> int:
    count = [0]

    class Count(RecordProcessorBase):
        def initialize(self, i): pass
        def process_records(self, i):
            count[0] += len(i.records)
            i.checkpointer.checkpoint()
        def lease_lost(self, i): pass
        def shard_ended(self, i): i.checkpointer.checkpoint()
        def shutdown_requested(self, i): i.checkpointer.checkpoint()

    config = {"initial_position_in_stream": "TRIM_HORIZON", "retrieval_mode": mode}
    workers = [Worker(f"bench-{mode.lower()}", stream, Count, worker_id=f"w{n}", config=config).start() for n in (1, 2)]
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
        bare_wall = time.perf_counter() - w0
        runs = {}
        for mode in ("FANOUT", "POLLING"):
            w1, s0 = time.perf_counter(), lab.clock.now()
            got = kcl(lab, "bench", args.records, mode)
            runs[mode] = (got, time.perf_counter() - w1, lab.clock.now() - s0)
    bare_rate = bare / bare_wall
    print(f"records: {args.records:,} in {SHARDS} shards")
    print(f"bare GetRecords loop: {bare:,} records in {bare_wall:.2f} s wall = {bare_rate:,.0f} records/s")
    ok = bare == args.records
    for mode, (got, wall, simulated) in runs.items():
        rate = got / wall
        share = rate / bare_rate
        print(f"KCL, 2 workers, {mode:7}: {got:,} records in {wall:.2f} s wall ({simulated:.0f} s simulated) = "
              f"{rate:,.0f} records/s = {share:.0%} of the bare loop (target >= 50%)")
        ok = ok and share >= 0.5 and got >= args.records
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())
