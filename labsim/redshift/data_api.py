"""The Redshift Data API (``redshift-data``) served by labsim: SQL on a cluster's embedded database.

A learner queries what Firehose loaded with plain boto3, as against AWS::

    rd = lab.client("redshift-data")
    sid = rd.execute_statement(ClusterIdentifier="analytics", Database="dev", DbUser="awsuser",
                               Sql="select count(*) from orders")["Id"]
    rd.describe_statement(Id=sid)["Status"]          # 'FINISHED' (or 'FAILED' with 'Error')
    rd.get_statement_result(Id=sid)["Records"]       # [[{'longValue': 42}]]

The cluster must exist (``redshift.create_cluster``, moto's control plane). Statements run in
DuckDB (``labsim.redshift.warehouse``); labsim's assumption: a statement finishes as soon as it is
submitted (AWS runs it asynchronously: SUBMITTED, PICKED, STARTED, FINISHED), so the first
DescribeStatement already says FINISHED or FAILED.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import re
import uuid
from typing import Any

from labsim import _moto
from labsim.errors import ServiceError, ValidationError

from .warehouse import warehouse_for


class ResourceNotFound(ServiceError):
    error_type_default = "ResourceNotFoundException"


class Statement:
    __slots__ = ("id", "sql", "cluster", "database", "db_user", "created", "updated", "status", "error",
                 "columns", "rows", "affected", "parameters", "name")

    def __init__(self, sid: str, sql: str, cluster: str, database: str, db_user: str | None, now: float,
                 parameters: list[dict[str, str]] | None, name: str | None) -> None:
        self.id, self.sql, self.cluster, self.database, self.db_user = sid, sql, cluster, database, db_user
        self.created = self.updated = now
        self.status = "SUBMITTED"
        self.error: str | None = None
        self.columns: list[tuple[str, str]] = []
        self.rows: list[tuple[Any, ...]] = []
        self.affected = 0
        self.parameters = parameters
        self.name = name


class DataApi:
    """The statements of one lab, and the handlers the router calls."""

    __slots__ = ("context", "statements", "rng")

    def __init__(self, context: Any) -> None:
        self.context = context
        self.statements: dict[str, Statement] = {}
        self.rng = context.rng("redshift-data")

    def handlers(self) -> dict[str, Any]:
        return {"ExecuteStatement": self.execute_statement, "DescribeStatement": self.describe_statement,
                "GetStatementResult": self.get_statement_result, "ListStatements": self.list_statements}

    # -- operations ------------------------------------------------------------------------------
    def execute_statement(self, call: Any) -> dict[str, Any]:
        p = call.params
        cluster = _cluster(call, p)
        database = p["Database"]
        now = self.context.now()
        sid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        statement = Statement(sid, p["Sql"], cluster.cluster_identifier, database, p.get("DbUser"), now,
                              p.get("Parameters"), p.get("StatementName"))
        self.statements[sid] = statement
        warehouse = warehouse_for(self.context, call.account_id, call.region, cluster.cluster_identifier, database)
        sql, values = _bind(statement.sql, statement.parameters)
        try:
            statement.columns, statement.rows, statement.affected = warehouse.execute(sql, values)
            statement.status = "FINISHED"
        except Exception as exc:  # the learner's SQL: its error is the statement's, as in the Data API
            statement.status, statement.error = "FAILED", f"ERROR: {exc}"
        out: dict[str, Any] = {"Id": sid, "ClusterIdentifier": cluster.cluster_identifier, "Database": database,
                               "CreatedAt": _stamp(now)}
        if statement.db_user:
            out["DbUser"] = statement.db_user
        return out

    def describe_statement(self, call: Any) -> dict[str, Any]:
        s = self._statement(call.params["Id"])
        out: dict[str, Any] = {
            "Id": s.id, "Status": s.status, "QueryString": s.sql, "ClusterIdentifier": s.cluster, "Database": s.database,
            "CreatedAt": _stamp(s.created), "UpdatedAt": _stamp(s.updated), "Duration": 0,
            "HasResultSet": bool(s.columns) and s.status == "FINISHED",
            "ResultRows": len(s.rows) if s.columns else s.affected, "ResultSize": sum(len(repr(r)) for r in s.rows),
            "RedshiftPid": 1073741824 + list(self.statements).index(s.id), "RedshiftQueryId": list(self.statements).index(s.id) + 1,
        }
        if s.db_user:
            out["DbUser"] = s.db_user
        if s.error:
            out["Error"] = s.error
        if s.parameters:
            out["QueryParameters"] = s.parameters
        return out

    def get_statement_result(self, call: Any) -> dict[str, Any]:
        s = self._statement(call.params["Id"])
        if s.status != "FINISHED" or not s.columns:
            raise ResourceNotFound(f"Query does not have result. Please check query status with DescribeStatement. ({s.status})")
        return {
            "Records": [[_field(v) for v in row] for row in s.rows],
            "ColumnMetadata": [{"name": name, "label": name, "typeName": _type_name(kind), "nullable": 1,
                                "isSigned": kind in _SIGNED, "schemaName": "", "tableName": ""} for name, kind in s.columns],
            "TotalNumRows": len(s.rows),
        }

    def list_statements(self, call: Any) -> dict[str, Any]:
        status = call.params.get("Status", "ALL")
        rows = [s for s in reversed(self.statements.values()) if status == "ALL" or s.status == status]
        return {"Statements": [{"Id": s.id, "QueryString": s.sql, "Status": s.status, "CreatedAt": _stamp(s.created),
                                "UpdatedAt": _stamp(s.updated), **({"StatementName": s.name} if s.name else {})}
                               for s in rows[: int(call.params.get("MaxResults") or 100)]]}

    def _statement(self, sid: str) -> Statement:
        found = self.statements.get(sid)
        if found is None:
            raise ResourceNotFound(f"Query {sid} does not exist.")
        return found


def _cluster(call: Any, p: dict[str, Any]) -> Any:
    identifier = p.get("ClusterIdentifier")
    if not identifier:
        raise ValidationError("labsim simulates provisioned clusters: give ClusterIdentifier "
                              "(Redshift Serverless workgroups are not simulated).")
    cluster = cluster_named(call.account_id, call.region, identifier)
    if cluster is None:
        raise ValidationError(f"Redshift endpoint doesn't exist in this region: no cluster {identifier} "
                              "(create it with redshift.create_cluster).")
    return cluster


def cluster_named(account_id: str, region: str, identifier: str) -> Any:
    """moto's Cluster of that identifier in the account and Region, or None."""
    return _moto.get_backend("redshift")[account_id][region].clusters.get(identifier)


