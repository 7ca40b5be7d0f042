"""How a request reached the service: HTTPS only, and VPC interface endpoints with their policies.

- **HTTPS in flight.** Kinesis Data Streams and Firehose answer on HTTPS only (the KPL cannot even
  turn TLS off); a client configured with a plain ``http://`` endpoint gets no answer, which
  botocore reports as ``EndpointConnectionError`` after its retries. S3 still accepts plain HTTP,
  which is why bucket policies test ``aws:SecureTransport``.
- **VPC interface endpoints.** ``ec2.create_vpc_endpoint(..., VpcEndpointType="Interface")`` gives
  an endpoint id; a client whose ``endpoint_url`` is the endpoint's DNS name
  (``https://<vpce-id>-<suffix>.kinesis.<region>.vpce.amazonaws.com``) reaches the service through
  it. Every request through an endpoint, the administrator's included, must be allowed by the
  endpoint's policy (``PolicyDocument``; AWS's default allows everything), and carries
  ``aws:SourceVpce`` for conditions in identity and resource policies. A DNS name of an endpoint that
  does not exist does not resolve (``EndpointConnectionError``).

- **Private DNS and gateway endpoints.** When the lab's code runs in a VPC
  (``lab.network.place(vpc_id=...)``), a request to the service's usual hostname goes through the
  VPC's interface endpoint for that service if the endpoint has private DNS (the default), or through
  its gateway endpoint (S3, DynamoDB): the endpoint policy applies and ``aws:SourceVpce`` is set, with
  no change to the client.
- **Latency.** ``route`` (a guard that runs before IAM) gives each request its ``labsim.network.Route``
  and sends it on its way on the lab clock; the router brings the answer back.

The FIPS (``kinesis-fips.<region>.amazonaws.com``), dual-stack (``kinesis.<region>.api.aws``) and
account-specific (``<account>.control-kinesis`` / ``<account>.data-kinesis``) hosts that botocore
resolves are served like the regional one.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import EndpointConnectionError

from labsim.network import Route

from .actions import action_for, resource_for
from .engine import denial_message
from .guard import denied_error
from .policy import ALLOW, DENY, Policy
from .principals import backends

#: Services that answer on HTTPS only.
HTTPS_ONLY = frozenset({"kinesis", "firehose"})
#: botocore service id -> the endpoint service's name after ``com.amazonaws.<region>.`` (others: the id).
ENDPOINT_SERVICE = {"kinesis": "kinesis-streams", "firehose": "kinesis-firehose", "cloudwatch": "monitoring"}
#: Services reached through gateway endpoints (route tables, no DNS names of their own).
GATEWAY_SERVICES = frozenset({"s3", "dynamodb"})
_VPCE = re.compile(r"^https?://(vpce-[0-9a-z]+)-[0-9a-z]+\.([a-z0-9-]+)\.([a-z0-9-]+)\.vpce\.amazonaws\.com")


def source_vpce(url: str) -> str | None:
    """The VPC endpoint id of an endpoint DNS name, or None.

    >>> source_vpce("https://vpce-0a1b2c3d-4e5f6a7b.kinesis.us-east-1.vpce.amazonaws.com/")
    'vpce-0a1b2c3d'
    >>> source_vpce("https://kinesis.us-east-1.amazonaws.com/") is None
    True
    """
    m = _VPCE.match(url)
    return m.group(1) if m else None


def endpoint_in_vpc(account_id: str, region: str, vpc_id: str, service: str) -> str | None:
    """The id of the VPC's endpoint a request to ``service``'s usual hostname goes through, or None:
    an available interface endpoint with private DNS, or a gateway endpoint (S3, DynamoDB)."""
    name = f"com.amazonaws.{region}.{ENDPOINT_SERVICE.get(service, service)}"
    for endpoint in backends("ec2")[account_id][region].vpc_end_points.values():
        if endpoint.vpc_id != vpc_id or endpoint.service_name != name or getattr(endpoint, "state", "available") != "available":
            continue
        kind = (endpoint.vpc_endpoint_type or "Gateway").lower()
        if (kind == "interface" and endpoint.private_dns_enabled) or (kind == "gateway" and service in GATEWAY_SERVICES):
            return endpoint.id
    return None


class NetworkGuard:
    """Two guards: ``route(call)`` before IAM (HTTPS only; which endpoint and path; the trip out) and
    ``guard(call)`` after IAM (the VPC endpoint's policy, which needs the caller IAM resolved)."""

    __slots__ = ("refused", "context")

    def __init__(self, context: Any = None) -> None:
        self.refused = 0
        self.context = context

    def route(self, call: Any) -> None:
        url = getattr(call.request, "url", None)
        if not url:
            return
        if url[4] == ":" and call.service in HTTPS_ONLY:  # "http:" rather than "https"
            self.refused += 1
            raise EndpointConnectionError(endpoint_url=url.split("?")[0])
        vpce = source_vpce(url) if "vpce" in url else None
        if vpce is not None:
            endpoint = backends("ec2")[call.account_id][call.region].vpc_end_points.get(vpce)
            if endpoint is None or getattr(endpoint, "state", "available") == "deleted":
                self.refused += 1
                raise EndpointConnectionError(endpoint_url=url.split("?")[0])
        network = getattr(self.context, "network", None)
        if network is None:
            if vpce is not None:
                call.route = Route(None, None, vpce, 0.0)
            return
        if vpce is None and network.vpc_id is not None and network.region == call.region:
            vpce = endpoint_in_vpc(call.account_id, call.region, network.vpc_id, call.service)
        if vpce is None and not network.placed:
            return
        call.route = network.route(call.service, call.operation, call.region, vpce)
        call.route.depart()

    def __call__(self, call: Any) -> None:
        route = call.route
        vpce = route.vpce if route is not None else None
        if vpce is None:
            return
        endpoint = backends("ec2")[call.account_id][call.region].vpc_end_points.get(vpce)
        if endpoint is None:
            return
        policy = Policy.compile(endpoint.policy_document)
        action = action_for(call.service, call.operation)
        resource = resource_for(call.service, call.operation, call.params, call.region, call.account_id)
        principal = call.principal  # the IAM guard runs first and sets it
        names = (principal,)
        ctx = {"aws:sourcevpce": vpce, "aws:principalarn": principal, "aws:securetransport": "true"}
        effect = policy.effect_for(names, action, resource, ctx)
        if effect != ALLOW:
            self.refused += 1
            reason = ("with an explicit deny in a VPC endpoint policy" if effect == DENY
                      else f"because no VPC endpoint policy allows the {action} action")
            raise denied_error(call.service, principal, action, resource, reason)


__all__ = ["NetworkGuard", "endpoint_in_vpc", "source_vpce", "HTTPS_ONLY", "denial_message"]
