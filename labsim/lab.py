"""The Lab: a simulated AWS account, in-process and offline, with its own clock.

>>> from labsim import Lab
>>> with Lab() as lab:
...     kinesis = lab.client("kinesis")
...     _ = kinesis.create_stream(StreamName="demo", ShardCount=1)
...     lab.clock.advance(30)
...     kinesis.describe_stream_summary(StreamName="demo")["StreamDescriptionSummary"]["StreamStatus"]
1767225630.0
'ACTIVE'

One lab runs at a time. It can be used with ``with`` or started in one notebook cell and stopped
in another (``lab = Lab().start()`` ... ``lab.stop()``). While it runs:

- every boto3 client, including a learner's plain ``boto3.client("kinesis")``, is served in-process
  by moto plus labsim's physics (``labsim.transport``);
- nothing can reach the network and only fake credentials are used (``labsim.safety``);
- ``time.sleep`` on the lab's own threads moves simulated time instead of waiting, so botocore's
  retry back-off and boto3 waiters return at once (``labsim.clock``);
- moto's timestamps follow the lab clock.

After ``stop()`` nothing of the lab is left patched.
"""

from __future__ import annotations

import atexit
import threading
import time as _time
from typing import Any, Callable, Protocol

import boto3

from . import _moto, jitter
from .clock import Clock, make_clock, real_sleep
from .context import LabContext
from .faults import Faults
from .network import Network
from .safety import FAKE_ACCESS_KEY, FAKE_SECRET_KEY, guard
from .transport import router
from .validation import ModelGuard

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = _moto.DEFAULT_ACCOUNT_ID


class LabError(RuntimeError):
    """The lab was used in a way it cannot support; the message says how to fix it."""


class Physics(Protocol):
    """What a layer-1 service module gives the lab; listed by name in ``labsim.PHYSICS``."""

    name: str

    def start(self, lab: "Lab") -> None: ...

    def stop(self, lab: "Lab") -> None: ...


_active: "Lab | None" = None
_active_lock = threading.Lock()


def _physics_classes() -> list[Callable[[], Physics]]:
    # The package facade lists the layer-1 physics by name (``labsim.PHYSICS``); Lab sits in layer 0
    # and names no layer-1 module itself. Importing a physics module has no side effect.
    import labsim

    return labsim.physics_classes()


def current_lab() -> "Lab | None":
    """The running lab, or ``None``."""
    return _active


def require_lab() -> "Lab":
    if _active is None:
        raise LabError("no lab is running: start one with `lab = Lab().start()` or `with Lab() as lab:`")
    return _active


