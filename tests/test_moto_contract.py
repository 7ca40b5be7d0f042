"""Contract tests: every moto/botocore internal labsim relies on (see labsim/_moto.py).

If a dependency upgrade breaks one of these, fix labsim._moto (or labsim.transport) first.
"""

from __future__ import annotations

import json
import os

import boto3
import moto
import pytest
from botocore.handlers import BUILTIN_HANDLERS

from labsim import _moto
from labsim.transport import router


def test_moto_is_the_pinned_version():
    assert moto.__version__ == _moto.MOTO_VERSION


def test_mock_aws_without_mock_credentials_leaves_the_environment_alone(monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    mock = moto.mock_aws(config={"core": {"mock_credentials": False, "reset_boto3_session": True}})
    mock.start()
    try:
        assert "AWS_ACCESS_KEY_ID" not in os.environ
    finally:
        mock.stop()


def test_botocore_stubber_has_process_request_and_an_enabled_switch():
    from moto.core.models import botocore_stubber

    assert callable(botocore_stubber.process_request)
    assert hasattr(botocore_stubber, "enabled")
    assert ("before-send", botocore_stubber) in [tuple(e[:2]) for e in BUILTIN_HANDLERS]


def test_botocore_calls_every_before_send_handler():
    # This is why labsim switches moto's own stubber off: botocore does not stop at the first answer.
    import botocore.session

    calls = []
    session = botocore.session.Session()
    client = session.create_client("sts", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    client.meta.events.unregister("before-send", router)

    def first(request, **kwargs):
        calls.append("first")
        from botocore.awsrequest import AWSResponse

        from labsim.transport import _RawBody

        body = b"<GetCallerIdentityResponse><GetCallerIdentityResult><Account>1</Account></GetCallerIdentityResult></GetCallerIdentityResponse>"
        return AWSResponse(request.url, 200, {}, _RawBody(body))

    def second(request, **kwargs):
        calls.append("second")
        return None

    client.meta.events.register_first("before-send", first)
    client.meta.events.register_first("before-send", second)
    client.get_caller_identity()
    assert sorted(calls) == ["first", "second"], "both handlers ran although the first answered"


def test_utcnow_is_imported_by_name_in_the_modules_we_patch():
    import moto.core.utils
    import moto.kinesis.models

    assert callable(moto.core.utils.utcnow)
    assert moto.kinesis.models.utcnow is moto.core.utils.utcnow
    assert moto.kinesis.models.unix_time is moto.core.utils.unix_time


def test_patch_time_reaches_modules_that_imported_utcnow():
    import moto.kinesis.models

    _moto.patch_time(lambda: 0.0)
    try:
        assert moto.kinesis.models.utcnow().year == 1970
        import moto.core.utils

        assert moto.core.utils.unix_time() == 0.0, "unix_time() reads the patched utcnow"
    finally:
        _moto.unpatch_time()
    assert moto.kinesis.models.utcnow().year >= 2025


def test_mock_random_is_seedable():
    from moto.moto_api._internal import mock_random

    mock_random.seed(7)
    a = mock_random.get_random_hex(16)
    mock_random.seed(7)
    assert mock_random.get_random_hex(16) == a


def test_backend_dict_builds_instances_from_its_backend_attribute():
    from moto.kinesis.models import KinesisBackend

    backends = _moto.get_backend("kinesis")
    assert backends.backend is KinesisBackend

    class Sub(_moto.LabBackendMixin, KinesisBackend):
        moto_service = "kinesis"

    undo = _moto.swap_backend_class("kinesis", Sub)
    try:
        instance = backends["123456789012"]["us-east-1"]
        assert isinstance(instance, Sub)
        assert instance.urls, "moto still finds the URL table for a labsim subclass"
    finally:
        undo()
    assert isinstance(backends["123456789012"]["us-east-1"], KinesisBackend)
    assert backends.backend is KinesisBackend


def test_swap_backend_class_refuses_a_non_subclass():
    with pytest.raises(TypeError, match="subclass"):
        _moto.swap_backend_class("kinesis", dict)


def test_base_backend_derives_its_url_module_from_the_class_module():
    from moto.core.base_backend import BaseBackend

    assert isinstance(BaseBackend.__dict__["_url_module"], property)


def test_mock_aws_start_reset_empties_backends():
    with moto.mock_aws():
        boto3.client("kinesis", region_name="us-east-1").create_stream(StreamName="a", ShardCount=1)
    with moto.mock_aws():
        assert boto3.client("kinesis", region_name="us-east-1").list_streams()["StreamNames"] == []


def test_json_rest_error_carries_what_the_pipeline_renders():
    # labsim.streams.errors subclasses JsonRESTError; moto renders it for the operations moto serves
    # and labsim's codecs read error_type / message / code.
    from moto.core.exceptions import JsonRESTError

    from labsim.streams.errors import InvalidArgumentError

    err = InvalidArgumentError("bad")
    assert isinstance(err, JsonRESTError)
    assert (err.error_type, err.message, err.code) == ("InvalidArgumentException", "bad", 400)
    assert json.loads(err.description) == {"__type": "InvalidArgumentException", "message": "bad"}


def test_moto_resolves_an_unknown_access_key_to_the_default_account():
    from moto.iam.models import get_account_id_from

    from labsim import _moto

    assert get_account_id_from("AKIANOTKNOWNANYWHERE") == _moto.DEFAULT_ACCOUNT_ID
    assert _moto.account_for_access_key("AKIANOTKNOWNANYWHERE") == _moto.DEFAULT_ACCOUNT_ID


def test_overridden_backend_methods_accept_the_calls_moto_still_makes():
    # Operations labsim does not serve itself go through moto's KinesisResponse, which calls the
    # backend with moto's own signature: every method labsim overrides for them must accept it.
    import inspect

    from moto.kinesis.models import KinesisBackend
    from moto.kinesis.responses import KinesisResponse

    from labsim.streams.api import OPERATIONS, snake
    from labsim.streams.backend import LabKinesisBackend

    served_by_labsim = {snake(op) for op in OPERATIONS}
    checked = 0
    for name, ours in vars(LabKinesisBackend).items():
        theirs = getattr(KinesisBackend, name, None)
        if not callable(ours) or theirs is None or name.startswith("_") or name in served_by_labsim:
            continue
        if not hasattr(KinesisResponse, name):
            continue  # no response method of moto reaches it
        params = [p for p in inspect.signature(theirs).parameters.values() if p.name != "self"]
        positional = [object()] * len([p for p in params if p.default is inspect.Parameter.empty])
        inspect.signature(ours).bind(None, *positional)  # raises TypeError if moto's call would fail
        checked += 1
    assert checked >= 3, "expected labsim to override some of the operations moto still serves"


# --- botocore internals labsim relies on (same rule: one failing test per moved internal) ----------
def test_botocore_hands_the_request_context_with_params_and_model_to_before_send():
    import botocore.session

    seen = {}

    def capture(params=None, model=None, context=None, **kwargs):
        context["probe"] = (params, model.name)

    def answer(request, **kwargs):
        seen["context"] = request.context.get("probe")
        from botocore.awsrequest import AWSResponse
        from io import BytesIO

        class Raw(BytesIO):
            def stream(self, **kw):
                yield self.read()

        return AWSResponse(request.url, 200, {}, Raw(b'{"StreamNames":[],"HasMoreStreams":false}'))

    client = botocore.session.Session().create_client("kinesis", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    client.meta.events.register("before-parameter-build.kinesis.ListStreams", capture)
    client.meta.events.register_first("before-send.kinesis.ListStreams", answer)
    client.list_streams(Limit=3)
    assert seen["context"] == ({"Limit": 3}, "ListStreams")


def test_botocore_retry_jitter_comes_from_the_attributes_labsim_replaces():
    import botocore.retries.standard as standard
    import botocore.retryhandler as legacy

    assert callable(standard.ExponentialBackoff.delay_amount)
    backoff = standard.ExponentialBackoff()
    assert backoff._random is not None  # the standard mode draws from self._random
    assert legacy.random is not None and hasattr(legacy.random, "random")  # the legacy mode: module global


def test_botocore_decides_on_configured_endpoints_in_one_method():
    import inspect

    import botocore.args

    method = botocore.args.ClientArgsCreator._ignore_configured_endpoint_urls
    assert list(inspect.signature(method).parameters) == ["self", "client_config"]


def test_swap_backend_class_binds_the_lab_context_and_extra_attributes():
    from moto.cloudwatch.models import CloudWatchBackend

    from labsim import _moto

    class Probe(_moto.LabBackendMixin, CloudWatchBackend):
        moto_service = "cloudwatch"

    marker = object()
    undo = _moto.swap_backend_class("cloudwatch", Probe, context=marker, publishers=["p"])
    try:
        backend = _moto.get_backend("cloudwatch")["123456789012"]["us-east-1"]
        assert isinstance(backend, Probe) and backend.context is marker and backend.publishers == ["p"]
    finally:
        undo()
    assert not isinstance(_moto.get_backend("cloudwatch")["123456789012"]["us-east-1"], Probe)


def test_moto_lambda_keeps_what_labsim_awslambda_runs():
    """labsim.awslambda reads a function's zip and settings from moto's LambdaFunction (no Docker)."""
    import io
    import zipfile

    from labsim import Lab

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(e, c):\n    return e\n")
    with Lab() as lab:
        role = lab.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": []}))["Role"]["Arn"]
        lab.client("lambda").create_function(FunctionName="f", Runtime="python3.12", Role=role, Handler="index.handler",
                                             Code={"ZipFile": buf.getvalue()}, Timeout=7, MemorySize=256,
                                             Environment={"Variables": {"K": "v"}})
        fn = lab.backend("lambda").get_function("f", None)
        assert fn.code_bytes == buf.getvalue() and fn.code_sha_256
        assert (fn.handler, fn.timeout, fn.memory_size, fn.environment_vars) == ("index.handler", 7, 256, {"K": "v"})
        assert fn.function_arn.endswith(":function:f") and str(fn.version) == "$LATEST"
