"""Server-side encryption of a DirectPut delivery stream: Start/StopDeliveryStreamEncryption (FH-API).

- ``StartDeliveryStreamEncryption`` with ``KeyType`` ``AWS_OWNED_CMK`` (the default, no ``KeyARN``)
  or ``CUSTOMER_MANAGED_CMK`` (with ``KeyARN``): the status goes ``ENABLING`` then ``ENABLED`` after
  ``quotas.FIREHOSE_SSE_TRANSITION_SECONDS`` (the lab's model). For a customer key, Firehose creates a
  KMS grant for itself with the caller's permissions (the caller needs ``kms:CreateGrant`` and
  ``kms:DescribeKey`` on the key); a missing, disabled or pending-deletion key, or a caller who may
  not create the grant, ends in ``ENABLING_FAILED`` with a ``FailureDescription`` (``Type``
  KMS_KEY_NOT_FOUND, DISABLED_KMS_KEY, INVALID_KMS_KEY, CREATE_KMS_GRANT_FAILED). A failed change of
  key on an encrypted stream keeps the old key, as the API reference says.
- ``StopDeliveryStreamEncryption``: ``DISABLING`` then ``DISABLED``; the grant is retired.
- Only for DirectPut streams: a stream reading a Kinesis data stream uses that stream's encryption
  (``InvalidArgumentException``). Start and Stop together allow ``quotas.FIREHOSE_SSE_CHANGES_PER_DAY``
  calls per delivery stream per 24 h (``LimitExceededException``); while ENABLING or DISABLING
  another change is ``ResourceInUseException``.
- With a customer key, PutRecord(Batch) uses a data key Firehose renews every
  ``quotas.FIREHOSE_SSE_DATA_KEY_REUSE_SECONDS`` (the lab's model); a key disabled, scheduled for
  deletion or whose grant was revoked meanwhile makes the put fail with
  ``InvalidKMSResourceException`` at the next renewal. Every KMS request is counted in
  ``lab.physics["kms"].calls`` (CreateGrant, GenerateDataKey, RetireGrant).
"""

from __future__ import annotations

from typing import Any

from labsim import iam, kms, quotas

from . import errors as E

SERVICE = "firehose.amazonaws.com"
GRANT_OPERATIONS = ["Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey",
                    "GenerateDataKeyWithoutPlaintext", "DescribeKey", "CreateGrant", "RetireGrant"]
FAILURE_TYPES = {
    "KMSNotFoundException": "KMS_KEY_NOT_FOUND", "KMSDisabledException": "DISABLED_KMS_KEY",
    "KMSInvalidStateException": "INVALID_KMS_KEY", "KMSAccessDeniedException": "KMS_ACCESS_DENIED",
    "KMSOptInRequired": "KMS_OPT_IN_REQUIRED", "KMSThrottlingException": "UNKNOWN_ERROR",
}


class InvalidKMSResourceError(E.FirehoseError):
    error_type_default = "InvalidKMSResourceException"


class StreamKey:
    """One delivery stream's encryption state: the Describe view plus the grant and data-key timer."""

    __slots__ = ("view", "grant", "key_arn", "data_key_until", "changes", "task")

    def __init__(self) -> None:
        self.view: dict[str, Any] = {"Status": "DISABLED"}
        self.grant: tuple[str, str] | None = None  # (key ARN, grant id) Firehose holds
        self.key_arn: str | None = None  # the customer key records are encrypted with, when ENABLED
        self.data_key_until = 0.0
        self.changes: list[float] = []
        self.task: Any = None


