"""KMS as other services use it: keys, their state, key policies and grants, throttling, call counts (layer 1).

moto's KMS backend keeps the keys (``create_key``, ``disable_key``, ``schedule_key_deletion``,
``create_grant``...); this module adds what a service that encrypts with them meets:

- **the AWS managed key** of a service (``alias/aws/kinesis``), created on first use as AWS does,
  with ``KeyManager`` AWS and the managed key policy: any principal of the account may use it
  *through that service* (``kms:ViaService``), so producers and consumers need no KMS permission
  of their own (kinesis-facts 8.5);
- **one check per use of a key** (``use_key``): the key must exist (``KMSNotFoundException``), be
  enabled (``KMSDisabledException``), not be pending deletion (``KMSInvalidStateException``), allow
  the caller by its key policy, a grant, or the key policy's delegation to IAM plus an identity
  policy (``KMSAccessDeniedException``), and fit within the account's KMS request rate
  (``KMSThrottlingException``);
- **call counts** per key and operation (``KmsPhysics.calls``), for the cost discussion: KMS bills
  each request, the managed key itself is free.

A problem is raised as ``KmsProblem`` with the error code the *calling* service answers with;
that service turns it into its own error class (Kinesis: ``labsim.streams.encryption``).

The request rate is a lab knob for demonstrations (``lab.physics["kms"].requests_per_second``),
``quotas.KMS_CRYPTO_REQUESTS_PER_SECOND`` by default; so is the account's KMS subscription
(``lab.physics["kms"].subscribed = False``: every use answers ``KMSOptInRequired``).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from labsim import iam, quotas
from labsim.iam.policy import Policy
from labsim.iam.principals import Principal, backends

#: botocore's wording of each error in the Kinesis API reference.
MESSAGES = {
    "KMSNotFoundException": "The request was rejected because the specified entity or resource can't be found.",
    "KMSDisabledException": "The request was rejected because the specified customer master key (CMK) isn't enabled.",
    "KMSInvalidStateException": "The request was rejected because the state of the specified resource isn't valid for this request.",
    "KMSAccessDeniedException": "The ciphertext references a key that doesn't exist or that you don't have access to.",
    "KMSThrottlingException": "The request was denied due to request throttling.",
    "KMSOptInRequired": "The AWS access key ID needs a subscription for the service.",
}
MANAGED_ALIASES = {"kinesis": "alias/aws/kinesis", "firehose": "alias/aws/firehose"}

_physics: dict[int, "KmsPhysics"] = {}


class KmsProblem(Exception):
    """Why a key could not be used: ``error_type`` (KMS... code) and ``message``."""

    def __init__(self, error_type: str, detail: str = "") -> None:
        self.error_type = error_type
        self.message = MESSAGES[error_type] + (f" {detail}" if detail else "")
        super().__init__(self.message)


class KmsPhysics:
    """Per lab: the request-rate budget and the call counts of KMS."""

    name = "kms"

    def __init__(self) -> None:
        self.requests_per_second = int(quotas.KMS_CRYPTO_REQUESTS_PER_SECOND)
        #: False: the account is not subscribed to KMS (a lab knob; every use answers KMSOptInRequired).
        self.subscribed = True
        #: (key ARN, operation) -> requests KMS served for services in this lab.
        self.calls: dict[tuple[str, str], int] = {}
        self._second = -1
        self._used: dict[tuple[str, str], int] = {}
        self._undo: list[Callable[[], None]] = []

    def start(self, lab: Any) -> None:
        _physics[id(lab.context)] = self
        self._undo.append(lambda: _physics.pop(id(lab.context), None))

    def stop(self, lab: Any) -> None:
        while self._undo:
            self._undo.pop()()

    def total_calls(self, key_arn: str | None = None) -> int:
        return sum(n for (arn, _), n in self.calls.items() if key_arn is None or arn == key_arn)

    def admit(self, account_id: str, region: str, now: float) -> bool:
        second = int(now)
        if second != self._second:
            self._second, self._used = second, {}
        used = self._used.get((account_id, region), 0)
        if used >= self.requests_per_second:
            return False
        self._used[(account_id, region)] = used + 1
        return True


def physics_of(context: Any) -> KmsPhysics | None:
    return _physics.get(id(context))


def managed_key_policy(account_id: str, region: str, service: str) -> str:
    """The policy AWS gives a service's managed key: any principal of the account, through the service."""
    return json.dumps({"Version": "2012-10-17", "Id": f"auto-{service}-1", "Statement": [
        {"Sid": "Allow access through the service for all principals in the account that are authorized to use it",
         "Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
         "Resource": "*",
         "Condition": {"StringEquals": {"kms:CallerAccount": account_id, "kms:ViaService": f"{service}.{region}.amazonaws.com"}}},
        {"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
         "Action": ["kms:Describe*", "kms:Get*", "kms:List*"], "Resource": "*"}]})


