"""The key explorer: type a partition key, see its MD5, its 128-bit hash key and the shard it goes to."""

from __future__ import annotations

from typing import Any, Iterable

import ipywidgets as widgets

from labsim.viz.plots.shards import plot_hash_space
from labsim.viz.runs.shards import describe_key
from labsim.viz.widgets.explorer import Explorer

__all__ = ["KeyExplorer", "key_explorer"]


class KeyExplorer(Explorer):
    """``shards`` is a ``list_shards`` response (or its ``Shards`` list); ``keys`` are drawn for
    context. ``.text`` is the input box, ``.result`` the last ``describe_key`` dict, ``.show(key)``
    sets the key from code."""

    figsize = (9.0, 2.4)

    def __init__(self, shards: Any, keys: Iterable[str] = (), *, value: str = "customer-42") -> None:
        self.shards = shards
        self.context_keys = list(keys)
        self.text = widgets.Text(value=value, description="Partition key", continuous_update=False,
                                 placeholder="type a key, then Enter", layout=widgets.Layout(width="460px"))
        super().__init__({"partition_key": self.text})

    def compute(self, values: dict[str, Any]) -> dict[str, Any]:
        return describe_key(self.shards, values["partition_key"])

    def describe(self, result: dict[str, Any], values: dict[str, Any]) -> str:
        return (
            f"<code>MD5 = {result['md5']}</code><br>"
            f"<code>hash key = {result['HashKey']:,}</code> "
            f"({result['fraction']:.1%} of the way through the space)<br>"
            f"goes to <b>{result['ShardId']}</b>"
        )

    def draw(self, figure: Any, result: dict[str, Any], values: dict[str, Any]) -> None:
        key = values["partition_key"]
        plot_hash_space(self.shards, self.context_keys if key in self.context_keys else self.context_keys + [key], ax=figure.subplots(),
                        highlight=key)

    def show(self, key: str) -> dict[str, Any] | None:
        """Look ``key`` up as if it had been typed."""
        return self.set(partition_key=key)


def key_explorer(shards: Any, keys: Iterable[str] = (), *, value: str = "customer-42") -> KeyExplorer:
    """A widget: type a partition key and see where it goes (see ``KeyExplorer``)."""
    return KeyExplorer(shards, keys, value=value)
