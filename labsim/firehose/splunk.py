"""Firehose's Splunk destination and an in-lab Splunk HTTP Event Collector (HEC) to receive it.

Nothing leaves the process: a ``HecEndpoint`` registered for a URL in the running lab plays the
Splunk side (token, indexer acknowledgements, the events it indexed)::

    from labsim.firehose import splunk_hec
    hec = splunk_hec(lab, "https://splunk.example.com:8088", token="0b5e...", ack_delay=2.0)
    ... create a delivery stream with SplunkDestinationConfiguration={"HECEndpoint": that URL, ...}
    hec.events        # what Splunk indexed: [{"event": ..., "time": ..., "sourcetype": ...}, ...]
    hec.requests      # every POST Firehose made (path, headers, body, lab time, ackId)
    hec.acks          # ackId -> lab time the indexers acknowledged it (None: never)

What a delivery does (FH-API ``SplunkDestinationConfiguration``; FH-DG23 ``retry.html``,
``monitoring-with-cloudwatch-logs.md``; Splunk HEC docs):

- ``HECEndpointType=Raw`` POSTs the batch (records concatenated) to ``/services/collector/raw``; HEC
  breaks it into one event per line. ``Event`` POSTs to ``/services/collector/event``: each record must
  already be an HEC event, a JSON object with an ``event`` field (``{"event": ..., "sourcetype": ...}``);
  anything else is refused by HEC (code 6 "Invalid data format" / 12 "Event field is required") and
  the attempt fails with ``Splunk.InvalidDataFormat``. Headers: ``Authorization: Splunk <HECToken>``,
  ``X-Splunk-Request-Channel`` (a GUID: acknowledgements are per channel).
- A wrong token is ``Splunk.InvalidToken``, a disabled one ``Splunk.DisabledToken``; an HEC without
  indexer acknowledgement is ``Splunk.DisabledAck`` (Firehose needs acks); no HEC at the URL is
  ``Splunk.InvalidEndpoint``; an HEC that is down (``fail_until``) answers 503, ``Splunk.ServerError``.
- Acknowledgements: HEC answers ``{"text": "Success", "code": 0, "ackId": n}``; the indexers acknowledge
  ``ack_delay`` lab seconds later (``None``: never). If that is longer than
  ``HECAcknowledgmentTimeoutInSeconds`` (180-600, default 180) the attempt fails with
  ``Splunk.AckTimeout`` although the events were received and may be indexed: a retry then indexes
  them again (duplicates in Splunk, as the docs warn). The lab decides at send time whether the ack
  would arrive in time and does not hold the buffer for the wait (the lab's simplification); the
  ack's latency is published as ``DeliveryToSplunk.DataAckLatency``.
- Retries: ``RetryOptions.DurationInSeconds`` (0-7,200) counted from the first failed attempt; then the
  records go to the S3 bucket under ``splunk-failed/`` (``ErrorOutputPrefix`` if set), one JSON document
  per record: attemptsMade, arrivalTimestamp, errorCode, errorMessage, attemptEndingTimestamp, rawData,
  EventId. ``S3BackupMode=AllEvents`` also copies every record to the bucket; the default is
  ``FailedEventsOnly``.
- Metrics: ``DeliveryToSplunk.{Records,Bytes,Success,DataFreshness,DataAckLatency}``, ``BackupToS3.*``.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from labsim import quotas

from .backup import backed_by_s3, write_backup
from .delivery import Batch
from .errors import InvalidArgumentError

ACK_TIMEOUT_MESSAGE = ("Did not receive an acknowledgement from HEC before the HEC acknowledgement timeout expired. "
                       "Despite the acknowledgement timeout, it's possible the data was indexed successfully in Splunk. "
                       "Amazon Data Firehose backs up in Amazon S3 data for which the acknowledgement timeout expired.")
PATHS = {"Raw": "/services/collector/raw", "Event": "/services/collector/event"}


def parse(c: dict[str, Any]) -> dict[str, Any]:
    """Defaults a Describe shows and the rules the model cannot express, for a Create or a merged Update."""
    if not str(c.get("HECEndpoint", "")).startswith("https://"):
        raise InvalidArgumentError(f"HECEndpoint must be an https:// URL of your Splunk HEC; got {c.get('HECEndpoint')!r}.")
    if (c.get("SecretsManagerConfiguration") or {}).get("Enabled"):
        raise InvalidArgumentError("labsim does not read HEC tokens from Secrets Manager yet: give HECToken and "
                                   "leave SecretsManagerConfiguration out (or Enabled=False).")
    if not c.get("HECToken"):
        raise InvalidArgumentError("HECToken is required for a Splunk destination: the GUID of your HEC input.")
    c.setdefault("HECAcknowledgmentTimeoutInSeconds", quotas.FIREHOSE_SPLUNK_ACK_TIMEOUT_DEFAULT)
    backed_by_s3(c, quotas.FIREHOSE_SPLUNK_RETRY_SECONDS_DEFAULT, "FailedEventsOnly")
    c["RetryOptions"].setdefault("DurationInSeconds", quotas.FIREHOSE_SPLUNK_RETRY_SECONDS_DEFAULT)
    return c


def description(c: dict[str, Any], s3_description: Any) -> dict[str, Any]:
    c["S3DestinationDescription"] = s3_description(c.pop("S3Configuration"))
    return {"SplunkDestinationDescription": c}


class HecRequest:
    """One POST Firehose made to the HEC."""

    __slots__ = ("path", "headers", "body", "at", "ack_id", "status", "reply")

    def __init__(self, path: str, headers: dict[str, str], body: bytes, at: float) -> None:
        self.path = path
        self.headers = headers
        self.body = body
        self.at = at
        self.ack_id: int | None = None
        self.status = 0
        self.reply: dict[str, Any] = {}


def _events(body: bytes) -> list[dict[str, Any]] | None:
    """HEC's event endpoint: concatenated JSON objects, each with a non-blank ``event``; None if not."""
    text = body.decode("utf-8", errors="replace")
    decoder = json.JSONDecoder()
    out, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        try:
            obj, i = decoder.raw_decode(text, i)
        except ValueError:
            return None
        if not isinstance(obj, dict) or obj.get("event") in (None, ""):
            return None
        out.append(obj)


