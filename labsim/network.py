"""Where a lab's code runs, and how long its requests travel: the latency model (layer 0).

A lab starts with an ideal network: every request is answered in no simulated time, as every
lesson before the networking one assumes. ``lab.network.place(...)`` says where the calling code
runs (a Region, and optionally a VPC); from then on each request travels one of three paths:

``vpc-endpoint``  in the Region, through an interface VPC endpoint (its DNS name as ``endpoint_url``,
                  or the service's usual hostname when the endpoint has private DNS) or a gateway
                  endpoint (S3, DynamoDB): traffic stays on AWS's network
``internet``      in the Region, out through a NAT gateway or internet gateway to the public endpoint
``cross-region``  to the endpoint of another Region

The network physics (``labsim.iam.network``) decides each request's path and hands it a ``Route``:
half the round trip is slept on the lab clock before the service acts (so a record's
``ApproximateArrivalTimestamp`` is later by it), the other half after, before the client has its
answer. A synchronous producer therefore manages at most one request per round trip, and every
client that runs on the lab clock (the KPL, the Agent, the KCL, a learner's loop) feels it without
knowing anything about it. The round trips are the lab's assumptions (AWS publishes none):
``labsim.quotas.NETWORK_ROUND_TRIP_MS``.

>>> from labsim import Lab
>>> with Lab() as lab:
...     k = lab.client("kinesis")
...     _ = k.create_stream(StreamName="s", ShardCount=1); _ = lab.clock.advance(30)
...     t0 = lab.clock.now(); _ = k.put_record(StreamName="s", Data=b"x", PartitionKey="p")
...     ideal = lab.clock.now() - t0
...     _ = lab.network.place(region="eu-west-1")       # the code runs in Ireland, the stream is in Virginia
...     t0 = lab.clock.now(); _ = k.put_record(StreamName="s", Data=b"x", PartitionKey="p")
...     far = lab.clock.now() - t0
...     lab.network.summary()["cross-region"]["requests"]
1
>>> ideal, far > 0.07
(0.0, True)
"""

from __future__ import annotations

import threading
from typing import Any

from . import quotas as q
from .clock import real_sleep

#: The paths a request can take, nearest first.
PATHS = ("vpc-endpoint", "internet", "cross-region")

#: Round trip per path, in milliseconds (the lab's assumptions; see labsim.quotas).
ROUND_TRIP_MS = {
    "vpc-endpoint": q.NETWORK_ROUND_TRIP_VPC_ENDPOINT_MS,
    "internet": q.NETWORK_ROUND_TRIP_INTERNET_MS,
    "cross-region": q.NETWORK_ROUND_TRIP_CROSS_REGION_MS,
}
#: Trips kept in ``Network.trips`` (the oldest are dropped; the counts in ``summary`` stay whole).
KEEP_TRIPS = 100_000


class Trip:
    """One request's journey: when it left, what it was, which path, the round trip in seconds."""

    __slots__ = ("at", "service", "operation", "path", "seconds")

    def __init__(self, at: float, service: str, operation: str, path: str, seconds: float) -> None:
        self.at, self.service, self.operation, self.path, self.seconds = at, service, operation, path, seconds

    def __repr__(self) -> str:
        return f"<Trip {self.service}.{self.operation} via {self.path} {self.seconds * 1000:.1f} ms>"


class Route:
    """How one request travels: its path, the VPC endpoint it goes through (or None), its round trip."""

    __slots__ = ("path", "vpce", "seconds", "_network", "_back")

    def __init__(self, network: "Network | None", path: str | None, vpce: str | None, seconds: float) -> None:
        self._network = network
        self.path, self.vpce, self.seconds = path, vpce, seconds
        self._back = 0.0

    def depart(self) -> None:
        """The request's trip to the service (half the round trip)."""
        if self._network is not None and self.seconds:
            self._back = self.seconds / 2
            self._network.travel(self.seconds - self._back)

    def arrive(self) -> None:
        """The answer's trip back to the caller (the other half); once."""
        back, self._back = self._back, 0.0
        if back and self._network is not None:
            self._network.travel(back)

    def __repr__(self) -> str:
        via = f" through {self.vpce}" if self.vpce else ""
        return f"<Route {self.path}{via} {self.seconds * 1000:.1f} ms>"