def find_key(account_id: str, region: str, key_id: str, service: str = "kinesis") -> Any:
    """The key ``key_id`` names (id, ARN, alias name or alias ARN), else ``KmsProblem`` KMSNotFound.

    The service's managed alias (``alias/aws/kinesis``) creates its key on first use.
    """
    if key_id.startswith("arn:"):
        parts = key_id.split(":")
        if len(parts) < 6 or parts[2] != "kms":
            raise KmsProblem("KMSNotFoundException", f"Invalid key ARN {key_id}.")
        region, account_id = parts[3] or region, parts[4] or account_id
    backend = backends("kms")[account_id][region]
    alias = key_id if key_id.startswith("alias/") else ("alias/" + key_id.split(":alias/", 1)[1] if ":alias/" in key_id else None)
    try:
        raw = backend.any_id_to_key_id(key_id)
    except Exception:
        raw = None
    key = backend.keys.get(raw) if raw else None
    if key is None and alias is not None and alias == MANAGED_ALIASES.get(service):
        key = backend.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "", None)
        backend.create_alias(key.id, alias)
    if key is None:
        raise KmsProblem("KMSNotFoundException", f"Key '{key_id}' does not exist.")
    if alias is not None and alias == MANAGED_ALIASES.get(service) and key.key_manager != "AWS":
        key.key_manager = "AWS"
        key.description = f"Default key that protects my {service.capitalize()} data when no other key is defined"
        key.policy = managed_key_policy(account_id, region, service)
    return key


def _granted(key: Any, principal: Principal, operation: str) -> bool:
    for grant in getattr(key, "grants", {}).values():
        if grant.grantee_principal in principal.names and operation in (grant.operations or []):
            return True
    return False


def count(context: Any, key_arn: str, operation: str) -> None:
    """Count one KMS request a service made with ``key_arn`` (for the cost discussion)."""
    physics = physics_of(context)
    if physics is not None:
        physics.calls[(key_arn, operation)] = physics.calls.get((key_arn, operation), 0) + 1


def use_key(context: Any, key: Any, principal: Principal | None, operation: str, service: str, region: str, now: float) -> None:
    """One KMS request a service makes with ``key`` for ``principal`` (None: the administrator)."""
    physics = physics_of(context)
    if physics is not None and not physics.subscribed:
        raise KmsProblem("KMSOptInRequired")
    deletion = getattr(key, "deletion_date", None)
    if key.key_state == "PendingDeletion" and deletion is not None and deletion.timestamp() <= now:
        raise KmsProblem("KMSNotFoundException", f"Key '{key.arn}' does not exist.")
    if key.key_state == "Disabled" or not key.enabled and key.key_state != "PendingDeletion":
        raise KmsProblem("KMSDisabledException")
    if key.key_state != "Enabled":
        raise KmsProblem("KMSInvalidStateException", f"{key.arn} is {key.key_state}.")
    if principal is not None and not _granted(key, principal, operation):
        decision = iam.decide(context, principal, f"kms:{operation}", key.arn, resource_policy=Policy.compile(key.policy),
                              via=f"{service}.{region}.amazonaws.com", policy_required=True,
                              extra={"kms:calleraccount": principal.account_id})
        if not decision.allowed:
            raise KmsProblem("KMSAccessDeniedException")
    if physics is not None:
        if not physics.admit(key.account_id, region, now):
            raise KmsProblem("KMSThrottlingException")
        count(context, key.arn, operation)
