"""The pipeline guard that evaluates IAM for every request signed by an IAM identity.

Requests signed with the lab's own keys run as the account's administrator, untouched (one
comparison). Requests signed with a key moto's IAM issued (a user's ``create_access_key``, or an
STS session from ``assume_role``) are evaluated before any physics runs: identity policies, the
resource's policy (Kinesis ``PutResourcePolicy``, KMS key policies, role trust policies), the
permissions boundary and session policy; a refusal is the service's own error
(``AccessDeniedException`` for JSON services, ``AccessDenied`` for S3, IAM, STS and CloudWatch,
``UnauthorizedOperation`` for EC2) with AWS's "User: ... is not authorized to perform: ..." message.

The identity of the request in progress stays available to server-side physics on the same thread
(``current()``), so Kinesis can check the caller's KMS permissions when it encrypts or decrypts.
"""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from labsim.errors import ServiceError
from labsim.safety import FAKE_ACCESS_KEY
from labsim.transport import router

from . import principals
from .actions import ALWAYS_ALLOWED, account_of, action_for, resource_for
from .engine import denial_message, evaluate
from .policy import Policy, PolicyError
from .principals import CredentialError, Principal, backends
from .tags import tag_keys

#: botocore service id -> (error code, HTTP status) of an authorization failure.
DENIED = {
    "kinesis": ("AccessDeniedException", 400), "firehose": ("AccessDeniedException", 400),
    "dynamodb": ("AccessDeniedException", 400), "kms": ("AccessDeniedException", 400),
    "cloudwatch-logs": ("AccessDeniedException", 400), "glue": ("AccessDeniedException", 400),
    "lambda": ("AccessDeniedException", 403), "s3": ("AccessDenied", 403), "iam": ("AccessDenied", 403),
    "sts": ("AccessDenied", 403), "cloudwatch": ("AccessDenied", 403), "ec2": ("UnauthorizedOperation", 403),
}
#: (invalid key, expired session) error codes by protocol family.
_CREDENTIAL_ERRORS = {
    "json": ("UnrecognizedClientException", "ExpiredTokenException"),
    "query": ("InvalidClientTokenId", "ExpiredToken"),
    "s3": ("InvalidAccessKeyId", "ExpiredToken"),
}
_VPCE_HOST = re.compile(r"^https?://(?:\*\.)?(vpce-[0-9a-z]+)-[0-9a-z]+\.")

_local = threading.local()


def current() -> Principal | None:
    """The identity of the request this thread is serving right now (None: the account's administrator,
    or no request at all, as in a clock task: the service itself acting)."""
    acting = getattr(_local, "acting", None)
    if acting is not None:
        return acting  # a service acting as a role it assumed (``acting_as``)
    call = router.current_call()
    if call is None or getattr(_local, "call", None) is not call:
        return None
    return _local.principal


@contextmanager
def acting_as(principal: Principal | None) -> Iterator[None]:
    """Within the block, ``current()`` is ``principal`` (None: no change): a service's own calls made
    as the role it assumed (Firehose reading an encrypted stream needs the role's kms:Decrypt)."""
    previous = getattr(_local, "acting", None)
    _local.acting = principal if principal is not None else previous
    try:
        yield
    finally:
        _local.acting = previous


def denied_error(service: str, principal_arn: str, action: str, resource: str, reason: str) -> ServiceError:
    code, status = DENIED.get(service, ("AccessDeniedException", 400))
    return ServiceError(denial_message(principal_arn, action, resource, reason), code, status)