class Network:
    """Where the lab's code runs (``place``) and every trip its requests made (``trips``, ``summary``)."""

    __slots__ = ("context", "region", "vpc_id", "trips", "_counts", "_rng", "_lock")

    def __init__(self, context: Any) -> None:
        self.context = context
        #: Where the calling code runs; None: the ideal network (no latency at all).
        self.region: str | None = None
        self.vpc_id: str | None = None
        self.trips: list[Trip] = []
        self._counts: dict[str, list[float]] = {}
        self._rng = context.rng("network-latency")
        self._lock = threading.Lock()

    # -- where the code runs ------------------------------------------------------------------------
    def place(self, region: str | None = None, vpc_id: str | None = None) -> "Network":
        """Run the lab's code in ``region`` (default: the lab's), inside ``vpc_id`` if given.

        Inside a VPC, requests to a service with an endpoint in that VPC (an interface endpoint with
        private DNS, or a gateway endpoint) go through it; the rest leave through the VPC's NAT or
        internet gateway. Returns the network, so ``lab.network.place(...).summary()`` reads well.
        """
        region = region or self.context.region
        if not isinstance(region, str) or not region.count("-") >= 2:
            raise ValueError(f"region must be a Region name such as 'us-east-1', got {region!r}")
        if vpc_id is not None:
            if not (isinstance(vpc_id, str) and vpc_id.startswith("vpc-")):
                raise ValueError(f"vpc_id must be a VPC id such as 'vpc-0a1b2c3d' (ec2.create_vpc), got {vpc_id!r}")
            from . import _moto

            vpcs = _moto.get_backend("ec2")[self.context.account_id][region].vpcs
            if vpc_id not in vpcs:
                raise ValueError(f"there is no VPC {vpc_id} in {region}: create it there first "
                                 f"(lab.client('ec2', region_name={region!r}).create_vpc(CidrBlock='10.0.0.0/16'))")
        self.region, self.vpc_id = region, vpc_id
        return self

    def ideal(self) -> "Network":
        """Back to the ideal network: no latency (the default)."""
        self.region = self.vpc_id = None
        return self

    @property
    def placed(self) -> bool:
        return self.region is not None

    # -- a request's route --------------------------------------------------------------------------
    def path_for(self, region: str, through_endpoint: bool) -> str | None:
        """The path of a request to ``region``'s endpoint (None: the ideal network)."""
        if self.region is None:
            return None
        if through_endpoint:
            return "vpc-endpoint"
        return "internet" if region == self.region else "cross-region"

    def route(self, service: str, operation: str, region: str, vpce: str | None = None) -> Route:
        """The route of one request, with its round trip drawn (jitter from the lab's seed) and logged."""
        path = self.path_for(region, vpce is not None)
        if path is None:
            return Route(None, None, vpce, 0.0)
        with self._lock:
            base = ROUND_TRIP_MS[path] / 1000.0
            seconds = base * (1.0 + q.NETWORK_JITTER * self._rng.random())
            stats = self._counts.setdefault(path, [0, 0.0])
            stats[0] += 1
            stats[1] += seconds
            self.trips.append(Trip(self.context.now(), service, operation, path, seconds))
            if len(self.trips) > KEEP_TRIPS:
                del self.trips[: len(self.trips) - KEEP_TRIPS]
        return Route(self, path, vpce, seconds)

    def travel(self, seconds: float) -> None:
        """Spend ``seconds`` on the wire: the lab clock moves on a thread the lab owns.

        A virtual clock cannot be moved from a thread the lab does not own (one of Jupyter's), so
        there the trip takes no simulated time; a wall clock sleeps for real.
        """
        clock = self.context.clock
        if clock.owns_current_thread():
            clock.sleep(seconds)
        elif clock.mode == "wall":
            real_sleep(seconds)

    # -- what a learner looks at --------------------------------------------------------------------
    def summary(self) -> dict[str, dict[str, float]]:
        """Per path: ``requests`` made and their ``mean_ms`` round trip."""
        with self._lock:
            return {path: {"requests": int(n), "mean_ms": round(total / n * 1000, 3)}
                    for path, (n, total) in sorted(self._counts.items(), key=lambda kv: PATHS.index(kv[0]))}

    def reset(self) -> None:
        """Forget the trips so far (placement stays)."""
        with self._lock:
            self.trips.clear()
            self._counts.clear()

    def __repr__(self) -> str:
        where = "ideal (no latency)" if self.region is None else f"in {self.region}" + (f", {self.vpc_id}" if self.vpc_id else "")
        return f"<Network {where}>"


__all__ = ["Network", "Route", "Trip", "PATHS", "ROUND_TRIP_MS"]
