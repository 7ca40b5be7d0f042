"""IAM enforced on every call of a lab: identities, policies, resource policies, trust (layer 1).

By default a lab's calls run as the account's administrator, so nothing changes for a lesson
that never creates an identity. Requests signed with the credentials of an IAM user
(``iam.create_access_key``) or of a role session (``sts.assume_role``) are evaluated by the
policy engine before any physics runs, for every service the lab serves:

>>> from labsim import Lab
>>> import json
>>> with Lab() as lab:
...     iam = lab.client("iam")
...     _ = iam.create_user(UserName="producer")
...     _ = iam.put_user_policy(UserName="producer", PolicyName="put", PolicyDocument=json.dumps({
...         "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kinesis:PutRecord",
...         "Resource": "arn:aws:kinesis:us-east-1:123456789012:stream/orders"}]}))
...     key = iam.create_access_key(UserName="producer")["AccessKey"]
...     _ = lab.client("kinesis").create_stream(StreamName="orders", ShardCount=1)
...     _ = lab.clock.advance(30)
...     k = lab.client("kinesis", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
...     _ = k.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
...     try:
...         k.list_shards(StreamName="orders")
...     except k.exceptions.ClientError as e:
...         print(e.response["Error"]["Code"], e.response["Error"]["Message"])
AccessDeniedException User: arn:aws:iam::123456789012:user/producer is not authorized to perform: kinesis:ListShards on resource: arn:aws:kinesis:us-east-1:123456789012:stream/orders because no identity-based policy allows the kinesis:ListShards action

Modules: ``policy`` (documents, wildcards, conditions), ``principals`` (who signed a request),
``actions`` (operation -> action and resource ARN), ``engine`` (the decision), ``guard`` (the
pipeline guard), ``network`` (HTTPS only; VPC interface and gateway endpoints, private DNS, their
policies; each request's path and its trip on the lab clock, ``labsim.network``), ``tags``
(``aws:ResourceTag/<key>`` of streams and delivery streams, ``aws:RequestTag/<key>``, ``aws:TagKeys``).

Server-side calls between services (a Firehose delivery stream reading a Kinesis stream as its
role, Kinesis asking KMS for a data key as the caller) are checked with ``authorize``::

    from labsim import iam
    iam.authorize(context, role_arn, "kinesis:GetRecords", stream_arn, via="firehose.amazonaws.com")

which raises ``AccessDenied`` (with AWS's message) when the role may not, and does nothing when
no lab enforces IAM. ``as_service(context, "firehose.amazonaws.com", role_arn, action, resource)`` is
the same decision for a service acting as a role it assumed: the role's trust policy must let the
service assume it, and a role the lab's IAM does not hold is not enforced (placeholder ARNs). ``current()`` is the identity of the request being served on this thread
(None for the administrator).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from labsim.errors import ServiceError

from . import principals
from .engine import Decision, denial_message, evaluate
from .guard import IamGuard, acting_as, current, find_key
from .network import NetworkGuard
from .policy import Policy, PolicyError
from .principals import Principal

_guards: dict[int, IamGuard] = {}


class AccessDenied(ServiceError):
    """A server-side call refused by IAM; callers turn it into their own service's error."""

    error_type_default = "AccessDeniedException"


class IamPhysics:
    """Installs the IAM guard on the lab's request pipeline (after the model guard)."""

    name = "iam"

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []
        self.guard: IamGuard | None = None
        self.network: NetworkGuard | None = None

    def start(self, lab: Any) -> None:
        from labsim.transport import router

        self.network = NetworkGuard(lab.context)
        self._undo.append(router.add_guard(self.network.route, "route"))  # before IAM: how the request travels
        self.guard = IamGuard(lab.context)
        _guards[id(lab.context)] = self.guard
        self._undo.append(router.add_guard(self.guard, "iam"))
        self._undo.append(router.add_guard(self.network, "network"))
        self._undo.append(lambda: _guards.pop(id(lab.context), None))

    def stop(self, lab: Any) -> None:
        while self._undo:
            self._undo.pop()()


def decide(context: Any, principal: "Principal | str | None", action: str, resource: str, *,
           resource_policy: "Policy | str | None" = None, via: str | None = None,
           policy_required: bool = False, extra: dict[str, Any] | None = None) -> Decision:
    """IAM's decision for a server-side call by ``principal`` (a Principal, a role ARN, or None: admin)."""
    if principal is None or context is None or id(context) not in _guards:
        return Decision(True)
    if isinstance(principal, str):
        resolved = principals.role_principal(principal, "labsim")
        if resolved is None:
            return Decision(False, f"because the role {principal} does not exist")
        principal = resolved
    ctx: dict[str, Any] = {"aws:principalarn": principal.principal_arn, "aws:principalaccount": principal.account_id,
                           "aws:securetransport": "true"}
    if extra:
        ctx.update(extra)
    if via:
        ctx["kms:viaservice"] = via
        ctx["aws:calledvia"] = via
    if isinstance(resource_policy, str):
        resource_policy = Policy.compile(resource_policy)
    account = resource.split(":")[4] if resource.startswith("arn:") else None
    return evaluate(principal, action, resource, ctx, resource_policy, account or None, policy_required)