def _bind(sql: str, parameters: list[dict[str, str]] | None) -> tuple[str, list[Any]]:
    """The Data API's named parameters (``:name``) as DuckDB positional ones."""
    if not parameters:
        return sql, []
    given = {p["name"]: p["value"] for p in parameters}
    values: list[Any] = []

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in given:
            raise ValidationError(f"The SQL names :{name} but Parameters has no value for it.")
        values.append(given[name])
        return "?"

    return re.sub(r"(?<!:):([A-Za-z_][A-Za-z0-9_]*)", repl, sql), values


_SIGNED = {"INTEGER", "BIGINT", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT", "HUGEINT"}


def _type_name(kind: str) -> str:
    k = kind.upper()
    return {"INTEGER": "int4", "BIGINT": "int8", "SMALLINT": "int2", "VARCHAR": "varchar", "DOUBLE": "float8",
            "FLOAT": "float4", "BOOLEAN": "bool", "DATE": "date", "TIMESTAMP": "timestamp", "HUGEINT": "numeric"}.get(
        k, "numeric" if k.startswith("DECIMAL") else k.lower())


def _field(value: Any) -> dict[str, Any]:
    if value is None:
        return {"isNull": True}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"longValue": value}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, decimal.Decimal):
        return {"stringValue": str(value)}
    if isinstance(value, (bytes, bytearray)):
        import base64

        return {"blobValue": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, _dt.datetime):
        return {"stringValue": value.isoformat(sep=" ")}
    return {"stringValue": str(value)}


def _stamp(t: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc)
