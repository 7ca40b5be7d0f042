"""Who signed a request: an IAM user, a role session, or the lab's administrator (reads moto's IAM and STS).

moto's IAM backend keeps every access key it issued (``create_access_key`` for users, and the
session keys STS AssumeRole hands out, which carry the role's ARN), so the access key of a request
is enough to find the identity and its policies. A key moto never issued is one of the lab's own
fake keys: the account's administrator, as in every lesson before the security one.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from labsim._moto import get_backend

from . import organizations
from .policy import Policy

PARTITION = "aws"


class CredentialError(Exception):
    """The request's credentials are not valid (deactivated key, expired session)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "invalid" or "expired"
        self.message = message


class Principal:
    """One identity and what it may do: identity policies, a permissions boundary, a session policy."""

    __slots__ = ("arn", "account_id", "kind", "name", "role_arn", "identity", "boundary", "session", "names", "admin", "tags",
                 "uses_tags", "scps")

    def __init__(self, arn: str, account_id: str, kind: str, name: str, *, role_arn: str | None = None,
                 identity: list[Policy] | None = None, boundary: Policy | None = None, session: Policy | None = None,
                 admin: bool = False, tags: dict[str, str] | None = None) -> None:
        self.arn = arn
        self.account_id = account_id
        #: "root", "user", "role" (an assumed-role session) or "service" (a service principal)
        self.kind = kind
        self.name = name
        #: For a role session: the role's ARN (what aws:PrincipalArn and trust policies name).
        self.role_arn = role_arn
        self.identity = identity or []
        self.boundary = boundary
        self.session = session
        self.admin = admin
        self.tags = tags or {}
        #: The names a resource policy's Principal may use for this identity.
        self.names = (arn, role_arn) if role_arn else (arn,)
        #: The service control policies over its account, one tuple per level (None: no SCP applies).
        self.scps = None if admin or kind == "service" else organizations.levels(account_id)
        #: Whether any of its policies tests tags (aws:ResourceTag/..., aws:RequestTag/..., aws:TagKeys).
        self.uses_tags = any(p.uses_tags for p in (*self.identity, boundary, session, *(q for level in self.scps or () for q in level))
                             if p is not None)

    @property
    def principal_arn(self) -> str:
        """``aws:PrincipalArn``: the role's ARN for a role session, else the identity's ARN."""
        return self.role_arn or self.arn

    def __repr__(self) -> str:
        return f"<Principal {self.arn}{' (admin)' if self.admin else ''}>"


def root(account_id: str) -> Principal:
    """The account's administrator (the lab's default identity)."""
    return Principal(f"arn:aws:iam::{account_id}:root", account_id, "root", account_id, admin=True)


def service(name: str, account_id: str) -> Principal:
    """A service principal such as ``firehose.amazonaws.com`` (trust policies name it)."""
    return Principal(name, account_id, "service", name)


_DICTS: dict[str, Any] = {}


def backends(service: str) -> Any:
    """moto's BackendDict of ``service``, looked up once (the dict outlives every lab)."""
    found = _DICTS.get(service)
    if found is None:
        found = _DICTS[service] = get_backend(service)
    return found


def _iam(account_id: str) -> Any:
    return backends("iam")[account_id][PARTITION]


def _documents(entity: Any) -> list[Policy]:
    docs = [Policy.compile(text) for text in entity.policies.values()]
    for managed in entity.managed_policies.values():
        docs.append(Policy.compile(default_document(managed)))
    return docs


def default_document(managed: Any) -> str:
    for version in managed.versions:
        if version.version_id == managed.default_version_id:
            return version.document
    return managed.versions[0].document


def _boundary(iam: Any, arn: str | None) -> Policy | None:
    if not arn:
        return None
    managed = iam.managed_policies.get(arn)
    return Policy.compile(default_document(managed)) if managed is not None else None


def _role(iam: Any, role_arn: str) -> Any:
    # moto keys roles by their id, not their name: find the role by ARN
    for role in iam.roles.values():
        if role.arn == role_arn:
            return role
    return None


def role_principal(role_arn: str, session_name: str | None = None, session_policy: str | None = None) -> Principal | None:
    """A session of the role ``role_arn`` (None if no such role)."""
    account_id = role_arn.split(":")[4]
    iam = _iam(account_id)
    role = _role(iam, role_arn)
    if role is None:
        return None
    session_name = session_name or "labsim"
    arn = f"arn:aws:sts::{account_id}:assumed-role/{role.name}/{session_name}"
    tags = {t["Key"]: t["Value"] for t in role.tags or []}
    return Principal(arn, account_id, "role", role.name, role_arn=role.arn, identity=_documents(role),
                     boundary=_boundary(iam, getattr(role, "permissions_boundary_arn", None)),
                     session=Policy.compile(session_policy) if session_policy else None, tags=tags)


def role_trust(role_arn: str) -> Policy | None:
    """The trust policy of ``role_arn`` (None if no such role)."""
    role = _role(_iam(role_arn.split(":")[4]), role_arn)
    return Policy.compile(role.assume_role_policy_document) if role is not None else None


def resolve(access_key: str, account_id: str, now: float) -> Principal | None:
    """The identity behind ``access_key`` in ``account_id``, or None for the lab's administrator keys."""
    iam = _iam(account_id)
    key = iam.access_keys.get(access_key)
    if key is None:
        return None
    if key.status != "Active":
        raise CredentialError("invalid", "The security token included in the request is invalid.")
    if key.role_arn:
        session = backends("sts")[account_id][PARTITION].get_assumed_role_from_access_key(access_key)
        if session is not None:
            expires = session.expiration.replace(tzinfo=_dt.timezone.utc).timestamp()
            if now >= expires:
                raise CredentialError("expired", "The security token included in the request is expired")
        principal = role_principal(key.role_arn, session.session_name if session else None,
                                   session.policy if session else None)
        if principal is None:
            raise CredentialError("invalid", "The security token included in the request is invalid.")
        return principal
    user = iam.users.get(key.user_name)
    if user is None:
        raise CredentialError("invalid", "The security token included in the request is invalid.")
    docs = _documents(user)
    for group in iam.groups.values():
        if user in group.users:
            docs.extend(_documents(group))
    # moto 5.2.5 keeps no permissions boundary for users (roles have one)
    return Principal(user.arn, account_id, "user", user.name, identity=docs)