class HecEndpoint:
    """An in-lab Splunk HTTP Event Collector with indexer acknowledgement."""

    __slots__ = ("url", "token", "token_enabled", "acknowledgement", "ack_delay", "fail_until", "events",
                 "requests", "acks", "next_ack")

    def __init__(self, url: str, token: str, *, acknowledgement: bool = True, ack_delay: float | None = 1.0,
                 fail_until: float = 0.0, token_enabled: bool = True) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.token_enabled = token_enabled
        self.acknowledgement = acknowledgement
        #: Lab seconds between receiving a request and the indexers acknowledging it (None: never).
        self.ack_delay = ack_delay
        self.fail_until = fail_until
        self.events: list[dict[str, Any]] = []
        self.requests: list[HecRequest] = []
        self.acks: dict[int, float | None] = {}
        self.next_ack = 0

    def receive(self, request: HecRequest) -> HecRequest:
        """Answer one POST as HEC does (status, ``{"text", "code"[, "ackId"]}``)."""
        self.requests.append(request)

        def answer(status: int, text: str, code: int) -> HecRequest:
            request.status, request.reply = status, {"text": text, "code": code}
            return request

        if request.at < self.fail_until:
            return answer(503, "Server is busy", 9)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Splunk "):
            return answer(401, "Token is required", 2)
        if auth[len("Splunk "):] != self.token:
            return answer(403, "Invalid token", 4)
        if not self.token_enabled:
            return answer(403, "Token disabled", 1)
        if not self.acknowledgement:
            return answer(400, "ACK is disabled", 14)
        if not request.body:
            return answer(400, "No data", 5)
        if request.path.endswith("/event"):
            events = _events(request.body)
            if events is None:
                return answer(400, "Invalid data format", 6)
        else:
            lines = request.body.decode("utf-8", errors="replace").splitlines()
            events = [{"event": line} for line in lines if line.strip()]
        for event in events:
            event.setdefault("time", request.at)
        self.events.extend(events)
        ack_id = self.next_ack
        self.next_ack += 1
        self.acks[ack_id] = None if self.ack_delay is None else request.at + self.ack_delay
        request.ack_id = ack_id
        request.status, request.reply = 200, {"text": "Success", "code": 0, "ackId": ack_id}
        return request

    def count(self, text: str | None = None) -> int:
        """Events indexed (containing ``text``, if given): a search head's ``| stats count``."""
        return sum(1 for e in self.events if text is None or text in json.dumps(e["event"]))


_registries: dict[int, dict[str, HecEndpoint]] = {}


def hecs_for(context: Any) -> dict[str, HecEndpoint]:
    return _registries.setdefault(id(context), {})


def drop_hecs(context: Any) -> None:
    _registries.pop(id(context), None)


