"""The Python runtime: the learner's handler loaded from its zip in memory and run in this process.

``Environment`` is one warm execution environment of one function version: the zip's modules are
imported once (from memory, never unpacked to disk; files appear as ``/var/task/<name>.py`` in
tracebacks, as in Lambda), and module-level state survives between invocations, as in a warm
Lambda container. ``Environment.run(event, request_id, now)`` calls ``handler(event, context)``.

Duration model (the lab's assumption; AWS publishes none): an invocation costs
``quotas.LAMBDA_MODEL_INVOKE_MS`` plus every ``time.sleep`` the handler makes, which is counted in
simulated time instead of waiting (the lab clock itself does not move during an invocation). A
handler whose simulated duration passes the function's ``Timeout`` is stopped at that point and the
invocation is a timeout (``Sandbox.Timedout``). CPU time spent in Python is not counted, so the same
notebook gives the same durations on every machine.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import io
import json
import os
import sys
import threading
import time
import traceback
import zipfile
from typing import Any

from labsim import quotas

TASK_ROOT = "/var/task"


class TimedOut(BaseException):
    """Raised inside the handler when its simulated time passes the function's Timeout.

    A BaseException so that a learner's ``except Exception`` cannot swallow the sandbox's end."""


class ZipSource(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds modules and packages inside the function's zip (for the handler and its helpers)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def _path(self, fullname: str) -> tuple[str, bool] | None:
        base = fullname.replace(".", "/")
        if f"{base}/__init__.py" in self.files:
            return f"{base}/__init__.py", True
        if f"{base}.py" in self.files:
            return f"{base}.py", False
        return None

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        found = self._path(fullname)
        if found is None:
            return None
        name, package = found
        spec = importlib.util.spec_from_loader(fullname, self, origin=f"{TASK_ROOT}/{name}", is_package=package)
        if spec is not None:
            spec.has_location = True
        return spec

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        name, _ = self._path(module.__name__) or ("", False)
        module.__file__ = f"{TASK_ROOT}/{name}"
        code = compile(self.files[name], module.__file__, "exec")
        exec(code, module.__dict__)


class FunctionError(Exception):
    """The runtime's own errors (import, handler lookup), with Lambda's errorType."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def read_zip(code: bytes) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(code)) as z:
            return {info.filename: z.read(info) for info in z.infolist() if not info.is_dir()}
    except zipfile.BadZipFile:
        raise FunctionError("Runtime.InvalidEntrypoint", "The function's code is not a valid zip file.") from None


class _Sleeps:
    """Counts ``time.sleep`` of threads running a handler in simulated time (see the module doc)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0
        self.saved: Any = None
        self.local = threading.local()

    def _sleep(self, seconds: float) -> None:
        meter = getattr(self.local, "meter", None)
        if meter is None:
            return self.saved(seconds)
        meter.spend(float(seconds) * 1000.0)

    @contextlib.contextmanager
    def metering(self, meter: "Meter"):
        with self.lock:
            if self.users == 0:
                self.saved = time.sleep
                time.sleep = self._sleep  # type: ignore[assignment]
            self.users += 1
        outer = getattr(self.local, "meter", None)
        self.local.meter = meter
        try:
            yield
        finally:
            self.local.meter = outer
            with self.lock:
                self.users -= 1
                if self.users == 0:
                    time.sleep = self.saved  # type: ignore[assignment]
                    self.saved = None


SLEEPS = _Sleeps()


class Meter:
    """Simulated milliseconds an invocation has used, against its timeout."""

    __slots__ = ("used_ms", "timeout_ms")

    def __init__(self, timeout_ms: float) -> None:
        self.used_ms = float(quotas.LAMBDA_MODEL_INVOKE_MS)
        self.timeout_ms = timeout_ms

    def spend(self, ms: float) -> None:
        if ms < 0:
            raise ValueError("sleep length must be non-negative")
        self.used_ms += ms
        if self.used_ms > self.timeout_ms:
            self.used_ms = self.timeout_ms
            raise TimedOut()

    def remaining_ms(self) -> int:
        return max(0, int(self.timeout_ms - self.used_ms))


class LambdaContext:
    """The ``context`` argument, with the attributes the Python runtime's context has."""

    __slots__ = ("function_name", "function_version", "invoked_function_arn", "memory_limit_in_mb",
                 "aws_request_id", "log_group_name", "log_stream_name", "identity", "client_context", "_meter")

    def __init__(self, function_name: str, version: str, arn: str, memory: int, request_id: str,
                 log_stream: str, meter: Meter, client_context: Any = None) -> None:
        self.function_name = function_name
        self.function_version = version
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = int(memory)
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = log_stream
        self.identity = None
        self.client_context = client_context
        self._meter = meter

    def get_remaining_time_in_millis(self) -> int:
        """Timeout minus the simulated time used so far (labsim's duration model)."""
        return self._meter.remaining_ms()

    def __repr__(self) -> str:
        return f"<LambdaContext {self.function_name} {self.aws_request_id}>"