def authorize(context: Any, principal: "Principal | str | None", action: str, resource: str, **kwargs: Any) -> None:
    """Raise ``AccessDenied`` unless ``principal`` may do ``action`` on ``resource`` (see ``decide``)."""
    decision = decide(context, principal, action, resource, **kwargs)
    if not decision.allowed:
        arn = principal if isinstance(principal, str) else principal.arn  # type: ignore[union-attr]
        raise AccessDenied(denial_message(arn, action, resource, decision.reason))


def as_service(context: Any, service: str, role_arn: str | None, action: str, resource: str, **kwargs: Any) -> Decision:
    """IAM's decision for ``service`` (``"firehose.amazonaws.com"``) acting as ``role_arn``.

    The service first assumes the role, so the role's trust policy must let ``service`` do so, then
    the role's policies decide (``decide``). A role the lab's IAM does not hold is not enforced: the
    placeholder ARNs of lessons that never create an identity keep working, as the administrator's
    calls do (the lab's default; on AWS a missing role fails).
    """
    if not role_arn or context is None or id(context) not in _guards:
        return Decision(True)
    trust = principals.role_trust(role_arn)
    if trust is None:
        return Decision(True)
    account = role_arn.split(":")[4]
    assumed = evaluate(principals.service(service, account), "sts:AssumeRole", role_arn, {}, trust, account, True)
    if not assumed.allowed:
        return Decision(False, f"because the role's trust policy does not allow {service} to assume it")
    return decide(context, role_arn, action, resource, **kwargs)


def guard_of(context: Any) -> IamGuard | None:
    """The IAM guard of the lab ``context`` belongs to (its counters), or None."""
    return _guards.get(id(context))


ADMIN_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def account_admin(lab: Any, account_id: str, user_name: str = "admin") -> dict[str, str]:
    """Credentials of an administrator in another simulated account (for cross-account demos).

    Returns boto3 client keyword arguments: ``lab.client("kinesis", **account_admin(lab, "222222222222"))``.
    """
    if not (isinstance(account_id, str) and account_id.isdigit() and len(account_id) == 12):
        raise ValueError(f"account_id must be 12 digits such as '222222222222', got {account_id!r}")
    from labsim._moto import get_backend

    iam = get_backend("iam")[account_id]["aws"]
    try:
        iam.get_user(user_name)
    except Exception:
        iam.create_user(region_name=lab.region, user_name=user_name, path="/", tags=[])
        iam.put_user_policy(user_name, "AdministratorAccess", ADMIN_POLICY)
    key = iam.create_access_key(user_name)
    return {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": key.secret_access_key}


_session: Any = None


def session() -> Any:
    """One shared ``boto3.session.Session``: clients made from it reuse botocore's loaded models and
    endpoint data (a fresh session reloads them, about a second per client on a slow machine)."""
    global _session
    if _session is None:
        import boto3

        _session = boto3.session.Session()
    return _session


def client(lab: Any, service: str, **credentials: Any) -> Any:
    """A boto3 client of ``lab`` from the shared session; the lab's administrator unless credentials are given."""
    from labsim.safety import FAKE_ACCESS_KEY, FAKE_SECRET_KEY

    if not credentials:
        credentials = {"aws_access_key_id": FAKE_ACCESS_KEY, "aws_secret_access_key": FAKE_SECRET_KEY}
    return session().client(service, region_name=lab.region, **credentials)


def assume(lab: Any, role_arn: str, session_name: str = "labsim", **credentials: Any) -> dict[str, str]:
    """Assume ``role_arn`` with plain STS and return its credentials as boto3 client keyword arguments."""
    sts = client(lab, "sts", **credentials)
    c = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"]}


def assume_as_service(lab: Any, role_arn: str, service: str, session_name: str = "labsim") -> dict[str, str]:
    """Credentials of ``role_arn`` as the service ``service`` (``firehose.amazonaws.com``) would get them.

    A delivery role trusts a service principal, not a user, so no learner's credentials can assume it;
    tests and lessons use this to act as the service does. Refused (``AccessDenied``) unless the role's
    trust policy allows ``service`` to assume it.
    """
    from labsim.iam.principals import backends, role_trust, service as service_principal

    account = role_arn.split(":")[4]
    trust = role_trust(role_arn)
    if trust is None:
        raise ValueError(f"no role {role_arn} in this lab: create it first (iam.create_role)")
    decision = evaluate(service_principal(service, account), "sts:AssumeRole", role_arn, {}, trust, account, True)
    if not decision.allowed:
        raise AccessDenied(denial_message(service, "sts:AssumeRole", role_arn, decision.reason.replace(
            "resource-based policy", "role trust policy")), "AccessDenied", 403)
    session = backends("sts")[account]["aws"].assume_role(
        region_name=lab.region, role_session_name=session_name, role_arn=role_arn, policy=None, duration=3600, external_id=None)
    return {"aws_access_key_id": session.access_key_id, "aws_secret_access_key": session.secret_access_key,
            "aws_session_token": session.session_token}


__all__ = ["IamPhysics", "acting_as", "as_service", "assume_as_service", "client", "session", "AccessDenied", "authorize", "decide", "current", "account_admin", "assume", "guard_of",
           "find_key", "Policy", "PolicyError", "Principal"]
