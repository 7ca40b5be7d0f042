"""The Direct PUT throughput quota of one delivery stream: records/s, requests/s and bytes/s.

Three token buckets, each holding one second's worth and refilled continuously on the lab clock
(kinesis-facts 7.2: us-east-1, us-west-2 and eu-west-1 allow 500,000 records/s, 2,000 requests/s
and 5 MiB/s; other Regions 100,000, 1,000 and 1 MiB/s). A call over the request rate is refused
whole (ServiceUnavailableException, which botocore retries); records beyond the record or byte
rate fail one by one inside PutRecordBatch with ErrorCode ServiceUnavailableException. Streams
fed by a Kinesis data stream have no such limit.
"""

from __future__ import annotations

from labsim import quotas


def limits_for(region: str) -> tuple[int, int, int]:
    """(records/s, requests/s, bytes/s) for a Direct PUT stream in ``region``."""
    if region in quotas.FIREHOSE_DIRECT_PUT_LARGE_REGIONS:
        return (quotas.FIREHOSE_PUT_RECORDS_PER_SECOND, quotas.FIREHOSE_PUT_REQUESTS_PER_SECOND,
                quotas.FIREHOSE_PUT_BYTES_PER_SECOND)
    return (quotas.FIREHOSE_PUT_RECORDS_PER_SECOND_OTHER, quotas.FIREHOSE_PUT_REQUESTS_PER_SECOND_OTHER,
            quotas.FIREHOSE_PUT_BYTES_PER_SECOND_OTHER)


class PutBudget:
    """Token buckets for one stream. ``admit_request`` then ``admit_record`` per record."""

    __slots__ = ("records_per_s", "requests_per_s", "bytes_per_s", "records", "requests", "bytes", "at")

    def __init__(self, region: str, now: float) -> None:
        self.records_per_s, self.requests_per_s, self.bytes_per_s = limits_for(region)
        self.records = float(self.records_per_s)
        self.requests = float(self.requests_per_s)
        self.bytes = float(self.bytes_per_s)
        self.at = now

    def _refill(self, now: float) -> None:
        dt = now - self.at
        if dt > 0:
            self.records = min(self.records_per_s, self.records + dt * self.records_per_s)
            self.requests = min(self.requests_per_s, self.requests + dt * self.requests_per_s)
            self.bytes = min(self.bytes_per_s, self.bytes + dt * self.bytes_per_s)
            self.at = now

    def admit_request(self, now: float) -> bool:
        self._refill(now)
        if self.requests < 1:
            return False
        self.requests -= 1
        return True

    def admit_record(self, nbytes: int) -> bool:
        if self.records < 1 or self.bytes < nbytes:
            return False
        self.records -= 1
        self.bytes -= nbytes
        return True
