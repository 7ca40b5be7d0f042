"""Redshift clusters, the control plane a lesson needs: CreateCluster, DescribeClusters, DeleteCluster,
PauseCluster, ResumeCluster, served by labsim (query protocol, XML answers).

Why not moto's: its Redshift backend builds moto's whole EC2 backend (AMIs, instance types, default
VPCs) the first time it is used in a lab, which costs seconds, and a lesson pays it in every fresh
kernel. A cluster here is what Firehose and the Data API need: identifier, node type and count,
master user and password, database (``dev`` by default), port (5439) and endpoint
``<id>.<unique>.<region>.redshift.amazonaws.com``, status.

labsim's assumption: a new cluster is ``available`` at once (AWS takes minutes); Pause and Resume
switch between ``paused`` and ``available`` at once too. A paused or missing cluster refuses
Firehose's COPY (``Redshift.ConnectionFailed``) and the Data API.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from typing import Any
from xml.sax.saxutils import escape

from labsim.errors import ServiceError

NAMESPACE = "http://redshift.amazonaws.com/doc/2012-12-01/"
_REGISTRIES: dict[int, dict[tuple[str, str, str], "Cluster"]] = {}


class ClusterNotFound(ServiceError):
    error_type_default = "ClusterNotFound"
    code = 404


class ClusterAlreadyExists(ServiceError):
    error_type_default = "ClusterAlreadyExists"


class InvalidClusterState(ServiceError):
    error_type_default = "InvalidClusterState"


class Cluster:
    __slots__ = ("identifier", "node_type", "nodes", "master_username", "master_user_password", "db_name", "port",
                 "status", "created", "address")

    def __init__(self, p: dict[str, Any], region: str, account_id: str, now: float) -> None:
        self.identifier = p["ClusterIdentifier"].lower()
        self.node_type = p["NodeType"]
        self.nodes = int(p.get("NumberOfNodes") or 1) if p.get("ClusterType", "multi-node" if p.get("NumberOfNodes") else "single-node") != "single-node" else 1
        self.master_username = p["MasterUsername"]
        self.master_user_password = p.get("MasterUserPassword")
        self.db_name = p.get("DBName") or "dev"
        self.port = int(p.get("Port") or 5439)
        self.status = "available"
        self.created = now
        unique = hashlib.sha256(f"{account_id}:{region}".encode()).hexdigest()[:12]
        self.address = f"{self.identifier}.{unique}.{region}.redshift.amazonaws.com"

    def xml(self) -> str:
        stamp = _dt.datetime.fromtimestamp(self.created, tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        fields = {"ClusterIdentifier": self.identifier, "NodeType": self.node_type, "ClusterStatus": self.status,
                  "ClusterAvailabilityStatus": "Available" if self.status == "available" else "Unavailable",
                  "MasterUsername": self.master_username, "DBName": self.db_name, "ClusterCreateTime": stamp,
                  "NumberOfNodes": str(self.nodes), "PubliclyAccessible": "false", "Encrypted": "false"}
        inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items())
        return f"<Cluster>{inner}<Endpoint><Address>{self.address}</Address><Port>{self.port}</Port></Endpoint></Cluster>"


def registry(context: Any) -> dict[tuple[str, str, str], Cluster]:
    return _REGISTRIES.setdefault(id(context), {})


def drop_registry(context: Any) -> None:
    _REGISTRIES.pop(id(context), None)


def cluster_named(context: Any, account_id: str, region: str, identifier: str) -> Cluster | None:
    return registry(context).get((account_id, region, identifier.lower()))


def _answer(operation: str, result: str) -> str:
    return (f'<{operation}Response xmlns="{NAMESPACE}"><{operation}Result>{result}</{operation}Result>'
            f"<ResponseMetadata><RequestId>labsim</RequestId></ResponseMetadata></{operation}Response>")


class ClusterApi:
    """The handlers the router calls for one lab."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context

    def handlers(self) -> dict[str, Any]:
        return {"CreateCluster": self.create_cluster, "DescribeClusters": self.describe_clusters,
                "DeleteCluster": self.delete_cluster, "PauseCluster": self.pause_cluster,
                "ResumeCluster": self.resume_cluster}

    def _get(self, call: Any) -> Cluster:
        identifier = call.params["ClusterIdentifier"]
        found = cluster_named(self.context, call.account_id, call.region, identifier)
        if found is None:
            raise ClusterNotFound(f"Cluster {identifier} not found.")
        return found

    def create_cluster(self, call: Any) -> str:
        key = (call.account_id, call.region, call.params["ClusterIdentifier"].lower())
        clusters = registry(self.context)
        if key in clusters:
            raise ClusterAlreadyExists("Cluster already exists")
        if not call.params.get("MasterUserPassword"):
            raise ServiceError("MasterUserPassword is required (labsim does not simulate ManageMasterPassword).",
                               "InvalidParameterValue")
        cluster = clusters[key] = Cluster(call.params, call.region, call.account_id, self.context.now())
        return _answer("CreateCluster", cluster.xml())

    def describe_clusters(self, call: Any) -> str:
        if call.params.get("ClusterIdentifier"):
            found = [self._get(call)]
        else:
            found = [c for (a, r, _), c in sorted(registry(self.context).items()) if (a, r) == (call.account_id, call.region)]
        return _answer("DescribeClusters", "<Clusters>" + "".join(c.xml() for c in found) + "</Clusters>")

    def delete_cluster(self, call: Any) -> str:
        cluster = self._get(call)
        del registry(self.context)[(call.account_id, call.region, cluster.identifier)]
        cluster.status = "deleting"
        return _answer("DeleteCluster", cluster.xml())

    def pause_cluster(self, call: Any) -> str:
        cluster = self._get(call)
        if cluster.status != "available":
            raise InvalidClusterState(f"Cluster {cluster.identifier} is {cluster.status}: only an available cluster can be paused.")
        cluster.status = "paused"
        return _answer("PauseCluster", cluster.xml())

    def resume_cluster(self, call: Any) -> str:
        cluster = self._get(call)
        if cluster.status != "paused":
            raise InvalidClusterState(f"Cluster {cluster.identifier} is {cluster.status}: only a paused cluster can be resumed.")
        cluster.status = "available"
        return _answer("ResumeCluster", cluster.xml())
