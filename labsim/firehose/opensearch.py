"""Firehose's OpenSearch destinations: Amazon OpenSearch Service, legacy Elasticsearch, OpenSearch Serverless.

``parse(kind, config)`` applies the docs' rules and defaults a Describe shows; ``OpenSearchWriter``
is the pipeline's last step (``labsim.firehose.delivery.Writer``). The documents go into the lab's
own index (``labsim.firehose.searchindex``; read it with ``opensearch_domain(lab, name)``).

What a delivery does (FH-DG23 ``basic-deliver.md``, ``retry.html``; FH-API):

- Target: the domain of ``DomainARN`` (made with ``opensearch.create_domain`` or ``es.create_domain``)
  or the one whose endpoint is ``ClusterEndpoint`` (exactly one of the two); for Serverless, the
  collection at ``CollectionEndpoint`` (``opensearchserverless.create_collection``). The delivery
  role, when it exists in the lab's IAM, must be allowed ``es:DescribeDomain`` and ``es:ESHttpPost`` on
  the domain (``aoss:APIAccessAll`` on the collection); a refusal is a failed attempt (``OS.AccessDenied``), a missing domain too
  (``OS.ResourceNotFound``; ``ES.`` for the legacy destination). These two codes are the lab's wording
  after Firehose's CloudWatch Logs error list.
- Index name: ``IndexName`` plus the UTC arrival time of each record as ``IndexRotationPeriod`` says
  (``NoRotation`` myindex, ``OneHour`` myindex-2016-02-25-13, ``OneDay`` myindex-2016-02-25, ``OneWeek``
  <year>-w<week>, ``OneMonth`` myindex-2016-02). Default ``OneDay`` (FH-API). Weeks follow the page's note
  (US weeks: Sunday to Saturday, week 1 the first one holding a Saturday of the year), which gives
  myindex-2016-w09 for 2016-02-25; the page's table shows w08 there, the ISO week: the docs disagree with
  themselves and the lab follows the stated rule.
- Document IDs: ``FIREHOSE_DEFAULT`` (the default) gives each record an ID Firehose keeps across
  retries, so a retried document overwrites itself; ``NO_DOCUMENT_ID`` lets the index generate one per
  request, so a retry can index the same record twice.
- A bulk request whose response is lost (``SearchCluster.lose_responses_until``, a timeout) is retried
  whole: with ``FIREHOSE_DEFAULT`` IDs the retry overwrites the same documents, with ``NO_DOCUMENT_ID``
  it indexes them again (duplicates). ``OS.ConnectionFailed`` is the lab's wording.
- Failures: each record is a document of a bulk request. Documents the index rejects (a record that is
  not JSON, a mapping conflict, a second type name) are retried, alone, until
  ``RetryOptions.DurationInSeconds`` (0-7,200, default 300) has passed since the first attempt, then
  written to the S3 bucket under ``AmazonOpenSearchService-failed/`` (the ``error-output-type`` of the
  S3 prefixes page; the retry page spells the folder ``AmazonOpenSearchService_failed/``, the legacy
  destination ``elasticsearch-failed/``), one JSON document per record with attemptsMade,
  arrivalTimestamp, errorCode (the HTTP status the index returned, "400"), errorMessage,
  attemptEndingTimestamp, esDocumentId, esIndexName, esTypeName and rawData (Serverless: osDocumentId
  and osIndexName). ``S3BackupMode=AllDocuments`` also copies every record to the bucket as it arrives.
- Metrics: ``DeliveryToAmazonOpenSearchService.{Records,Bytes,Success,DataFreshness}``
  (``DeliveryToElasticsearch.*``, ``DeliveryToAmazonOpenSearchServerless.*``), ``BackupToS3.*``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
from typing import Any

from labsim import _moto, iam, quotas
from labsim.iam import principals

from .backup import backed_by_s3, write_backup
from .delivery import Batch
from .errors import InvalidArgumentError
from .searchindex import Rejected, SearchCluster

KINDS = ("Amazonopensearchservice", "Elasticsearch", "AmazonOpenSearchServerless")
METRIC = {"Amazonopensearchservice": "DeliveryToAmazonOpenSearchService", "Elasticsearch": "DeliveryToElasticsearch",
          "AmazonOpenSearchServerless": "DeliveryToAmazonOpenSearchServerless"}
ERROR_TYPE = {"Amazonopensearchservice": "AmazonOpenSearchService-failed", "Elasticsearch": "elasticsearch-failed",
              "AmazonOpenSearchServerless": "AmazonOpenSearchService-failed"}
ROTATIONS = ("NoRotation", "OneHour", "OneDay", "OneWeek", "OneMonth")


def parse(kind: str, c: dict[str, Any]) -> dict[str, Any]:
    """Defaults and the rules the API model cannot express, for a Create or a merged Update."""
    if c.get("VpcConfiguration"):
        raise InvalidArgumentError("labsim does not simulate delivery into a VPC for OpenSearch destinations: "
                                   "leave VpcConfiguration out (the lab's domain answers in-process).")
    if kind == "AmazonOpenSearchServerless":
        if not c.get("CollectionEndpoint"):
            raise InvalidArgumentError("CollectionEndpoint is required for an OpenSearch Serverless destination: "
                                       "the collection's https:// endpoint (opensearchserverless.batch_get_collection).")
    else:
        if bool(c.get("DomainARN")) == bool(c.get("ClusterEndpoint")):
            raise InvalidArgumentError("Specify either DomainARN or ClusterEndpoint for the OpenSearch destination, "
                                       "not both and not neither.")
        c.setdefault("IndexRotationPeriod", "OneDay")
        c.setdefault("TypeName", "")
        c.setdefault("DocumentIdOptions", {"DefaultDocumentIdFormat": "FIREHOSE_DEFAULT"})
    backed_by_s3(c, quotas.FIREHOSE_OPENSEARCH_RETRY_SECONDS_DEFAULT, "FailedDocumentsOnly")
    c["RetryOptions"].setdefault("DurationInSeconds", quotas.FIREHOSE_OPENSEARCH_RETRY_SECONDS_DEFAULT)
    return c


def description(kind: str, c: dict[str, Any], s3_description: Any) -> dict[str, Any]:
    c["S3DestinationDescription"] = s3_description(c.pop("S3Configuration"))
    return {f"{kind}DestinationDescription": c}


def _week(moment: _dt.datetime) -> tuple[int, int]:
    """US weeks (the docs' note): Sunday to Saturday; week 1 is the first week holding a Saturday of the year.

    So a week belongs to the year of its Saturday, and counts from that year's first Saturday.
    """
    saturday = moment.date() + _dt.timedelta(days=5 - moment.weekday() if moment.weekday() != 6 else 6)
    first = _dt.date(saturday.year, 1, 1)
    first_saturday = first + _dt.timedelta(days=(5 - first.weekday()) % 7)
    return saturday.year, (saturday - first_saturday).days // 7 + 1


def index_name(base: str, rotation: str, arrival: float) -> str:
    """``IndexName`` with the UTC arrival time suffix ``IndexRotationPeriod`` asks for."""
    t = _dt.datetime.fromtimestamp(arrival, tz=_dt.timezone.utc)
    if rotation == "OneHour":
        return f"{base}-{t:%Y-%m-%d-%H}"
    if rotation == "OneDay":
        return f"{base}-{t:%Y-%m-%d}"
    if rotation == "OneWeek":
        year, week = _week(t)
        return f"{base}-{year}-w{week:02d}"
    if rotation == "OneMonth":
        return f"{base}-{t:%Y-%m}"
    return base


# -- the lab's clusters ------------------------------------------------------------------------------
_clusters: dict[int, dict[str, SearchCluster]] = {}


def clusters_for(context: Any) -> dict[str, SearchCluster]:
    """Domain ARN or collection endpoint -> the lab's index for it, one map per lab."""
    return _clusters.setdefault(id(context), {})


def drop_clusters(context: Any) -> None:
    _clusters.pop(id(context), None)


def _domains(account_id: str, region: str) -> Any:
    return _moto.get_backend("opensearch")[account_id][region].domains


def _domain_by_arn(arn: str) -> Any:
    parts = arn.split(":")
    if len(parts) < 6:
        return None
    domain = _domains(parts[4], parts[3]).get(parts[5].split("/", 1)[-1])
    return None if domain is None or getattr(domain, "deleted", False) else domain


def _domain_by_endpoint(account_id: str, region: str, url: str) -> Any:
    host = url.split("://", 1)[-1].rstrip("/")
    for domain in _domains(account_id, region).values():
        if host == getattr(domain, "endpoint", None) or host == f"{domain.domain_name}.{region}.es.amazonaws.com":
            return domain
    return None


def _collection(account_id: str, region: str, url: str) -> Any:
    backend = _moto.get_backend("opensearchserverless")[account_id][region]
    for collection in backend.collections.values():
        if collection.collection_endpoint.rstrip("/") == url.rstrip("/"):
            return collection
    return None


def domain_cluster(context: Any, domain: Any) -> SearchCluster:
    engine = (f"Elasticsearch_{domain.elasticsearch_version}" if getattr(domain, "elasticsearch_version", None)
              else domain.engine_version.options)
    clusters = clusters_for(context)
    if domain.arn not in clusters:
        clusters[domain.arn] = SearchCluster(domain.domain_name, engine)
    return clusters[domain.arn]


def opensearch_domain(lab: Any, name: str, region: str | None = None) -> SearchCluster:
    """The lab's index behind an OpenSearch domain (its name or ARN) or a Serverless collection endpoint."""
    region = region or lab.region
    account = lab.context.account_id
    if name.startswith("https://"):
        collection = _collection(account, region, name)
        if collection is None:
            raise LookupError(f"no OpenSearch Serverless collection has the endpoint {name} in {region}")
        return clusters_for(lab.context).setdefault(name.rstrip("/"), SearchCluster(collection.name, "Serverless"))
    domain = _domain_by_arn(name) if name.startswith("arn:") else _domains(account, region).get(name)
    if domain is None:
        raise LookupError(f"no OpenSearch domain {name!r} in {region}: create it with "
                          "lab.client('opensearch').create_domain(DomainName=...)")
    return domain_cluster(lab.context, domain)


# -- the writer --------------------------------------------------------------------------------------
class OpenSearchWriter:
    """Indexes a batch as one bulk request; retries the rejected documents; backs up to S3."""

    __slots__ = ("stream", "dest", "context", "backup", "naming", "metrics", "metric", "account_id", "region",
                 "ids", "reasons", "serverless")

    def __init__(self, stream: str, dest: Any, context: Any, backup: Any, naming: Any, metrics: Any,
                 account_id: str, region: str) -> None:
        self.stream = stream
        self.dest = dest
        self.context = context
        self.backup = backup
        self.naming = naming
        self.metrics = metrics
        self.metric = METRIC[dest.kind]
        self.account_id = account_id
        self.region = region
        #: Batch identity -> the document ID and index each record was given at its first attempt.
        self.ids: dict[int, list[tuple[str, str]]] = {}
        #: Batch identity -> why the index rejected each document still waiting (for the failed-documents JSON).
        self.reasons: dict[int, list[str]] = {}
        self.serverless = dest.kind == "AmazonOpenSearchServerless"

    def retry_window(self) -> float:
        return float(self.dest.config["RetryOptions"]["DurationInSeconds"])

    def _code(self, what: str) -> str:
        return ("ES." if self.dest.kind == "Elasticsearch" else "OS.") + what

    def _cluster(self) -> tuple[SearchCluster | None, tuple[str, str] | None]:
        c = self.dest.config
        # A role made in the lab's IAM has its policies enforced; an ARN naming no role is not checked,
        # as the lab's S3 delivery does not check it either.
        role = c["RoleARN"] if principals.role_principal(c["RoleARN"]) is not None else None
        try:
            if self.serverless:
                url = c["CollectionEndpoint"].rstrip("/")
                collection = _collection(self.account_id, self.region, url)
                if collection is None:
                    return None, (self._code("ResourceNotFound"), f"No OpenSearch Serverless collection answers at {url}.")
                iam.authorize(self.context, role, "aoss:APIAccessAll", collection.arn, via="firehose.amazonaws.com")
                return clusters_for(self.context).setdefault(url, SearchCluster(collection.name, "Serverless")), None
            domain = (_domain_by_arn(c["DomainARN"]) if c.get("DomainARN")
                      else _domain_by_endpoint(self.account_id, self.region, c["ClusterEndpoint"]))
            if domain is None:
                return None, (self._code("ResourceNotFound"),
                              f"The specified domain {c.get('DomainARN') or c.get('ClusterEndpoint')} does not exist.")
            iam.authorize(self.context, role, "es:DescribeDomain", domain.arn, via="firehose.amazonaws.com")
            iam.authorize(self.context, role, "es:ESHttpPost", f"{domain.arn}/*", via="firehose.amazonaws.com")
        except iam.AccessDenied as denied:
            return None, (self._code("AccessDenied"), str(denied))
        return domain_cluster(self.context, domain), None

    def _assign(self, batch: Batch) -> list[tuple[str, str]]:
        known = self.ids.get(id(batch))
        if known is None:
            c = self.dest.config
            rotation = c.get("IndexRotationPeriod", "NoRotation")
            known = [(f"{self.naming.rng.getrandbits(160)}.{i}", index_name(c["IndexName"], rotation, arrival))
                     for i, arrival in enumerate(batch.arrivals)]
            self.ids[id(batch)] = known
        return known

    def deliver(self, batch: Batch, now: float) -> tuple[str, str] | None:
        if self.dest.backup == "AllDocuments" and batch.attempts == 1:
            self._backup(batch, b"".join(batch.records), now, None)  # every record, whatever happens next
        cluster, error = self._cluster()
        if error is not None:
            self._assign(batch)
            return error
        assert cluster is not None
        c = self.dest.config
        ids = self._assign(batch)
        generated = (c.get("DocumentIdOptions") or {}).get("DefaultDocumentIdFormat") == "NO_DOCUMENT_ID"
        type_name = c.get("TypeName", "")
        cluster.requests.append((now, len(batch)))
        failed: list[int] = []
        reasons: list[str] = []
        indexed_bytes = 0
        for i, (record, (doc_id, index)) in enumerate(zip(batch.records, ids)):
            if generated:
                doc_id = f"{self.naming.rng.getrandbits(80):020x}"
            try:
                cluster.index(index, doc_id, json.loads(record), type_name)
                indexed_bytes += len(record)
            except (ValueError, UnicodeDecodeError):
                failed.append(i)
                reasons.append("mapper_parsing_exception: failed to parse: the record is not a JSON document")
            except Rejected as rejected:
                failed.append(i)
                reasons.append(f"{rejected.error_type}: {rejected.reason}")
        if now < cluster.lose_responses_until:
            # Indexed, but Firehose never hears it: the whole request is retried with the same records.
            return (self._code("ConnectionFailed"), "The bulk request timed out before the cluster answered; "
                    "its documents may have been indexed.")
        add = self.metrics.add
        add(now, self.stream, f"{self.metric}.Records", float(len(batch) - len(failed)))
        add(now, self.stream, f"{self.metric}.Bytes", float(indexed_bytes))
        if not failed:
            self.ids.pop(id(batch), None)
            self.reasons.pop(id(batch), None)
            return None
        # Only the rejected documents are retried (they keep their IDs); what was indexed stays indexed.
        keep = set(failed)
        self.ids[id(batch)] = [ids[i] for i in failed]
        self.reasons[id(batch)] = reasons
        batch.records = [r for i, r in enumerate(batch.records) if i in keep]
        batch.arrivals = [a for i, a in enumerate(batch.arrivals) if i in keep]
        batch.nbytes = sum(len(r) for r in batch.records)
        return ("400", reasons[0] if len(set(reasons)) == 1 else "; ".join(dict.fromkeys(reasons)))

    def _backup(self, batch: Batch, data: bytes, now: float, error_type: str | None) -> None:
        write_backup(self.backup, self.metrics, self.stream, batch, data, now, error_type)

    def give_up(self, batch: Batch, now: float, error: tuple[str, str]) -> None:
        ids = self._assign(batch)
        self.ids.pop(id(batch), None)
        reasons = self.reasons.pop(id(batch), None)
        reasons = reasons if error[0] == "400" else None  # a later whole-request error speaks for all
        type_name = self.dest.config.get("TypeName", "")
        lines = []
        for i, (data, arrival, (doc_id, index)) in enumerate(zip(batch.records, batch.arrivals, ids)):
            doc: dict[str, Any] = {"attemptsMade": batch.attempts, "arrivalTimestamp": int(arrival * 1000),
                                   "errorCode": error[0], "errorMessage": reasons[i] if reasons else error[1],
                                   "attemptEndingTimestamp": int(now * 1000)}
            if self.serverless:
                doc.update({"osDocumentId": doc_id, "osIndexName": index})
            else:
                doc.update({"esDocumentId": doc_id, "esIndexName": index, "esTypeName": type_name})
            doc["rawData"] = base64.b64encode(data).decode("ascii")
            lines.append(json.dumps(doc))
        self._backup(batch, ("\n".join(lines) + "\n").encode(), now, ERROR_TYPE[self.dest.kind])
