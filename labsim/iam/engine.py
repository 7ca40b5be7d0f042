"""IAM's decision for one request: explicit deny, then allow, else implicit deny.

``evaluate`` combines what applies to a request, as IAM documents it
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):

1. an explicit ``Deny`` in any identity, resource, boundary or session policy refuses;
2. within one account, an ``Allow`` in an identity policy *or* in the resource's policy naming the
   principal itself is enough (a resource policy naming only the account ``root`` delegates to IAM,
   so the identity policy must allow); KMS key policies and role trust policies are required: with
   none, or one that allows nothing, the request is refused;
3. across accounts, both the caller's identity policy and the resource's policy must allow;
4. a permissions boundary and a session policy (AssumeRole's ``Policy``) only ever narrow, and so do
   the service control policies over a member account of an organization (``organizations``), checked first.

>>> from labsim.iam.policy import Policy
>>> from labsim.iam.principals import Principal
>>> reader = Principal("arn:aws:iam::111111111111:user/ana", "111111111111", "user", "ana",
...     identity=[Policy.compile({"Statement": [{"Effect": "Allow", "Action": "kinesis:Get*", "Resource": "*"}]})])
>>> stream = "arn:aws:kinesis:us-east-1:222222222222:stream/orders"
>>> evaluate(reader, "kinesis:GetRecords", stream, {}, None, "222222222222").reason
'because no resource-based policy allows the kinesis:GetRecords action'
>>> shared = Policy.compile({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111111111111"},
...     "Action": "kinesis:GetRecords", "Resource": stream}]})
>>> evaluate(reader, "kinesis:GetRecords", stream, {}, shared, "222222222222").allowed
True
"""

from __future__ import annotations

from typing import Any

from . import organizations
from .policy import ALLOW, DENY, Policy
from .principals import Principal


class Decision:
    __slots__ = ("allowed", "reason")

    def __init__(self, allowed: bool, reason: str = "") -> None:
        self.allowed = allowed
        #: Why a refusal happened, worded as AWS's messages end ("with an explicit deny in ...").
        self.reason = reason

    def __repr__(self) -> str:
        return f"<Decision {'allow' if self.allowed else 'deny: ' + self.reason}>"


ALLOWED = Decision(True)


def identity_effect(principal: Principal, action: str, resource: str, ctx: dict[str, Any]) -> str | None:
    if principal.admin:
        return ALLOW
    allowed = None
    for policy in principal.identity:
        effect = policy.effect(action, resource, ctx)
        if effect == DENY:
            return DENY
        if effect == ALLOW:
            allowed = ALLOW
    return allowed


def evaluate(principal: Principal, action: str, resource: str, ctx: dict[str, Any], resource_policy: Policy | None,
             resource_account: str | None, policy_required: bool = False) -> Decision:
    """The decision for ``principal`` doing ``action`` on ``resource`` (see the module docstring)."""
    if principal.scps is not None:
        ceiling = organizations.effect(principal.scps, action, resource, ctx)
        if ceiling != ALLOW:
            return Decision(False, "with an explicit deny in a service control policy" if ceiling == DENY
                            else f"because no service control policy allows the {action} action")
    identity = identity_effect(principal, action, resource, ctx)
    if identity == DENY:
        return Decision(False, "with an explicit deny in an identity-based policy")
    direct = delegated = None
    if resource_policy is not None:
        direct = resource_policy.effect_for(principal.names, action, resource, ctx)
        delegated = resource_policy.effect_for((f"arn:aws:iam::{principal.account_id}:root",), action, resource, ctx)
        if DENY in (direct, delegated):
            return Decision(False, "with an explicit deny in a resource-based policy")
    for extra, kind in ((principal.boundary, "permissions boundary"), (principal.session, "session policy")):
        if extra is not None:
            effect = extra.effect(action, resource, ctx)
            if effect != ALLOW:
                return Decision(False, f"with an explicit deny in a {kind}" if effect == DENY
                                else f"because no {kind} allows the {action} action")
    same_account = resource_account is None or resource_account == principal.account_id
    if same_account:
        if direct == ALLOW:
            return ALLOWED
        if policy_required:
            if delegated == ALLOW and identity == ALLOW:
                return ALLOWED
            if identity == ALLOW:
                return Decision(False, f"because no resource-based policy allows the {action} action")
        elif identity == ALLOW:
            return ALLOWED
        return Decision(False, f"because no identity-based policy allows the {action} action")
    if identity != ALLOW:
        return Decision(False, f"because no identity-based policy allows the {action} action")
    if ALLOW in (direct, delegated):
        return ALLOWED
    return Decision(False, f"because no resource-based policy allows the {action} action")


def denial_message(principal_arn: str, action: str, resource: str, reason: str) -> str:
    """AWS's wording: ``User: <arn> is not authorized to perform: <action> on resource: <arn> <reason>``."""
    on = f" on resource: {resource}" if resource != "*" else ""
    return f"User: {principal_arn} is not authorized to perform: {action}{on} {reason}"