def splunk_hec(lab: Any, url: str, token: str, *, acknowledgement: bool = True, ack_delay: float | None = 1.0,
               fail_until: float = 0.0) -> HecEndpoint:
    """Serve a Splunk HEC at ``url`` in ``lab`` (the URL a SplunkDestinationConfiguration's HECEndpoint names)."""
    if not url.startswith("https://"):
        raise ValueError(f"Firehose sends to Splunk over HTTPS only; use an https:// URL, got {url!r}")
    if not token:
        raise ValueError("a HEC token is required (the GUID Splunk gives a new HEC input)")
    if ack_delay is not None and ack_delay < 0:
        raise ValueError(f"ack_delay is lab seconds >= 0 (or None: never acknowledged); got {ack_delay!r}")
    hec = HecEndpoint(url, token, acknowledgement=acknowledgement, ack_delay=ack_delay, fail_until=fail_until)
    hecs_for(lab.context)[hec.url] = hec
    return hec


_ERRORS = {503: "Splunk.ServerError", 401: "Splunk.InvalidToken", 1: "Splunk.DisabledToken", 4: "Splunk.InvalidToken",
           14: "Splunk.DisabledAck", 5: "Splunk.InvalidDataFormat", 6: "Splunk.InvalidDataFormat"}


class SplunkWriter:
    """Sends a batch to the HEC, waits (in the lab's model) for its acknowledgement, backs up to S3."""

    metric = "DeliveryToSplunk"
    __slots__ = ("stream", "dest", "context", "backup", "naming", "metrics", "event_ids")

    def __init__(self, stream: str, dest: Any, context: Any, backup: Any, naming: Any, metrics: Any) -> None:
        self.stream = stream
        self.dest = dest
        self.context = context
        self.backup = backup
        self.naming = naming
        self.metrics = metrics
        self.event_ids: dict[int, str] = {}

    def retry_window(self) -> float:
        return float(self.dest.config["RetryOptions"]["DurationInSeconds"])

    def deliver(self, batch: Batch, now: float) -> tuple[str, str] | None:
        c = self.dest.config
        self.event_ids.setdefault(id(batch), str(self.naming.rng.getrandbits(180)))
        if self.dest.backup == "AllEvents" and batch.attempts == 1:
            self._backup(batch, b"".join(batch.records), now, None)
        url = c["HECEndpoint"].rstrip("/")
        hec = hecs_for(self.context).get(url)
        if hec is None:
            return ("Splunk.InvalidEndpoint",
                    f"No Splunk HEC answers at {url}: register one with labsim.firehose.splunk_hec(lab, url, token).")
        headers = {"Authorization": f"Splunk {c.get('HECToken', '')}", "Content-Type": "application/json",
                   "X-Splunk-Request-Channel": str(uuid.UUID(int=self.naming.rng.getrandbits(128), version=4))}
        reply = hec.receive(HecRequest(PATHS[c["HECEndpointType"]], headers, b"".join(batch.records), now))
        if reply.status != 200:
            code = _ERRORS.get(reply.reply.get("code")) or _ERRORS.get(reply.status) or "Splunk.ServerError"
            return (code, f"HEC answered HTTP {reply.status}: {json.dumps(reply.reply)}")
        acked_at = hec.acks[reply.ack_id] if reply.ack_id is not None else None
        if acked_at is None or acked_at - now > c["HECAcknowledgmentTimeoutInSeconds"]:
            return ("Splunk.AckTimeout", ACK_TIMEOUT_MESSAGE)
        add = self.metrics.add
        add(now, self.stream, "DeliveryToSplunk.Records", float(len(batch)))
        add(now, self.stream, "DeliveryToSplunk.Bytes", float(batch.nbytes))
        add(now, self.stream, "DeliveryToSplunk.DataAckLatency", acked_at - now)
        self.event_ids.pop(id(batch), None)
        return None

    def _backup(self, batch: Batch, data: bytes, now: float, error_type: str | None) -> None:
        write_backup(self.backup, self.metrics, self.stream, batch, data, now, error_type)

    def give_up(self, batch: Batch, now: float, error: tuple[str, str]) -> None:
        base = self.event_ids.pop(id(batch), None) or str(self.naming.rng.getrandbits(180))
        lines = [json.dumps({"attemptsMade": batch.attempts, "arrivalTimestamp": int(arrival * 1000),
                             "errorCode": error[0], "errorMessage": error[1], "attemptEndingTimestamp": int(now * 1000),
                             "rawData": base64.b64encode(data).decode("ascii"), "EventId": f"{base}.{i}"})
                 for i, (data, arrival) in enumerate(zip(batch.records, batch.arrivals))]
        self._backup(batch, ("\n".join(lines) + "\n").encode(), now, "splunk-failed")
