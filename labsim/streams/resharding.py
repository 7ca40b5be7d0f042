"""Resharding (SplitShard, MergeShards, UpdateShardCount) and ListShards with its filters.

Resharding (kinesis-facts 1.6; provisioned streams only, on-demand -> ValidationException)
---------------------------------------------------------------------------------------------
- **SplitShard**: one open parent -> two children. ``NewStartingHashKey`` must be greater than one
  plus the parent's StartingHashKey and less than its EndingHashKey; keys >= it go to the second
  child, lower keys to the first. Otherwise InvalidArgumentException, with the service's wording.
- **MergeShards**: two open shards whose hash ranges touch (no gap) -> one child covering both
  (``ParentShardId`` = ShardToMerge, ``AdjacentParentShardId`` = AdjacentShardToMerge). Not
  adjacent -> InvalidArgumentException.
- **UpdateShardCount** (``ScalingType`` must be ``UNIFORM_SCALING``): target within [half, double]
  the open shard count, at most 10,000 (a stream above 10,000 may only go below it), at most
  ``quotas.UPDATE_SHARD_COUNT_PER_DAY`` (10) scalings per rolling 24 h, and the account's shard
  quota: otherwise LimitExceededException. labsim performs it the way the service describes, by
  pairwise splits and merges: every open shard is split at each boundary of the target's even
  ranges that falls inside it, then the pieces inside each target range are merged left to
  right. Short-lived intermediate shards appear (and are closed at once), exactly as AWS warns,
  and every child's lineage (ParentShardId / AdjacentParentShardId) is real.

Each of the three moves the stream to UPDATING for ``quotas.STREAM_UPDATING_SECONDS``
(``labsim.streams.lifecycle.begin_updating``); while it is not ACTIVE another reshard is
ResourceInUseException. The new shard map applies at once: new writes go to the children
(routing uses open shards), parents are CLOSED, still readable until they expire
(``labsim.streams.retention``), and a reader that reaches a parent's end gets ``ChildShards``.

ListShards (KDS-API ListShards)
-------------------------------
Shards in creation order (ShardId order), EXPIRED ones omitted. ``MaxResults`` 1..10,000 (pages of
at most 1,000), ``NextToken`` (opaque, valid ``quotas.LIST_SHARDS_NEXT_TOKEN_LIFETIME_SECONDS`` =
300 s, then ExpiredNextTokenException; never together with StreamName), ``ExclusiveStartShardId``,
and ``ShardFilter``:

==================  ===============================================================================
AFTER_SHARD_ID      shards whose id follows ``ShardFilter.ShardId`` (like ExclusiveStartShardId)
AT_TRIM_HORIZON     shards that were open at the trim horizon (now - retention, or stream creation)
FROM_TRIM_HORIZON   (default) every shard within the retention period, trim horizon to tip
AT_LATEST           only the currently open shards
AT_TIMESTAMP        shards open at ``Timestamp``: started at or before it, and still open or closed
                    at or after it
FROM_TIMESTAMP      every open shard plus the closed ones that closed at or after ``Timestamp``
                    (a time before the trim horizon counts as the trim horizon)
==================  ===============================================================================
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from labsim import quotas

from . import errors as E
from . import lifecycle
from .model import Shard, Stream
from labsim.pagetokens import PageTokens
from .retention import expired
from labsim.keyspace import HASH_KEY_PATTERN, even_hash_ranges

SHARD_FILTER_TYPES = ("AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP")
_DAY = 24 * 3600.0


def _not_eligible(shard: Shard, stream: Stream, account_id: str) -> E.InvalidArgumentError:
    return E.InvalidArgumentError(
        f"Shard {shard.shard_id} in stream {stream.name} under account {account_id} has already been merged "
        "or split, and thus is not eligible for merging or splitting."
    )


def uniform_reshard(stream: Stream, target: int) -> list[Shard]:
    """Reshape ``stream``'s open shards into ``target`` even ranges by pairwise splits and merges.

    Returns the final open shards. Pure model operation (no status change, no checks).
    """
    ranges = even_hash_ranges(target)
    boundaries = [start for start, _ in ranges[1:]]
    with stream.lock:
        # 1. split every open shard at each target boundary strictly inside it
        for shard in stream.open_shards():
            current = shard
            for b in boundaries:
                if current.starting_hash < b <= current.ending_hash:
                    _, current = stream.split_shard(current, b)
        # 2. merge the pieces inside each target range, left to right
        pieces = stream.open_shards()
        i = 0
        for start, end in ranges:
            group = []
            while i < len(pieces) and pieces[i].ending_hash <= end:
                group.append(pieces[i])
                i += 1
            merged = group[0]
            for nxt in group[1:]:
                merged = stream.merge_shards(merged, nxt)
        return stream.open_shards()


class Resharding:
    """SplitShard, MergeShards, UpdateShardCount and ListShards for one lab."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self._tokens = PageTokens(backend.context_secret("list-shards-tokens"))

    # -- checks -------------------------------------------------------------------------------------
    def _reshardable(self, stream: Stream, operation: str) -> None:
        if stream.mode == "ON_DEMAND":
            raise E.on_demand_refused(stream.name, self.backend.account_id)
        if stream.status != "ACTIVE":
            raise E.stream_not_active(stream.name, self.backend.account_id, stream.status)

    def _shard(self, stream: Stream, shard_id: Any) -> Shard:
        shard = stream.shards.get(shard_id) if isinstance(shard_id, str) else None
        if shard is None or expired(stream, shard, self.backend.now()):
            raise E.ResourceNotFoundError(f"Could not find shard {shard_id} in stream {stream.name} under account {self.backend.account_id}.")
        return shard

    def _check_quota(self, extra: int) -> None:
        region = self.backend.region_name
        open_now = self.backend.open_shard_count()
        if open_now + extra > quotas.SHARDS_PER_ACCOUNT:
            raise E.LimitExceededError(
                f"This request would exceed the shard limit for the account {self.backend.account_id} in {region}. "
                f"Current shard count for the account: {open_now}. Limit: {int(quotas.SHARDS_PER_ACCOUNT)}. "
                f"Number of additional shards that would have resulted from this request: {extra}. "
                "Refer to the AWS Service Limits page for the current limits and how to request higher limits."
            )

    # -- SplitShard / MergeShards -------------------------------------------------------------------
    def split_shard(self, *, stream_name: Any = None, shard_to_split: Any = None, new_starting_hash_key: Any = None, stream_arn: Any = None, stream_id: Any = None) -> dict[str, Any]:
        ctx = self.backend
        stream = ctx.describe_stream(stream_arn, stream_name)
        key_text = new_starting_hash_key
        if not isinstance(key_text, str) or not HASH_KEY_PATTERN.match(key_text):
            raise E.validation_errors([E.pattern(key_text, "newStartingHashKey", "0|([1-9]\\d{0,38})")])
        self._reshardable(stream, "SplitShard")
        shard = self._shard(stream, shard_to_split)
        if not shard.is_open:
            raise _not_eligible(shard, stream, ctx.account_id)
        key = int(key_text)
        if not shard.starting_hash + 1 < key < shard.ending_hash:
            raise E.InvalidArgumentError(
                f"NewStartingHashKey {key} used in SplitShard() on shard {shard.shard_id} in stream {stream.name} under "
                f"account {ctx.account_id} is not both greater than one plus the shard's StartingHashKey "
                f"{shard.starting_hash} and less than the shard's EndingHashKey {shard.ending_hash}."
            )
        self._check_quota(1)
        stream.split_shard(shard, key)
        self.backend.retention.watch(stream)
        lifecycle.begin_updating(ctx.clock, stream)

    def merge_shards(self, *, stream_name: Any = None, shard_to_merge: Any = None, adjacent_shard_to_merge: Any = None, stream_arn: Any = None, stream_id: Any = None) -> dict[str, Any]:
        ctx = self.backend
        stream = ctx.describe_stream(stream_arn, stream_name)
        self._reshardable(stream, "MergeShards")
        a = self._shard(stream, shard_to_merge)
        b = self._shard(stream, adjacent_shard_to_merge)
        for s in (a, b):
            if not s.is_open:
                raise _not_eligible(s, stream, ctx.account_id)
        lo, hi = sorted((a, b), key=lambda s: s.starting_hash)
        if a is b or lo.ending_hash + 1 != hi.starting_hash:
            raise E.InvalidArgumentError(
                f"Shards {a.shard_id} and {b.shard_id} in stream {stream.name} under account {ctx.account_id} are not "
                "an adjacent pair of shards eligible for merging"
            )
        stream.merge_shards(a, b)
        self.backend.retention.watch(stream)
        lifecycle.begin_updating(ctx.clock, stream)

    # -- UpdateShardCount ---------------------------------------------------------------------------
    def update_shard_count(self, *, stream_name: Any = None, target_shard_count: Any = None, scaling_type: Any = None, stream_arn: Any = None, stream_id: Any = None) -> dict[str, Any]:
        ctx = self.backend
        stream = ctx.describe_stream(stream_arn, stream_name)
        scaling = scaling_type
        if scaling != "UNIFORM_SCALING":
            raise E.validation_errors([
                f"Value '{scaling}' at 'scalingType' failed to satisfy constraint: Member must satisfy enum value set: [UNIFORM_SCALING]"
            ])
        target = target_shard_count
        if isinstance(target, bool) or not isinstance(target, int) or target < 1:
            raise E.validation_errors([E.value_at_least(target, "targetShardCount", 1)])
        self._reshardable(stream, "UpdateShardCount")
        current = stream.shard_count
        detail = f"Current open shard count: {current}, Target shard count: {target}"
        limit = int(quotas.SHARDS_PER_STREAM_UNIFORM_SCALING)
        if target > limit and current <= limit:
            raise E.LimitExceededError(f"Target shard count or number of open shards cannot be greater than {limit}. {detail}")
        if current > limit and target >= limit:
            raise E.LimitExceededError(f"A stream with more than {limit} open shards can only be scaled down below {limit}. {detail}")
        if target > current * 2:
            raise E.LimitExceededError(f"UpdateShardCount cannot scale up over double your current open shard count. {detail}")
        if target * 2 < current:
            raise E.LimitExceededError(f"UpdateShardCount cannot scale down below half your current open shard count. {detail}")
        now = ctx.now()
        history = [t for t in stream.shard_count_updates if now - t < _DAY]
        if len(history) >= quotas.UPDATE_SHARD_COUNT_PER_DAY:
            raise E.LimitExceededError(
                f"Exceeded the limit of {int(quotas.UPDATE_SHARD_COUNT_PER_DAY)} UpdateShardCount scaling operations per "
                f"rolling 24 hours for stream {stream.name} under account {ctx.account_id}. "
                f"The next one is possible in {int(_DAY - (now - history[0])) + 1} seconds."
            )
        if target > current:
            self._check_quota(target - current)
        if target != current:
            uniform_reshard(stream, target)
            self.backend.retention.watch(stream)
        history.append(now)
        stream.shard_count_updates = history
        lifecycle.begin_updating(ctx.clock, stream)
        return {"StreamName": stream.name, "CurrentShardCount": current, "TargetShardCount": target, "StreamARN": stream.arn}

    # -- ListShards ---------------------------------------------------------------------------------
    def list_shards(self, *, stream_name: Any = None, next_token: Any = None, exclusive_start_shard_id: Any = None, max_results: Any = None, stream_creation_timestamp: Any = None, shard_filter: Any = None, stream_arn: Any = None, stream_id: Any = None) -> dict[str, Any]:
        ctx = self.backend
        backend = ctx
        now = ctx.now()
        max_results = max_results
        if max_results is not None:
            if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
                raise E.validation_errors([E.value_at_least(max_results, "maxResults", 1)])
            if max_results > 10_000:
                raise E.validation_errors([E.value_at_most(max_results, "maxResults", 10_000)])
        page_size = min(max_results or int(quotas.LIST_SHARDS_MAX_RESULTS), int(quotas.LIST_SHARDS_MAX_RESULTS))
        token = next_token
        if token is not None:
            if stream_name is not None or stream_creation_timestamp is not None:
                raise E.InvalidArgumentError("NextToken and StreamName cannot be provided together.")
            if exclusive_start_shard_id is not None or shard_filter is not None:
                raise E.InvalidArgumentError("NextToken cannot be provided together with ExclusiveStartShardId or ShardFilter.")
            state = self._tokens.decode(next_token, E.InvalidArgumentError)
            if now - state["t"] > quotas.LIST_SHARDS_NEXT_TOKEN_LIFETIME_SECONDS:
                raise E.ExpiredNextTokenError(
                    f"The NextToken has expired: it was issued at {_iso(state['t'])} and is valid for "
                    f"{int(quotas.LIST_SHARDS_NEXT_TOKEN_LIFETIME_SECONDS)} seconds. Please request a new list."
                )
            stream = backend.streams.get(state["s"])
            if stream is None or stream.tag != state["g"]:
                raise E.stream_not_found(state["s"], ctx.account_id)
            after, flt = state["a"], state["f"]
        else:
            if stream_name is None and stream_arn is None:
                raise E.InvalidArgumentError("Either NextToken or StreamName should be provided.")
            stream = backend.describe_stream(stream_arn, stream_name)
            if stream.status == "CREATING":
                raise E.ResourceInUseError(
                    f"Stream {stream.name} under account {ctx.account_id} is in CREATING state: its shards can be listed once it is ACTIVE."
                )
            flt = shard_filter
            after = exclusive_start_shard_id
            if flt is not None:
                if after is not None:
                    raise E.InvalidArgumentError("ShardFilter and ExclusiveStartShardId cannot be provided together.")
                flt = self._check_filter(flt)
                if flt["Type"] == "AFTER_SHARD_ID":
                    after = flt["ShardId"]
        shards = self._filtered(stream, flt, now)
        if after is not None:
            shards = [s for s in shards if s.shard_id > after]
        page = shards[:page_size]
        out: dict[str, Any] = {"Shards": [s.to_json() for s in page]}
        if len(shards) > page_size:
            out["NextToken"] = self._tokens.encode({"s": stream.name, "g": stream.tag, "a": page[-1].shard_id, "f": flt, "t": now})
        return out

    @staticmethod
    def _check_filter(flt: Any) -> dict[str, Any]:
        if not isinstance(flt, dict) or flt.get("Type") not in SHARD_FILTER_TYPES:
            kind = flt.get("Type") if isinstance(flt, dict) else flt
            raise E.validation_errors([
                f"Value '{kind}' at 'shardFilter.type' failed to satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(SHARD_FILTER_TYPES)}]"
            ])
        kind = flt["Type"]
        out: dict[str, Any] = {"Type": kind}
        if kind == "AFTER_SHARD_ID":
            if not flt.get("ShardId"):
                raise E.InvalidArgumentError("ShardId must be provided in ShardFilter when the filter type is AFTER_SHARD_ID.")
            out["ShardId"] = flt["ShardId"]
        elif flt.get("ShardId") is not None:
            raise E.InvalidArgumentError(f"ShardId can only be provided in ShardFilter when the filter type is AFTER_SHARD_ID, not {kind}.")
        if kind in ("AT_TIMESTAMP", "FROM_TIMESTAMP"):
            if flt.get("Timestamp") is None:
                raise E.InvalidArgumentError(f"Timestamp must be provided in ShardFilter when the filter type is {kind}.")
            out["Timestamp"] = _epoch(flt["Timestamp"])
        elif flt.get("Timestamp") is not None:
            raise E.InvalidArgumentError(f"Timestamp can only be provided in ShardFilter when the filter type is AT_TIMESTAMP or FROM_TIMESTAMP, not {kind}.")
        return out

    @staticmethod
    def _filtered(stream: Stream, flt: dict[str, Any] | None, now: float) -> list[Shard]:
        shards = sorted((s for s in list(stream.shards.values()) if not expired(stream, s, now)), key=lambda s: s.index)
        kind = flt["Type"] if flt else "FROM_TRIM_HORIZON"
        horizon = max(now - stream.retention_hours * 3600.0, stream.created_at)

        def open_at(s: Shard, t: float) -> bool:
            return s.created_at <= t and (s.closed_at is None or s.closed_at >= t)

        if kind in ("FROM_TRIM_HORIZON", "AFTER_SHARD_ID"):
            return shards
        if kind == "AT_LATEST":
            return [s for s in shards if s.is_open]
        if kind == "AT_TRIM_HORIZON":
            return [s for s in shards if open_at(s, horizon)]
        t = max(float(flt["Timestamp"]), horizon)  # type: ignore[index]
        if kind == "AT_TIMESTAMP":
            return [s for s in shards if open_at(s, t)]
        return [s for s in shards if s.closed_at is None or s.closed_at >= t]  # FROM_TIMESTAMP


def _epoch(value: Any) -> float:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        raise E.InvalidArgumentError(f"Timestamp {value!r} is not a valid timestamp.") from None


def _iso(t: float) -> str:
    return _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc).isoformat()
