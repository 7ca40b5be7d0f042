"""The one place labsim touches moto's internals (layer 0).

moto is pinned to one exact version (see pyproject.toml). Each internal used here has a contract
test in ``tests/test_moto_contract.py``, so a moto upgrade that moves one fails loudly there, not
somewhere deep inside a lesson.

Internals relied on:
- ``moto.mock_aws`` with ``config={"core": {"mock_credentials": False}}``: start/stop and reset of
  every backend, without moto writing fake keys into ``os.environ`` (labsim.safety supplies them).
- ``moto.core.models.botocore_stubber.process_request(request)``: serve one botocore request, and
  ``botocore_stubber.enabled``, which labsim turns off so moto's handler does not serve it twice.
- ``moto.core.utils.utcnow``: moto's clock; replaced (also where modules imported it by name).
- ``moto.moto_api._internal.mock_random``: moto's random source (ids, ARNs); seeded per lab.
- ``moto.backends.get_backend(service)``: the BackendDict of a service.
- ``moto.iam.models.get_account_id_from(access_key)``: the account a request is served from.
- IAM backends' ``access_keys`` and STS backends' ``assumed_roles[].access_key_id``: the keys a lab
  issued, refused once it stops (``issued_access_keys``).
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from typing import Any, Callable

import moto
import moto.core.models as _core_models
from moto.core.exceptions import JsonRESTError
from werkzeug.exceptions import HTTPException
import moto.core.utils as _core_utils
from moto.moto_api._internal import mock_random

MOTO_VERSION = "5.2.5"
#: moto's default account: the lab's account, and the one any unknown access key resolves to.
DEFAULT_ACCOUNT_ID = "123456789012"

#: Services a lab preloads so the first call in a lesson is not slowed by moto's lazy imports.
PRELOADED_SERVICES = ("kinesis", "firehose", "s3", "dynamodb", "cloudwatch", "iam", "kms", "sts", "logs")

_original_utcnow: Callable[[], _dt.datetime] = _core_utils.utcnow
_mock: Any = None


def check_version() -> None:
    if moto.__version__ != MOTO_VERSION:
        raise ImportError(
            f"labsim needs moto=={MOTO_VERSION} but moto {moto.__version__} is installed. "
            f"Reinstall the course's dependencies: python course.py test (or pip install -e .)"
        )


def start(seed: int) -> None:
    """Start moto with every backend empty, moto's randomness seeded and no env-var credentials."""
    global _mock
    if _mock is not None:
        raise RuntimeError("moto is already started by another lab")
    for service in PRELOADED_SERVICES:
        get_backend(service)
    mock_random.seed(seed)
    _mock = moto.mock_aws(config={"core": {"mock_credentials": False, "reset_boto3_session": True}})
    _mock.start(reset=True)
    # botocore calls *every* before-send handler (it does not stop at the first answer), so moto's
    # own stubber would serve each request a second time. labsim's router calls
    # ``process_request`` itself; the stubber's handler is switched off.
    _core_models.botocore_stubber.enabled = False
    mock_random.seed(seed)


def stop() -> None:
    global _mock
    if _mock is None:
        return
    try:
        _mock.stop(remove_data=True)
    finally:
        _mock = None


def serve(request: Any) -> tuple[int, dict[str, str], Any] | None:
    """Let moto answer a botocore request; ``None`` if no moto backend matches its URL."""
    return _core_models.botocore_stubber.process_request(request)


def account_for_access_key(access_key: str) -> str:
    """The account moto serves a request signed with ``access_key`` from (IAM keys map to theirs)."""
    import os

    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key)


def issued_access_keys() -> set[str]:
    """Every access key the lab's IAM and STS handed out (users' keys, assumed-role sessions)."""
    keys: set[str] = set()
    for account in list(get_backend("iam").values()):
        for backend in list(account.values()):
            keys.update(getattr(backend, "access_keys", {}) or {})
    for account in list(get_backend("sts").values()):
        for backend in list(account.values()):
            keys.update(role.access_key_id for role in getattr(backend, "assumed_roles", []))
    return keys


