"""Tag condition keys: ``aws:ResourceTag/<key>`` from the tags of streams and delivery streams,
``aws:RequestTag/<key>`` and ``aws:TagKeys`` from the tags a request sets (attribute-based access control).

Kinesis (streams) and Firehose (delivery streams) document ``aws:ResourceTag/${TagKey}``,
``aws:RequestTag/${TagKey}`` and ``aws:TagKeys`` as their tag condition keys (Service Authorization
Reference); neither defines a service-prefixed tag key. The keys are added to a request's context
only when one of the policies that apply mentions them (``Policy.uses_tags``), so requests whose
policies test no tag pay nothing for them.

>>> request_tags("kinesis", "AddTagsToStream", {"Tags": {"team": "payments"}})
{'team': 'payments'}
>>> request_tags("firehose", "TagDeliveryStream", {"Tags": [{"Key": "team", "Value": "ops"}]})
{'team': 'ops'}
"""

from __future__ import annotations

from typing import Any

from .principals import backends

#: Operations that set tags: (service, operation) -> the parameter holding them.
TAGGING = {("kinesis", "CreateStream"): "Tags", ("kinesis", "AddTagsToStream"): "Tags", ("kinesis", "TagResource"): "Tags",
           ("kinesis", "RegisterStreamConsumer"): "Tags", ("firehose", "CreateDeliveryStream"): "Tags",
           ("firehose", "TagDeliveryStream"): "Tags"}


def resource_tags(arn: str) -> dict[str, str]:
    """The tags of the stream or delivery stream ``arn`` names ({} for anything else, or if it does not exist)."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return {}
    service, region, account, rest = parts[2], parts[3], parts[4], parts[5]
    try:
        if service == "kinesis" and rest.startswith("stream/") and "/consumer/" not in rest:
            stream = backends("kinesis")[account][region].streams.get(rest[len("stream/"):])
            return dict(stream.tags) if stream is not None else {}
        if service == "firehose" and rest.startswith("deliverystream/"):
            tagger = backends("firehose")[account][region].tagger
            return tagger.get_tag_dict_for_resource(arn)
    except (KeyError, AttributeError):
        return {}
    return {}


def request_tags(service: str, operation: str, params: dict[str, Any]) -> dict[str, str] | None:
    """The tags a request sets, or None if the operation sets none."""
    name = TAGGING.get((service, operation))
    if name is None:
        return None
    tags = params.get(name)
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    if isinstance(tags, list):
        return {str(t.get("Key")): str(t.get("Value", "")) for t in tags if isinstance(t, dict)}
    return {}


def tag_keys(resource: str, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """The tag condition keys of one request, lower-cased as policies compare them."""
    ctx: dict[str, Any] = {f"aws:resourcetag/{k.lower()}": v for k, v in resource_tags(resource).items()} if resource != "*" else {}
    requested = request_tags(service, operation, params)
    if requested is not None:
        ctx.update({f"aws:requesttag/{k.lower()}": v for k, v in requested.items()})
        ctx["aws:tagkeys"] = list(requested)
    return ctx