class Lab:
    """A simulated AWS account with its own clock. See the module docstring."""

    def __init__(
        self,
        clock: str | Clock = "virtual",
        *,
        region: str = DEFAULT_REGION,
        start_time: float | None = None,
        seed: int = 0,
    ) -> None:
        if not isinstance(region, str) or not region:
            raise ValueError(f"region must be a Region name such as 'us-east-1', got {region!r}")
        self.region = region
        self.account_id = DEFAULT_ACCOUNT_ID
        self.seed = seed
        self._clock_arg = clock
        self._start_time = start_time
        self.clock: Clock = make_clock(clock, start_time)
        #: What this lab hands to every service it runs (clock, account, Region, seed).
        self.context = LabContext(self.clock, self.account_id, self.region, seed)
        #: Opt-in fault injection (``lab.faults.inject("PutRecords", "InternalFailure", rate=0.1)``).
        self.faults = self.context.faults = Faults(self.context)
        #: Where the lab's code runs and how long requests travel (``lab.network.place(...)``; ideal by default).
        self.network = self.context.network = Network(self.context)
        self.physics: dict[str, Physics] = {}
        self.running = False
        self._saved_sleep: Any = None
        self._undo_guards: list[Callable[[], None]] = []

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> "Lab":
        global _active
        with _active_lock:
            if self.running:
                return self
            if _active is not None:
                raise LabError(
                    "another lab is already running. Stop it first (`lab.stop()`, or "
                    "`labsim.Lab.stop_running()` if you lost the variable), then start this one."
                )
            _moto.check_version()
            physics_classes = _physics_classes()
            if self.clock.failures or self.clock.closed:
                self.clock = make_clock(self._clock_arg, self._start_time)
            self.clock.adopt_thread()
            self.context = LabContext(self.clock, self.account_id, self.region, self.seed)
            self.faults = self.context.faults = Faults(self.context)
            self.network = self.context.network = Network(self.context)
            try:
                guard.install(self.region)
                _moto.start(self.seed)
                _moto.patch_time(self.clock.now)
                self._patch_sleep()
                jitter.install(self.context.rng("retry-jitter"))
                router.default_region = self.region
                router.seed_request_ids(self.context.rng("request-ids"))
                self._undo_guards = [router.add_guard(ModelGuard(), "model"), router.add_guard(self.faults, "faults")]
                router.active = True
                _active = self
                self.running = True
                for factory in physics_classes:
                    physics = factory()
                    self.physics[physics.name] = physics
                    physics.start(self)
            except BaseException:
                self._teardown()
                raise
        return self

    def stop(self) -> None:
        with _active_lock:
            if not self.running:
                return
            self._teardown()

    def _teardown(self) -> None:
        global _active
        errors: list[BaseException] = []
        for physics in reversed(list(self.physics.values())):
            try:
                physics.stop(self)
            except Exception as exc:  # keep tearing down; report afterwards
                errors.append(exc)
        self.physics.clear()
        router.active = False
        while self._undo_guards:
            self._undo_guards.pop()()
        router.reset()
        jitter.remove()
        self._unpatch_sleep()
        _moto.unpatch_time()
        try:  # remember the keys this lab issued: a client using one after stop() is refused, not sent
            router.lab_keys.update(_moto.issued_access_keys())
        except Exception:  # noqa: BLE001 - a teardown must finish; the lab's own key is refused anyway
            pass
        _moto.stop()
        guard.remove()
        self.clock.close()
        self.running = False
        if _active is self:
            _active = None
        if errors:
            raise LabError(f"errors while stopping the lab: {errors!r}")

    def __enter__(self) -> "Lab":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @staticmethod
    def stop_running() -> None:
        """Stop whatever lab is running (handy after losing the variable in a notebook)."""
        if _active is not None:
            _active.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Lab {state} region={self.region} clock={self.clock.mode} t={self.clock.now():.3f}>"

    # -- clients ----------------------------------------------------------------------------
    def client(self, service: str, region_name: str | None = None, *, role_arn: str | None = None,
               role_session_name: str = "lab", **kwargs: Any) -> Any:
        """A boto3 client served by this lab (region defaults to the lab's).

        ``role_arn=`` is a shorthand for ``sts.assume_role`` with the lab's STS (as the administrator,
        or as the identity whose ``aws_access_key_id``/``aws_secret_access_key`` are given): the role's
        trust policy decides, and the client is signed with the session's temporary credentials.
        """
        if not self.running:
            raise LabError("the lab is not running: call lab.start() (or use `with Lab() as lab:`) first")
        if "endpoint_url" in kwargs:
            raise LabError("lab clients take no endpoint_url: every call is answered in-process")
        if role_arn is not None:
            if not (isinstance(role_arn, str) and role_arn.startswith("arn:") and ":role/" in role_arn):
                raise ValueError(f"role_arn must be a role's ARN such as 'arn:aws:iam::123456789012:role/producer', got {role_arn!r}")
            if "aws_session_token" in kwargs and "aws_access_key_id" not in kwargs:
                raise ValueError("aws_session_token needs aws_access_key_id and aws_secret_access_key with it")
            caller = {k: kwargs.pop(k) for k in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token") if k in kwargs}
            sts = self.client("sts", region_name, **caller)
            session = sts.assume_role(RoleArn=role_arn, RoleSessionName=role_session_name)["Credentials"]
            kwargs.update(aws_access_key_id=session["AccessKeyId"], aws_secret_access_key=session["SecretAccessKey"],
                          aws_session_token=session["SessionToken"])
        kwargs.setdefault("aws_access_key_id", FAKE_ACCESS_KEY)
        kwargs.setdefault("aws_secret_access_key", FAKE_SECRET_KEY)
        return boto3.session.Session().client(service, region_name=region_name or self.region, **kwargs)

    def backend(self, service: str, region_name: str | None = None) -> Any:
        """The (labsim-subclassed) moto backend serving ``service`` in this account and Region."""
        return _moto.get_backend(service)[self.account_id][region_name or self.region]

    # -- time -------------------------------------------------------------------------------
    def _patch_sleep(self) -> None:
        clock = self.clock
        self._saved_sleep = _time.sleep

        def lab_sleep(seconds: float) -> None:
            if clock.owns_current_thread():
                clock.sleep(seconds)
            else:
                real_sleep(seconds)

        lab_sleep.__labsim__ = True  # type: ignore[attr-defined]
        _time.sleep = lab_sleep  # type: ignore[assignment]

    def _unpatch_sleep(self) -> None:
        if self._saved_sleep is not None:
            _time.sleep = self._saved_sleep  # type: ignore[assignment]
            self._saved_sleep = None


atexit.register(Lab.stop_running)