class FirehoseEncryption:
    """SSE for one ``LabFirehoseBackend`` (one account and Region); each stream keeps its ``StreamKey``."""

    __slots__ = ("backend",)

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    # -- control plane ------------------------------------------------------------------------------
    def _count_change(self, stream: Any, state: StreamKey, now: float) -> None:
        window = 86_400.0
        state.changes = [t for t in state.changes if t > now - window]
        if len(state.changes) >= quotas.FIREHOSE_SSE_CHANGES_PER_DAY:
            raise E.LimitExceededError(
                f"You have exceeded the limit of {int(quotas.FIREHOSE_SSE_CHANGES_PER_DAY)} StartDeliveryStreamEncryption "
                f"and StopDeliveryStreamEncryption calls for Firehose {stream.delivery_stream_name} in 24 hours.")
        state.changes.append(now)

    def _changeable(self, stream: Any, state: StreamKey) -> None:
        if stream.delivery_stream_type != "DirectPut":
            raise E.InvalidArgumentError(
                "This operation is not permitted on KinesisStreamAsSource delivery stream type: server-side encryption "
                "is only for DirectPut streams; a stream-sourced one uses the source stream's encryption.")
        if stream.status not in ("ACTIVE", "CREATING"):
            raise E.ResourceInUseError(f"Firehose {stream.delivery_stream_name} is {stream.status}.")
        if state.view["Status"] in ("ENABLING", "DISABLING"):
            raise E.ResourceInUseError(
                f"Firehose {stream.delivery_stream_name}'s encryption is {state.view['Status']}: wait until it is "
                "ENABLED, DISABLED or ENABLING_FAILED (DescribeDeliveryStream).")

    def start(self, stream: Any, config: dict[str, Any] | None, count: bool = True) -> None:
        state = stream.encryption
        self._changeable(stream, state)
        config = config or {}
        key_type = config.get("KeyType") or "AWS_OWNED_CMK"
        key_arn = config.get("KeyARN")
        if key_type == "CUSTOMER_MANAGED_CMK" and not key_arn:
            raise E.InvalidArgumentError("KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK.")
        if key_type == "AWS_OWNED_CMK" and key_arn:
            raise E.InvalidArgumentError("KeyARN must not be given when KeyType is AWS_OWNED_CMK.")
        now = self.backend.clock.now()
        if count:
            self._count_change(stream, state, now)
        previous = (dict(state.view), state.grant, state.key_arn)
        failure = grant = None
        if key_type == "CUSTOMER_MANAGED_CMK":
            failure, grant = self._create_grant(key_arn, now)
        state.view = {"KeyType": key_type, "Status": "ENABLING", **({"KeyARN": key_arn} if key_arn else {})}

        def settle() -> None:
            state.task = None
            if failure is not None:
                old_view, old_grant, old_key = previous
                if old_view["Status"] == "ENABLED":  # a failed change of key keeps the old one
                    state.view = {**old_view, "Status": "ENABLED", "FailureDescription": failure}
                else:
                    state.view = {"KeyType": key_type, "Status": "ENABLING_FAILED", "KeyARN": key_arn,
                                  "FailureDescription": failure}
                return
            self._retire(state, now)
            state.grant, state.key_arn, state.data_key_until = grant, (key_arn if grant else None), 0.0
            state.view = {"KeyType": key_type, "Status": "ENABLED", **({"KeyARN": key_arn} if key_arn else {})}

        state.task = self.backend.clock.call_later(float(quotas.FIREHOSE_SSE_TRANSITION_SECONDS), settle,
                                                   name=f"firehose-sse:{stream.delivery_stream_name}")

    def stop(self, stream: Any) -> None:
        state = stream.encryption
        self._changeable(stream, state)
        now = self.backend.clock.now()
        self._count_change(stream, state, now)
        if state.view["Status"] in ("DISABLED",):
            return
        state.view = {**{k: v for k, v in state.view.items() if k != "FailureDescription"}, "Status": "DISABLING"}

        def settle() -> None:
            state.task = None
            self._retire(state, self.backend.clock.now())
            state.key_arn = None
            state.view = {"Status": "DISABLED"}

        state.task = self.backend.clock.call_later(float(quotas.FIREHOSE_SSE_TRANSITION_SECONDS), settle,
                                                   name=f"firehose-sse:{stream.delivery_stream_name}")

    def _create_grant(self, key_arn: str, now: float) -> tuple[dict[str, str] | None, tuple[str, str] | None]:
        """Firehose's grant on the customer key, made with the caller's permissions."""
        backend = self.backend
        try:
            key = kms.find_key(backend.account_id, backend.region_name, key_arn, service="firehose")
            kms.use_key(backend.context, key, None, "CreateGrant", "firehose", backend.region_name, now)
        except kms.KmsProblem as problem:
            return {"Type": FAILURE_TYPES[problem.error_type], "Details": problem.message}, None
        caller = iam.current()
        for action in ("kms:DescribeKey", "kms:CreateGrant"):
            decision = iam.decide(backend.context, caller, action, key.arn, resource_policy=key.policy,
                                  via=f"firehose.{backend.region_name}.amazonaws.com", policy_required=True,
                                  extra={"kms:calleraccount": caller.account_id} if caller else None)
            if not decision.allowed:
                return {"Type": "CREATE_KMS_GRANT_FAILED",
                        "Details": iam.denial_message(caller.arn, action, key.arn, decision.reason)}, None  # type: ignore[union-attr]
        kms_backend = iam.principals.backends("kms")[key.account_id][key.region]
        grant_id, _ = kms_backend.create_grant(key.id, SERVICE, GRANT_OPERATIONS, "firehose-sse", {}, SERVICE)
        return None, (key.arn, grant_id)

    def _retire(self, state: StreamKey, now: float) -> None:
        if state.grant is None:
            return
        key_arn, grant_id = state.grant
        state.grant = None
        key = iam.find_key("", "", key_arn)
        if key is None or grant_id not in getattr(key, "grants", {}):
            return
        iam.principals.backends("kms")[key.account_id][key.region].retire_grant(key.id, grant_id, None)
        kms.count(self.backend.context, key.arn, "RetireGrant")

    def delete(self, stream: Any) -> None:
        """DeleteDeliveryStream: Firehose retires its grant."""
        state = stream.encryption
        if state.task is not None:
            state.task.cancel()
        self._retire(state, self.backend.clock.now())

    # -- data plane ---------------------------------------------------------------------------------
    def check_put(self, stream: Any, now: float) -> None:
        """Raise ``InvalidKMSResourceException`` when a put cannot get its data key (customer keys only)."""
        state = stream.encryption
        if state.key_arn is None or now < state.data_key_until:
            return
        backend = self.backend
        try:
            key = kms.find_key(backend.account_id, backend.region_name, state.key_arn, service="firehose")
            if state.grant is None or state.grant[1] not in getattr(key, "grants", {}):
                raise kms.KmsProblem("KMSAccessDeniedException", "Firehose's grant on the key was revoked.")
            kms.use_key(backend.context, key, None, "GenerateDataKey", "firehose", backend.region_name, now)
        except kms.KmsProblem as problem:
            raise InvalidKMSResourceError(f"{problem.error_type.replace('KMS', 'KMS.', 1)}: {problem.message}") from None
        state.data_key_until = now + float(quotas.FIREHOSE_SSE_DATA_KEY_REUSE_SECONDS)

    @staticmethod
    def encrypted(stream: Any) -> bool:
        return stream.encryption.view["Status"] == "ENABLED"
