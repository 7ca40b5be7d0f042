"""Safe by construction: while a lab runs, no AWS request can leave the process.

Three guards, installed together by ``Lab.start()`` and removed by ``Lab.stop()``:

1. Credentials. Every botocore session resolves to the lab's fake credentials, whatever the
   environment, ``~/.aws`` or an instance profile holds. The environment is not touched, so real
   keys are neither read into a request nor changed.
2. Configuration. A client created without a region gets the lab's region instead of
   ``NoRegionError``; endpoints configured for another emulator (``AWS_ENDPOINT_URL``, or
   ``endpoint_url`` in ``~/.aws/config``) are ignored, so the lab's clients reach the lab.
3. Transport. botocore's HTTP layer refuses to send. A request the lab did not answer in-process
   (a client whose session predates labsim, an ``endpoint_url`` that is not an AWS endpoint the lab
   simulates) fails with ``NetworkBlockedError`` instead of reaching the network. An ``endpoint_url``
   naming a real AWS endpoint (``https://kinesis.us-east-1.amazonaws.com``) is simply served in-process.
"""

from __future__ import annotations

from typing import Any

import botocore.args
import botocore.credentials
import botocore.httpsession
import botocore.session

FAKE_ACCESS_KEY = "AKIALABSIMFAKEKEY000"
FAKE_SECRET_KEY = "labsim/fake/secret/key/never/valid/anywhere"
FAKE_CREDENTIALS = botocore.credentials.Credentials(FAKE_ACCESS_KEY, FAKE_SECRET_KEY, "labsim-fake-session-token")


class NetworkBlockedError(RuntimeError):
    """A request would have left the machine while a lab was running; labsim refused to send it."""


class LabStoppedError(NetworkBlockedError):
    """A client made inside a lab was used after the lab stopped; nothing was sent."""


class _Guard:
    def __init__(self) -> None:
        self.active = False
        self.region = "us-east-1"
        self.refused: list[str] = []
        self._saved: dict[str, Any] = {}

    def install(self, region: str) -> None:
        if self.active:
            return
        self.region = region
        self.refused = []
        self._saved = {
            "send": botocore.httpsession.URLLib3Session.send,
            "get_credentials": botocore.session.Session.get_credentials,
            "get_config_variable": botocore.session.Session.get_config_variable,
            "ignore_endpoints": botocore.args.ClientArgsCreator._ignore_configured_endpoint_urls,
        }
        guard = self
        original_get_config = self._saved["get_config_variable"]

        def refuse_send(session_self: Any, request: Any) -> Any:
            url = getattr(request, "url", "?")
            guard.refused.append(url)
            raise NetworkBlockedError(
                f"labsim blocked a real network request to {url}. Inside a lab every AWS call is "
                "answered in-process; this one was not, usually because the client was created "
                "before the lab started or was given a custom endpoint_url. Create the client "
                "inside the lab, e.g. lab.client('kinesis') or boto3.client('kinesis')."
            )

        def fake_credentials(session_self: Any) -> botocore.credentials.Credentials:
            return FAKE_CREDENTIALS

        def default_region(session_self: Any, logical_name: str, methods: Any = None) -> Any:
            value = original_get_config(session_self, logical_name, methods)
            if logical_name == "region" and not value:
                return guard.region
            return value

        def ignore_configured_endpoints(args_self: Any, client_config: Any) -> bool:
            # Endpoints configured for another emulator (AWS_ENDPOINT_URL, endpoint_url in
            # ~/.aws/config) would point the lab's clients away from the lab: ignore them.
            return True

        botocore.args.ClientArgsCreator._ignore_configured_endpoint_urls = ignore_configured_endpoints  # type: ignore[method-assign]
        botocore.httpsession.URLLib3Session.send = refuse_send  # type: ignore[method-assign]
        botocore.session.Session.get_credentials = fake_credentials  # type: ignore[method-assign]
        botocore.session.Session.get_config_variable = default_region  # type: ignore[method-assign]
        self.active = True

    def remove(self) -> None:
        if not self.active:
            return
        botocore.httpsession.URLLib3Session.send = self._saved["send"]  # type: ignore[method-assign]
        botocore.session.Session.get_credentials = self._saved["get_credentials"]  # type: ignore[method-assign]
        botocore.session.Session.get_config_variable = self._saved["get_config_variable"]  # type: ignore[method-assign]
        botocore.args.ClientArgsCreator._ignore_configured_endpoint_urls = self._saved["ignore_endpoints"]  # type: ignore[method-assign]
        self.active = False


guard = _Guard()
