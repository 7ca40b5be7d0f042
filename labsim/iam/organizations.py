"""Service control policies (AWS Organizations, moto's backend): a ceiling on every principal of a member account.

``organizations.create_organization`` makes the calling account the management account;
``create_account`` adds member accounts; ``create_policy(Type="SERVICE_CONTROL_POLICY")`` and
``attach_policy`` attach SCPs to the root, an organizational unit or an account. As IAM documents
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html):

- SCPs apply to every IAM user and role of a **member** account, and to its root user; they never
  apply to the management account (the lab's own account when it creates the organization);
- at **every level** from the root down to the account (root, each OU, the account itself), at
  least one attached SCP must allow the action; a ``Deny`` in any of them refuses it;
- SCPs grant nothing: the identity (and resource) policies must still allow the request.

``levels(account_id)`` returns the SCPs that apply, one tuple per level, or None (no organization,
the management account, or only the default ``FullAWSAccess``), so accounts outside an organization
pay one dictionary walk per request.
"""

from __future__ import annotations

from typing import Any

from labsim._moto import get_backend

from .policy import ALLOW, DENY, Policy

FULL_ACCESS = "p-FullAWSAccess"


_DICT: Any = None


def _backends() -> list[Any]:
    global _DICT
    if _DICT is None:
        _DICT = get_backend("organizations")  # moto's BackendDict outlives every lab
    if not _DICT:
        return []  # no account ever used Organizations: the common case, one test
    out = []
    for regional in list(_DICT.values()):
        backend = regional.get("aws") if hasattr(regional, "get") else None
        if backend is not None and getattr(backend, "org", None) is not None:
            out.append(backend)
    return out


def levels(account_id: str) -> tuple[tuple[Policy, ...], ...] | None:
    """The SCPs over ``account_id``: one tuple per level (root, OUs, account), or None if none apply."""
    for backend in _backends():
        if backend.org.master_account_id == account_id:
            return None  # the management account: SCPs never restrict it
        account = next((a for a in backend.accounts if a.id == account_id), None)
        if account is None:
            continue
        chain: list[Any] = [account]
        parent = account.parent_id
        ous = {ou.id: ou for ou in backend.ou}
        while parent is not None and parent in ous:
            chain.append(ous[parent])
            parent = ous[parent].parent_id
        out = []
        only_default = True
        for node in reversed(chain):
            scps = [p for p in node.attached_policies if p.type == "SERVICE_CONTROL_POLICY"]
            only_default = only_default and all(p.id == FULL_ACCESS for p in scps)
            out.append(tuple(Policy.compile(p.content) for p in scps))
        return None if only_default else tuple(out)
    return None


def effect(scps: tuple[tuple[Policy, ...], ...], action: str, resource: str, ctx: dict[str, Any]) -> str | None:
    """``"Deny"`` (explicit), None (some level allows nothing: implicit deny) or ``"Allow"``."""
    allowed_everywhere = True
    for level in scps:
        level_allows = False
        for policy in level:
            result = policy.effect(action, resource, ctx)
            if result == DENY:
                return DENY
            level_allows = level_allows or result == ALLOW
        allowed_everywhere = allowed_everywhere and level_allows
    return ALLOW if allowed_everywhere else None
