"""How the backend reaches the OpenSearch and Splunk destinations (issue 12): one seam, three hooks.

- ``more_destinations``: CreateDeliveryStream / UpdateDestination members moto's request parser does
  not pass (``AmazonopensearchserviceDestination*``, ``AmazonOpenSearchServerlessDestination*``); the
  firehose ``api`` handlers hand them to the backend as keyword arguments, renamed here to the
  destination kinds ``config.parse_destination`` knows.
- ``SEARCH_AND_SPLUNK``: the kinds whose writer ``search_or_splunk_writer`` builds.
"""

from __future__ import annotations

from typing import Any

from .opensearch import KINDS as SEARCH_KINDS
from .opensearch import OpenSearchWriter
from .splunk import SplunkWriter

SEARCH_AND_SPLUNK = (*SEARCH_KINDS, "Splunk")

#: API member (Create / Update) -> destination kind.
MEMBERS = {
    "AmazonopensearchserviceDestinationConfiguration": "Amazonopensearchservice",
    "AmazonopensearchserviceDestinationUpdate": "Amazonopensearchservice",
    "AmazonOpenSearchServerlessDestinationConfiguration": "AmazonOpenSearchServerless",
    "AmazonOpenSearchServerlessDestinationUpdate": "AmazonOpenSearchServerless",
}


def more_destinations(given: dict[str, Any]) -> dict[str, Any]:
    """``{API member: configuration}`` -> ``{kind: configuration}`` for the members moto does not pass."""
    unknown = set(given) - set(MEMBERS)
    if unknown:
        raise TypeError(f"unexpected destination arguments {sorted(unknown)}")
    return {MEMBERS[member]: config for member, config in given.items()}


def search_or_splunk_writer(stream: str, dest: Any, context: Any, backup: Any, naming: Any, metrics: Any,
                            account_id: str, region: str) -> Any:
    if dest.kind == "Splunk":
        return SplunkWriter(stream, dest, context, backup, naming, metrics)
    return OpenSearchWriter(stream, dest, context, backup, naming, metrics, account_id, region)
