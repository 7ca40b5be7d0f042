"""How long a record takes from PutRecord to a consumer: labsim's propagation-delay model.

AWS publishes two data points (kinesis-facts 2, KDS-CONS):

- enhanced fan-out (push, ``SubscribeToShard``): about **70 ms** on average, whether 1 or 5
  consumers read the shard, because each consumer has its own 2 MiB/s pipe;
- polling (``GetRecords``): about **200 ms** with one consumer and about **1,000 ms** with five,
  because every polling consumer shares the shard's 5 calls/s, so each one may poll less often.

labsim's model is the simplest that meets both points: push is constant, polling grows linearly
with the number of polling consumers (``200 ms x consumers``).

>>> propagation_delay("efo", 5)
0.07
>>> propagation_delay("polling", 1), propagation_delay("polling", 5)
(0.2, 1.0)

The EFO simulation (``labsim.streams.efo``) uses ``propagation_delay("efo")``: a record becomes
deliverable 70 ms after its ``ApproximateArrivalTimestamp``, so a lesson can compare the lab clock
at delivery with each record's arrival. Polling latency is not injected into GetRecords (a record
is readable as soon as it is written); it *emerges* from how often consumers poll, and this
function gives the figure AWS quotes for plots.
"""

from __future__ import annotations

from labsim import quotas

MODES = ("efo", "polling")


def propagation_delay(mode: str, consumers: int = 1) -> float:
    """Average seconds from write to delivery for ``mode`` ('efo' or 'polling') and ``consumers``."""
    if mode not in MODES:
        raise ValueError(f"mode must be 'efo' or 'polling', got {mode!r}")
    if isinstance(consumers, bool) or not isinstance(consumers, int) or consumers < 1:
        raise ValueError(f"consumers must be a positive int, got {consumers!r}")
    if mode == "efo":
        return float(quotas.EFO_PUSH_LATENCY_SECONDS)
    return round(float(quotas.POLLING_LATENCY_SECONDS) * consumers, 6)


def latency_table(max_consumers: int = 5) -> list[dict[str, float]]:
    """Rows ``{"consumers", "efo", "polling"}`` for 1..max_consumers, ready for a plot or a DataFrame."""
    return [
        {"consumers": n, "efo": propagation_delay("efo", n), "polling": propagation_delay("polling", n)}
        for n in range(1, max_consumers + 1)
    ]