def get_backend(service: str) -> Any:
    """moto's BackendDict for ``service`` (e.g. ``get_backend('kinesis')[account][region]``)."""
    from moto.backends import get_backend as _get

    return _get(service)  # type: ignore[call-overload]


# --- time ------------------------------------------------------------------------------------------
def patch_time(now: Callable[[], float]) -> None:
    """Make moto's timestamps follow ``now()`` (epoch seconds)."""

    def lab_utcnow() -> _dt.datetime:
        return _dt.datetime.fromtimestamp(now(), tz=_dt.timezone.utc).replace(tzinfo=None)

    lab_utcnow.__labsim__ = True  # type: ignore[attr-defined]
    _replace_everywhere(_current_utcnow(), lab_utcnow)


def unpatch_time() -> None:
    current = _current_utcnow()
    if current is not _original_utcnow:
        _replace_everywhere(current, _original_utcnow)


def _current_utcnow() -> Callable[[], _dt.datetime]:
    return _core_utils.utcnow


def _replace_everywhere(old: Any, new: Any) -> None:
    # Modules that did ``from moto.core.utils import utcnow`` hold their own reference to it.
    # Modules imported later pick up whatever ``moto.core.utils.utcnow`` is at that moment.
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "moto" or name.startswith("moto.")):
            continue
        namespace = getattr(module, "__dict__", None)
        if not namespace:
            continue
        for attr, value in list(namespace.items()):
            if value is old:
                setattr(module, attr, new)


# --- errors ---------------------------------------------------------------------------------------
class LabJsonError(JsonRESTError):
    """A JSON-protocol service error that moto's response classes and labsim's pipeline both render.

    ``error_type`` (the AWS code), ``message``, ``code`` (HTTP status). Physics subclass it per service
    (``labsim.streams.errors.KinesisError``, ``labsim.firehose.errors.FirehoseError``).
    """

    error_type_default = "InternalFailure"
    code = 400

    def __init__(self, message: str, error_type: str | None = None) -> None:
        # JsonRESTError.__init__ also renders an XML body that is never used; skip it (throttling
        # errors are raised on the hot path).
        HTTPException.__init__(self)
        self.error_type = error_type or self.error_type_default
        self.message = message
        self.description = json.dumps({"__type": self.error_type, "message": message})
        self.content_type = "application/json"

    def __str__(self) -> str:
        return f"{self.error_type}: {self.message}"


# --- backend subclasses ----------------------------------------------------------------------------
class LabBackendMixin:
    """Mix into a subclass of a moto backend so moto still finds the service's URL table.

    moto derives the URL module from the backend class's module name (``moto.kinesis.models`` ->
    ``moto.kinesis.urls``); a subclass living in labsim must point back at moto's.
    """

    moto_service: str = ""
    #: The lab's ``LabContext`` (clock, account, Region, seed), bound by ``swap_backend_class``.
    context: Any = None

    @property
    def _url_module(self) -> Any:
        import importlib

        return importlib.import_module(f"moto.{self.moto_service}.urls")


def swap_backend_class(service: str, cls: type, context: Any = None, **attributes: Any) -> Callable[[], None]:
    """Serve ``service`` with ``cls`` (a subclass of moto's backend) until the returned undo is called.

    moto builds backends itself, one per account and Region, from ``(region_name, account_id)``; the
    lab's ``context`` (``labsim.context.LabContext``) reaches them as the class attribute ``context``
    of a per-lab subclass (with any other ``attributes`` the physics hands its backends, such as
    CloudWatch's publishers), so no backend has to look the running lab up. Backends already built are
    dropped, so every account and Region gets a fresh instance.
    """
    backend_dict = get_backend(service)
    original = backend_dict.backend
    if not issubclass(cls, original):
        raise TypeError(f"{cls.__name__} must subclass moto's {original.__name__}")
    if context is not None or attributes:
        bound = {"context": context, "__module__": cls.__module__, "__qualname__": cls.__qualname__, **attributes}
        cls = type(cls.__name__, (cls,), bound)
    backend_dict.backend = cls
    backend_dict.clear()

    def undo() -> None:
        backend_dict.backend = original
        backend_dict.clear()

    return undo