class IamGuard:
    """``guard(call)``: resolve the caller from its access key, evaluate, refuse or let through."""

    __slots__ = ("context", "evaluated", "refused")

    def __init__(self, context: Any) -> None:
        self.context = context
        #: Requests evaluated and refused so far (lessons show them; the benchmark reads them).
        self.evaluated = 0
        self.refused = 0

    def __call__(self, call: Any) -> None:
        key = call.access_key
        _local.call = call
        if key == FAKE_ACCESS_KEY:
            _local.principal = None
            if call.operation == "AssumeRole":
                self._check_trust(call, principals.root(call.account_id))
            return
        try:
            principal = principals.resolve(key, call.account_id, self.context.now())
        except CredentialError as err:
            raise self._credential_error(call, err) from None
        _local.principal = principal
        if principal is None:
            if call.operation == "AssumeRole":
                self._check_trust(call, principals.root(call.account_id))
            return
        call.principal = principal.arn
        if (call.service, call.operation) in ALWAYS_ALLOWED:
            return
        self.evaluated += 1
        action = action_for(call.service, call.operation)
        resource = self._resource(call)
        if resource is None:
            return  # the operation will refuse the request itself (an iterator that is not one)
        resource_account = account_of(resource) or call.account_id
        ctx = self.condition_keys(call, principal)
        resource_policy, required = self._resource_policy(call, resource, resource_account)
        if principal.uses_tags or (resource_policy is not None and resource_policy.uses_tags):
            ctx.update(tag_keys(resource, call.service, call.operation, call.params))
        if call.service == "kinesis" and call.operation.endswith("ResourcePolicy") and resource_account != principal.account_id:
            # only the owning account manages a resource's policy (kinesis-facts 8.2)
            self.refused += 1
            raise denied_error("kinesis", principal.arn, action, resource, "because the resource is owned by another account")
        decision = evaluate(principal, action, resource, ctx, resource_policy, resource_account, required)
        if not decision.allowed:
            self.refused += 1
            raise denied_error(call.service, principal.arn, action, resource, decision.reason)
        if call.operation == "AssumeRole":
            self._check_trust(call, principal)
        if resource_account != call.account_id and call.service == "kinesis":
            call.account_id = resource_account  # served by the account that owns the stream

    # -- parts ---------------------------------------------------------------------------------------
    def _resource(self, call: Any) -> str | None:
        service, params = call.service, call.params
        if service == "kinesis" and call.operation == "GetRecords" and not params.get("StreamARN"):
            backend = backends("kinesis")[call.account_id][call.region]
            try:
                name = backend.iterator_codec.decode(params.get("ShardIterator")).stream_name
            except Exception:
                return None
            return f"arn:aws:kinesis:{call.region}:{call.account_id}:stream/{name}"
        if service == "kms":
            key_id = params.get("KeyId")
            if not key_id:
                return "*"
            key = find_key(call.account_id, call.region, key_id)
            return key.arn if key is not None else f"arn:aws:kms:{call.region}:{call.account_id}:key/{key_id}"
        return resource_for(service, call.operation, params, call.region, call.account_id)

    def _resource_policy(self, call: Any, resource: str, account: str) -> tuple[Policy | None, bool]:
        service = call.service
        if service == "kinesis" and resource != "*":
            text = backends("kinesis")[account][call.region].resource_policies.get(resource)
            if text is None and "/consumer/" in resource:
                text = None
            return (Policy.compile(text) if text else None), False
        if service == "kms" and resource != "*":
            key = find_key(account, call.region, resource)
            return (Policy.compile(key.policy) if key is not None else None), key is not None
        return None, False

    def _check_trust(self, call: Any, principal: Principal) -> None:
        role_arn = call.params.get("RoleArn") or ""
        trust = principals.role_trust(role_arn) if role_arn.startswith("arn:") else None
        if trust is None:
            return  # moto answers for a role that does not exist
        ctx = self.condition_keys(call, principal)
        role_account = account_of(role_arn)
        decision = evaluate(principal, "sts:AssumeRole", role_arn, ctx, trust, role_account, policy_required=True)
        if not decision.allowed:
            self.refused += 1
            raise denied_error("sts", principal.arn, "sts:AssumeRole", role_arn, decision.reason.replace(
                "resource-based policy", "role trust policy"))

    def condition_keys(self, call: Any, principal: Principal) -> dict[str, Any]:
        """The global condition keys of a request (lower-case, as policies compare them)."""
        url = getattr(call.request, "url", "") or ""
        ctx: dict[str, Any] = {
            "aws:principalarn": principal.principal_arn,
            "aws:principalaccount": principal.account_id,
            "aws:principaltype": {"user": "User", "role": "AssumedRole", "root": "Account"}.get(principal.kind, principal.kind),
            "aws:securetransport": "true" if url.startswith("https://") else "false",
            "aws:requestedregion": call.region,
            "aws:epochtime": str(int(self.context.now())),
        }
        if principal.kind == "user":
            ctx["aws:username"] = principal.name
        for k, v in principal.tags.items():
            ctx[f"aws:principaltag/{k.lower()}"] = v
        m = _VPCE_HOST.match(url)
        vpce = call.route.vpce if call.route is not None else (m.group(1) if m is not None else None)
        if vpce is not None:  # through an endpoint: named in the URL, or the VPC's private DNS (labsim.iam.network)
            ctx["aws:sourcevpce"] = vpce
        return ctx

    @staticmethod
    def _credential_error(call: Any, err: CredentialError) -> ServiceError:
        family = "s3" if call.service == "s3" else ("json" if call.json or call.service in DENIED and DENIED[call.service][1] == 400 else "query")
        invalid, expired = _CREDENTIAL_ERRORS[family]
        if err.kind == "expired":
            return ServiceError(err.message, expired, 400 if family != "s3" else 400)
        return ServiceError(err.message, invalid, 400 if family == "json" else 403)


def find_key(account_id: str, region: str, key_id: str) -> Any:
    """moto's KMS key for a key id, key ARN, alias name or alias ARN (None if there is none)."""
    if key_id.startswith("arn:") and ":kms:" in key_id:
        parts = key_id.split(":")
        region, account_id = parts[3] or region, parts[4] or account_id
    backend = backends("kms")[account_id][region]
    try:
        raw = backend.any_id_to_key_id(key_id)
    except Exception:
        return None
    return backend.keys.get(raw) if raw else None


__all__ = ["IamGuard", "acting_as", "current", "denied_error", "find_key", "PolicyError"]
