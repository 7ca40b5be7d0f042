"""Lambda in the lab through plain boto3: the learner's handler runs in-process, as Lambda answers."""

from __future__ import annotations

import base64
import io
import json
import textwrap
import zipfile

import pytest
from botocore.exceptions import ClientError

from labsim import quotas
from labsim.awslambda import invoke_in_process

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def zip_of(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, textwrap.dedent(text))
    return buf.getvalue()


def role(lab) -> str:
    iam = lab.client("iam")
    try:
        return iam.get_role(RoleName="fn-role")["Role"]["Arn"]
    except ClientError:
        return iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]


def make(lab, source: str, name="fn", timeout=60, files=None, **kw):
    lam = lab.client("lambda")
    code = zip_of({"index.py": source, **(files or {})})
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role(lab), Handler="index.handler",
                        Code={"ZipFile": code}, Timeout=timeout, **kw)
    return lam


def log_messages(lab, name="fn"):
    logs = lab.client("logs")
    out = []
    for s in logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]:
        out += [e["message"] for e in logs.get_log_events(logGroupName=f"/aws/lambda/{name}",
                                                          logStreamName=s["logStreamName"])["events"]]
    return out


def test_the_issue_contract_runs_the_handler_in_process(lab):
    lam = make(lab, """
        import json
        def handler(event, context):
            print("got", event["n"])
            return {"double": event["n"] * 2, "name": context.function_name,
                    "left": context.get_remaining_time_in_millis(), "arn": context.invoked_function_arn,
                    "mem": context.memory_limit_in_mb, "version": context.function_version,
                    "group": context.log_group_name, "stream": context.log_stream_name, "id": context.aws_request_id}
    """)
    r = lam.invoke(FunctionName="fn", Payload=json.dumps({"n": 21}))
    assert r["StatusCode"] == 200 and "FunctionError" not in r
    assert r["ExecutedVersion"] == "$LATEST"
    out = json.loads(r["Payload"].read())
    assert out["double"] == 42 and out["name"] == "fn" and out["mem"] == 128 and out["version"] == "$LATEST"
    assert out["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:fn"
    assert 0 < out["left"] <= 60_000 and out["group"] == "/aws/lambda/fn"
    messages = log_messages(lab)
    assert messages[0] == f"START RequestId: {out['id']} Version: $LATEST"
    assert "got 21" in messages
    assert messages[-2] == f"END RequestId: {out['id']}"
    assert messages[-1].startswith(f"REPORT RequestId: {out['id']}\tDuration: ")
    assert out["stream"] in {s["logStreamName"] for s in lab.client("logs").describe_log_streams(
        logGroupName="/aws/lambda/fn")["logStreams"]}


def test_request_ids_follow_the_lab_seed():
    from labsim import Lab

    ids = []
    for _ in range(2):
        with Lab(seed=7) as lab:
            lam = make(lab, "def handler(e, c):\n    return c.aws_request_id\n")
            ids.append([json.loads(lam.invoke(FunctionName="fn")["Payload"].read()) for _ in range(2)])
    assert ids[0] == ids[1] and ids[0][0] != ids[0][1]


def test_an_exception_comes_back_as_lambda_returns_it(lab):
    lam = make(lab, """
        def helper(x):
            raise ValueError(f"bad value {x}")
        def handler(event, context):
            return helper(event["x"])
    """)
    r = lam.invoke(FunctionName="fn", Payload=b'{"x": 3}', LogType="Tail")
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled"
    body = json.loads(r["Payload"].read())
    assert body["errorType"] == "ValueError" and body["errorMessage"] == "bad value 3"
    assert any('/var/task/index.py' in frame and "helper" in frame for frame in body["stackTrace"])
    tail = base64.b64decode(r["LogResult"]).decode()
    assert "[ERROR] ValueError: bad value 3" in tail and "REPORT RequestId" in tail


def test_module_state_survives_in_a_warm_environment_and_helpers_import_from_the_zip(lab):
    lam = make(lab, """
        import helper
        calls = 0
        def handler(event, context):
            global calls
            calls += 1
            return [calls, helper.shout(event)]
    """, files={"helper.py": "def shout(s):\n    return s.upper()\n"})
    assert json.loads(lam.invoke(FunctionName="fn", Payload=b'"a"')["Payload"].read()) == [1, "A"]
    assert json.loads(lam.invoke(FunctionName="fn", Payload=b'"b"')["Payload"].read()) == [2, "B"]


def test_two_functions_may_both_have_an_index_module(lab):
    lam = make(lab, "def handler(e, c):\n    return 'one'\n", name="one")
    make(lab, "def handler(e, c):\n    return 'two'\n", name="two")
    assert json.loads(lam.invoke(FunctionName="one")["Payload"].read()) == "one"
    assert json.loads(lam.invoke(FunctionName="two")["Payload"].read()) == "two"


def test_sleeping_past_the_timeout_times_out_in_simulated_time(lab):
    lam = make(lab, """
        import time
        def handler(event, context):
            before = context.get_remaining_time_in_millis()
            time.sleep(event["sleep"])
            return [before, context.get_remaining_time_in_millis()]
    """, timeout=3)
    t0 = lab.clock.now()
    before, after = json.loads(lam.invoke(FunctionName="fn", Payload=b'{"sleep": 1.5}')["Payload"].read())
    assert before - after == 1500
    r = lam.invoke(FunctionName="fn", Payload=b'{"sleep": 30}')
    assert r["FunctionError"] == "Unhandled"
    body = json.loads(r["Payload"].read())
    assert body["errorType"] == "Sandbox.Timedout" and "Task timed out after 3.00 seconds" in body["errorMessage"]
    assert lab.clock.now() == t0  # the lab's model: the clock does not move during an invocation
    assert any("Duration: 3000.00 ms" in m and "Status: timeout" in m for m in log_messages(lab))


def test_a_bare_except_cannot_swallow_the_timeout(lab):
    lam = make(lab, """
        import time
        def handler(event, context):
            try:
                time.sleep(10)
            except Exception:
                return "swallowed"
    """, timeout=1)
    assert json.loads(lam.invoke(FunctionName="fn")["Payload"].read())["errorType"] == "Sandbox.Timedout"


def test_six_mb_caps_request_and_response(lab):
    lam = make(lab, "def handler(e, c):\n    return 'x' * e\n")
    with pytest.raises(ClientError) as err:
        lam.invoke(FunctionName="fn", Payload=b'"' + b"a" * quotas.LAMBDA_SYNC_PAYLOAD_BYTES + b'"')
    assert err.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    r = lam.invoke(FunctionName="fn", Payload=str(7 * 1024 * 1024).encode())
    assert r["FunctionError"] == "Unhandled"
    assert json.loads(r["Payload"].read())["errorType"] == "Function.ResponseSizeTooLarge"
    with pytest.raises(ClientError) as err:  # Event invocations: 1 MB
        lam.invoke(FunctionName="fn", InvocationType="Event", Payload=b'"' + b"a" * (1024 * 1024) + b'"')
    assert err.value.response["Error"]["Code"] == "RequestEntityTooLargeException"


def test_event_and_dry_run(lab):
    lam = make(lab, "def handler(e, c):\n    print('event ran', e)\n")
    assert lam.invoke(FunctionName="fn", InvocationType="DryRun")["StatusCode"] == 204
    r = lam.invoke(FunctionName="fn", InvocationType="Event", Payload=b"7")
    assert r["StatusCode"] == 202 and r["Payload"].read() == b""
    groups = lab.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/fn")["logGroups"]
    assert groups == []  # queued: it runs on the lab clock's next step
    lab.clock.advance(0.001)
    assert "event ran 7" in log_messages(lab)


def test_invoke_async_queues_the_event(lab):
    lam = make(lab, "def handler(e, c):\n    print('async ran', e)\n")
    assert lam.invoke_async(FunctionName="fn", InvokeArgs=b'"z"')["Status"] == 202
    lab.clock.advance(0.001)
    assert "async ran z" in log_messages(lab)


def test_non_python_runtimes_and_images_are_refused_clearly(lab):
    lam = lab.client("lambda")
    with pytest.raises(ClientError) as err:
        lam.create_function(FunctionName="js", Runtime="nodejs20.x", Role=role(lab), Handler="index.handler",
                            Code={"ZipFile": zip_of({"index.js": "exports.handler = async () => 1;"})})
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "python3.12" in err.value.response["Error"]["Message"]


@pytest.mark.parametrize("files, handler, error", [
    ({"main.py": "def handler(e, c): pass"}, "index.handler", "Runtime.ImportModuleError"),
    ({"index.py": "def other(e, c): pass"}, "index.handler", "Runtime.HandlerNotFound"),
    ({"index.py": "def handler(e, c)\n  pass"}, "index.handler", "Runtime.UserCodeSyntaxError"),
    ({"index.py": "import no_such_package\ndef handler(e, c): pass"}, "index.handler", "Runtime.ImportModuleError"),
])
def test_code_that_cannot_load_is_an_unhandled_error(lab, files, handler, error):
    lam = lab.client("lambda")
    lam.create_function(FunctionName="fn", Runtime="python3.12", Role=role(lab), Handler=handler,
                        Code={"ZipFile": zip_of(files)})
    r = lam.invoke(FunctionName="fn")
    assert r["FunctionError"] == "Unhandled"
    assert json.loads(r["Payload"].read())["errorType"] == error


def test_updated_code_runs_in_a_new_environment(lab):
    lam = make(lab, "def handler(e, c):\n    return 1\n")
    assert json.loads(lam.invoke(FunctionName="fn")["Payload"].read()) == 1
    lam.update_function_code(FunctionName="fn", ZipFile=zip_of({"index.py": "def handler(e, c):\n    return 2\n"}))
    assert json.loads(lam.invoke(FunctionName="fn")["Payload"].read()) == 2


def test_unknown_function_and_bad_json(lab):
    lam = make(lab, "def handler(e, c):\n    return e\n")
    with pytest.raises(ClientError) as err:
        lam.invoke(FunctionName="nope")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        lam.invoke(FunctionName="fn", Payload=b"{not json")
    assert err.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_environment_variables_are_set_while_the_handler_runs(lab):
    import os

    lam = make(lab, "import os\ndef handler(e, c):\n    return os.environ.get('TABLE')\n",
               Environment={"Variables": {"TABLE": "orders"}})
    assert json.loads(lam.invoke(FunctionName="fn")["Payload"].read()) == "orders"
    assert "TABLE" not in os.environ


def test_invoke_in_process_for_other_services(lab):
    make(lab, "def handler(e, c):\n    if e == 'boom':\n        raise KeyError('k')\n    return e\n")
    arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
    payload, error = invoke_in_process(lab.context, arn, {"a": 1})
    assert error is None and json.loads(payload) == {"a": 1}
    payload, error = invoke_in_process(lab.context, arn, "boom")
    assert error.startswith("Lambda.FunctionError: KeyError")
    _, error = invoke_in_process(lab.context, arn.replace(":fn", ":gone"), {})
    assert "ResourceNotFoundException" in error
