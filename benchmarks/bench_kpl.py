"""Benchmark: how close does labsim's KPL keep one shard to its limit, and what does that cost?

100,000 user records of 100 bytes, random partition keys (seeded), one shard, virtual clock.
Reports, in simulated time:
- user records per second per shard (overall, and in the steady state after the first second);
- the share of the shard's 1 MiB/s write budget used (bytes the service counts: data + key),
  overall and in the steady state (the shard model lets a full bucket of 1 MiB through at once,
  so the overall figure can pass 100 %);
- that every user record was delivered exactly once (GetRecords + deaggregate, compared with
  what was put);
and the cost of the run: wall clock, and the CPU time of this process (``time.process_time``),
which a busy machine disturbs far less than the wall clock, so compare CPU figures across runs. Targets: >= 8,000 user records/s, >= 90 % of the budget.

    .venv/bin/python benchmarks/bench_kpl.py [--records N] [--rate-limit P] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter

from labsim import Lab, quotas
from labsim.kpl import KinesisProducer, deaggregate

STREAM = "bench"


def run(records: int, size: int, rate_limit: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    keys = [f"user-{rng.randrange(10**9)}" for _ in range(records)]
    payloads = [b"%09d" % i + rng.randbytes(size - 9) for i in range(records)]
    wall0 = time.perf_counter()
    cpu0 = time.process_time()
    with Lab(seed=seed) as lab:
        kinesis = lab.client("kinesis")
        kinesis.create_stream(StreamName=STREAM, ShardCount=1)
        lab.clock.advance(30)
        producer = KinesisProducer(STREAM, client=kinesis, rate_limit=rate_limit)
        t0 = lab.clock.now()
        wall_put = time.perf_counter()
        cpu_put = time.process_time()
        futures = [producer.put_record(p, partition_key=k) for p, k in zip(payloads, keys)]
        wall_put = time.perf_counter() - wall_put
        cpu_put = time.process_time() - cpu_put
        cpu_flush = time.process_time()
        wall_flush = time.perf_counter()
        producer.flush()
        wall_flush = time.perf_counter() - wall_flush
        cpu_flush = time.process_time() - cpu_flush
        results = [f.result() for f in futures]
        ends = sorted(r.attempts[-1].ended_at - t0 for r in results)
        elapsed = ends[-1]
        producer.close()
        metrics = producer.metrics()

        # Read everything back, as a consumer would.
        wall_read = time.perf_counter()
        shard = kinesis.list_shards(StreamName=STREAM)["Shards"][0]
        it = kinesis.get_shard_iterator(StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        stored_records = 0
        stored_bytes = 0
        users = []
        while it:
            try:
                resp = kinesis.get_records(ShardIterator=it, Limit=10_000)
            except kinesis.exceptions.ProvisionedThroughputExceededException:
                time.sleep(5)  # read budget (2 MiB/s, 10 MiB-call penalty): wait, in simulated time
                continue
            for r in resp["Records"]:
                stored_records += 1
                stored_bytes += len(r["Data"]) + len(r["PartitionKey"].encode())
            users.extend(deaggregate(resp["Records"], max_key_range=shard))
            if not resp["Records"] and resp.get("MillisBehindLatest", 0) == 0:
                break
            it = resp.get("NextShardIterator")
            time.sleep(1.0)  # stay inside the shard's read budget; moves simulated time only
        wall_read = time.perf_counter() - wall_read
    wall_total = time.perf_counter() - wall0
    cpu_total = time.process_time() - cpu0

    put = Counter(zip(payloads, keys))
    got = Counter((u.data, u.partition_key) for u in users)
    exactly_once = got == put
    failed = sum(1 for r in results if not r.successful)
    budget = quotas.SHARD_WRITE_BYTES_PER_SECOND
    steady_from = 1.0
    steady_n = sum(1 for t in ends if t > steady_from)
    return {
        "records": records,
        "failed": failed,
        "simulated_seconds": elapsed,
        "user_records_per_s": records / elapsed,
        "steady_user_records_per_s": steady_n / (elapsed - steady_from) if elapsed > steady_from else float("nan"),
        "budget_share": stored_bytes / elapsed / budget,
        "steady_budget_share": (steady_n * stored_bytes / records) / (elapsed - steady_from) / budget if elapsed > steady_from else float("nan"),
        "kinesis_records": stored_records,
        "user_per_kinesis_record": records / max(stored_records, 1),
        "throttled_requests_records": metrics.get("ErrorsByCode[ProvisionedThroughputExceededException]", {}).get("Sum", 0),
        "retries_per_record": metrics["RetriesPerRecord"]["Average"],
        "exactly_once": exactly_once,
        "duplicates": sum((got - put).values()),
        "missing": sum((put - got).values()),
        "wall_put": wall_put,
        "wall_flush": wall_flush,
        "wall_read": wall_read,
        "wall_total": wall_total,
        "cpu_put": cpu_put,
        "cpu_flush": cpu_flush,
        "cpu_total": cpu_total,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--rate-limit", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    r = run(args.records, args.size, args.rate_limit, args.seed)
    print(f"labsim KPL benchmark: {r['records']:,} user records x {args.size} B, 1 shard, rate_limit={args.rate_limit}")
    print(f"  simulated time          {r['simulated_seconds']:.2f} s")
    print(f"  user records/s/shard    {r['user_records_per_s']:,.0f} overall, {r['steady_user_records_per_s']:,.0f} after the first second  (target >= 8,000)")
    print(f"  byte budget used        {r['budget_share']:.1%} of 1 MiB/s overall (the shard's 1 MiB burst included), "
          f"{r['steady_budget_share']:.1%} after the first second  (target >= 90%)")
    print(f"  Kinesis records         {r['kinesis_records']:,} stored, {r['user_per_kinesis_record']:.0f} user records each")
    print(f"  throttled / retries     {r['throttled_requests_records']:,.0f} Kinesis records throttled, {r['retries_per_record']:.2f} retries per user record")
    print(f"  delivered exactly once  {r['exactly_once']} (failed {r['failed']}, missing {r['missing']}, duplicates {r['duplicates']})")
    print(f"  wall clock              {r['wall_total']:.2f} s total (put {r['wall_put']:.2f} s, flush {r['wall_flush']:.2f} s, read back {r['wall_read']:.2f} s)")
    print(f"  CPU time                {r['cpu_total']:.2f} s total (put {r['cpu_put']:.2f} s, flush {r['cpu_flush']:.2f} s)")
    ok = r["exactly_once"] and r["user_records_per_s"] >= 8000 and r["budget_share"] >= 0.9
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