class Outcome:
    """What one invocation gave: the payload (bytes), Lambda's error type or None, duration, log lines."""

    __slots__ = ("payload", "error_type", "duration_ms", "lines")

    def __init__(self, payload: bytes, error_type: str | None, duration_ms: float, lines: list[str]) -> None:
        self.payload = payload
        self.error_type = error_type
        self.duration_ms = duration_ms
        self.lines = lines


def error_payload(error_type: str, message: str, request_id: str, stack: list[str] | None = None) -> bytes:
    body: dict[str, Any] = {"errorMessage": message, "errorType": error_type, "requestId": request_id}
    body["stackTrace"] = stack or []
    return json.dumps(body).encode()


def _user_frames(tb: Any) -> list[str]:
    """The traceback's frames from the learner's code only (as Lambda shows: /var/task files)."""
    frames = [f for f in traceback.extract_tb(tb) if f.filename.startswith(TASK_ROOT)]
    return traceback.format_list(frames)


class Environment:
    """One warm execution environment: the handler, imported once."""

    __slots__ = ("handler", "module_name", "function_name", "env_vars")

    def __init__(self, code: bytes, handler: str, function_name: str, env_vars: dict[str, str]) -> None:
        self.function_name = function_name
        self.env_vars = dict(env_vars or {})
        module_name, _, attr = (handler or "").rpartition(".")
        if not module_name or not attr:
            raise FunctionError("Runtime.MalformedHandlerName",
                                f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)")
        self.module_name = module_name
        files = read_zip(code)
        finder = ZipSource(files)
        if finder._path(module_name) is None:
            raise FunctionError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': "
                                f"No module named '{module_name}' (the zip holds: {', '.join(sorted(files)) or 'nothing'})")
        before = set(sys.modules)
        sys.meta_path.insert(0, finder)
        try:
            with self._environ():
                spec = finder.find_spec(module_name)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
        except SyntaxError as exc:
            raise FunctionError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}") from None
        except FunctionError:
            raise
        except Exception as exc:
            raise FunctionError("Runtime.ImportModuleError",
                                f"Unable to import module '{module_name}': {type(exc).__name__}: {exc}") from None
        finally:
            sys.meta_path.remove(finder)
            # The zip's helper modules stay referenced by the handler's module, not by name: two
            # functions may each have an index.py.
            for name in set(sys.modules) - before:
                if finder._path(name) is not None:
                    del sys.modules[name]
        handler_fn = getattr(module, attr, None)
        if not callable(handler_fn):
            raise FunctionError("Runtime.HandlerNotFound", f"Handler '{attr}' missing on module '{module_name}'")
        self.handler = handler_fn

    @contextlib.contextmanager
    def _environ(self):
        """The function's environment variables, set while its code runs, then restored."""
        saved = {k: os.environ.get(k) for k in self.env_vars}
        os.environ.update({k: str(v) for k, v in self.env_vars.items()})
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def run(self, event: Any, context: LambdaContext, meter: Meter) -> tuple[bytes, str | None, list[str]]:
        """Call the handler: (payload, error type or None, printed lines)."""
        out = io.StringIO()
        request_id = context.aws_request_id
        try:
            with self._environ(), SLEEPS.metering(meter), contextlib.redirect_stdout(out):
                result = self.handler(event, context)
            payload = json.dumps(result).encode()
            error = None
        except TimedOut:
            payload = json.dumps({"errorType": "Sandbox.Timedout", "errorMessage":
                                  f"RequestId: {request_id} Error: Task timed out after {meter.timeout_ms / 1000:.2f} seconds"}).encode()
            error = "Sandbox.Timedout"
            out.write(f"{request_id} Task timed out after {meter.timeout_ms / 1000:.2f} seconds\n")
        except TypeError as exc:
            if "JSON serializable" in str(exc):
                error = "Runtime.MarshalError"
                payload = error_payload(error, f"Unable to marshal response: {exc}", request_id)
            else:
                error, payload = self._raised(exc, request_id, out)
        except Exception as exc:  # the learner's code failed: Lambda returns the error, nothing is lost
            error, payload = self._raised(exc, request_id, out)
        lines = out.getvalue().splitlines()
        return payload, error, lines

    @staticmethod
    def _raised(exc: Exception, request_id: str, out: io.StringIO) -> tuple[str, bytes]:
        stack = _user_frames(exc.__traceback__)
        name = type(exc).__name__
        out.write(f"[ERROR] {name}: {exc}\nTraceback (most recent call last):\n{''.join(stack)}")
        return name, error_payload(name, str(exc), request_id, stack)

