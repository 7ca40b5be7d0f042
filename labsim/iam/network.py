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

The FIPS (``kinesis-fips.<region>.amazonaws.com``), dual-stack (``kinesis.<region>.api.aws``) and
account-specific (``<account>.control-kinesis`` / ``<account>.data-kinesis``) hosts that botocore
resolves are served like the regional one.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import EndpointConnectionError

from .actions import action_for, resource_for
from .engine import denial_message
from .guard import denied_error
from .policy import ALLOW, DENY, Policy
from .principals import backends

#: Services that answer on HTTPS only.
HTTPS_ONLY = frozenset({"kinesis", "firehose"})
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


class NetworkGuard:
    """``guard(call)``: refuse plain HTTP to HTTPS-only services; enforce VPC endpoint policies."""

    __slots__ = ("refused",)

    def __init__(self) -> None:
        self.refused = 0

    def __call__(self, call: Any) -> None:
        url = getattr(call.request, "url", None)
        if not url:
            return
        if url[4] == ":" and call.service in HTTPS_ONLY:  # "http:" rather than "https"
            self.refused += 1
            raise EndpointConnectionError(endpoint_url=url.split("?")[0])
        if "vpce" not in url:
            return
        vpce = source_vpce(url)
        if vpce is None:
            return
        endpoint = backends("ec2")[call.account_id][call.region].vpc_end_points.get(vpce)
        if endpoint is None or getattr(endpoint, "state", "available") == "deleted":
            self.refused += 1
            raise EndpointConnectionError(endpoint_url=url.split("?")[0])
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


__all__ = ["NetworkGuard", "source_vpce", "HTTPS_ONLY", "denial_message"]
