"""The hash-key space, drawn: which shard owns which slice, and where partition keys land.

Kinesis routes a record by MD5(partition key), read as a 128-bit unsigned integer, to the open
shard whose ``HashKeyRange`` contains it (``labsim.keyspace``). Positions here are shown as
a fraction of the space (0 = hash key 0, 1 = 2**128 - 1) so the picture does not need 39-digit axes.

>>> from labsim.viz.shards import hash_fraction
>>> round(hash_fraction("user-42"), 4)
0.4617
"""

from __future__ import annotations

from typing import Any, Iterable

from labsim.keyspace import HASH_KEY_SPACE, shard_ranges, partition_key_hash, shard_for_key

__all__ = ["hash_fraction", "describe_key", "plot_hash_space", "key_explorer"]


def hash_fraction(partition_key: str) -> float:
    """Where ``partition_key`` lands in the hash space, as a fraction between 0 and 1."""
    return partition_key_hash(partition_key) / HASH_KEY_SPACE


def describe_key(shards: Any, partition_key: str) -> dict[str, Any]:
    """Everything about one key's routing: MD5 digest, 128-bit hash key, fraction and shard."""
    if not isinstance(partition_key, str) or not partition_key:
        raise ValueError("a partition key is a non-empty string (1 to 256 characters)")
    hash_key = partition_key_hash(partition_key)
    return {
        "PartitionKey": partition_key,
        "md5": f"{hash_key:032x}",
        "HashKey": hash_key,
        "fraction": hash_key / HASH_KEY_SPACE,
        "ShardId": shard_for_key(shards, partition_key),
    }


def _open_ranges(shards: Any) -> list[tuple[int, int, str]]:
    entries = [(start, end, shard_id) for start, end, shard_id, is_open in shard_ranges(shards) if is_open]
    if not entries:
        raise ValueError("no open shards to draw: pass a list_shards/describe_stream response")
    return sorted(entries)


def plot_hash_space(shards: Any, keys: Iterable[str] = (), *, ax: Any = None, highlight: str | None = None) -> Any:
    """Draw the hash space as one bar split into the open shards' ranges, with ``keys`` marked on it.

    ``shards`` is a ``list_shards`` / ``describe_stream`` response or its ``Shards`` list.
    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 2.4))
    ranges = _open_ranges(shards)
    colours = plt.get_cmap("tab10")
    for i, (start, end, shard_id) in enumerate(ranges):
        left = start / HASH_KEY_SPACE
        width = (end + 1 - start) / HASH_KEY_SPACE
        ax.barh(0, width, left=left, height=0.5, color=colours(i % 10), alpha=0.35, edgecolor="black")
        ax.text(left + width / 2, -0.3, _shard_label(shard_id), ha="center", va="top", fontsize=8)
    # Labels are staggered over three heights in the order the keys sit on the bar, so neighbours never share one.
    for j, key in enumerate(sorted(dict.fromkeys(keys), key=hash_fraction)):
        x = hash_fraction(key)
        bold = key == highlight
        ax.plot([x, x], [-0.25, 0.25], color="crimson" if bold else "black", lw=2.5 if bold else 1.2)
        ax.annotate(key, (x, 0.25), xytext=(0, 6 + 11 * (j % 3)), textcoords="offset points",
                    ha="center", fontsize=8, fontweight="bold" if bold else "normal",
                    color="crimson" if bold else "black")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.8, 1.1)
    ax.set_yticks([])
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1])
    ax.set_xticklabels(["0", "2\u00b9\u00b2\u2078/4", "2\u00b9\u00b2\u2078/2", "3\u00b72\u00b9\u00b2\u2078/4", "2\u00b9\u00b2\u2078\u22121"])
    ax.set_xlabel("hash key = MD5(partition key) as a 128-bit integer")
    ax.set_title(f"{len(ranges)} open shard(s): each owns one contiguous slice of the hash-key space")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    return ax


def _shard_label(shard_id: str) -> str:
    """``shardId-000000000003`` -> ``shard 3`` (the full id is in the text output)."""
    tail = shard_id.rsplit("-", 1)[-1]
    return f"shard {int(tail)}" if tail.isdigit() else shard_id


def key_explorer(shards: Any, keys: Iterable[str] = (), *, value: str = "customer-42") -> Any:
    """A widget: type a partition key and see its MD5, its 128-bit hash key and the shard it goes to.

    ``shards`` is a ``list_shards`` response (or its ``Shards`` list). ``keys`` are drawn for context.
    The returned VBox has ``.text`` (the input), ``.result`` (the last ``describe_key`` dict) and
    ``.show(key)`` (set the key from code).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    keys = list(keys)
    text = widgets.Text(value=value, description="Partition key", continuous_update=False,
                        layout=widgets.Layout(width="420px"))
    info = widgets.HTML()
    out = widgets.Output()
    box = widgets.VBox([text, info, out])

    def show(key: str) -> None:
        if not key:
            info.value = "<i>type a partition key (1 to 256 characters)</i>"
            return
        result = describe_key(shards, key)
        box.result = result
        info.value = (
            f"<code>MD5 = {result['md5']}</code><br>"
            f"<code>hash key = {result['HashKey']:,}</code> "
            f"({result['fraction']:.1%} of the way through the space)<br>"
            f"goes to <b>{result['ShardId']}</b>"
        )
        out.clear_output(wait=True)
        with out:
            fig, ax = plt.subplots(figsize=(9, 2.4))
            plot_hash_space(shards, keys + [key] if key not in keys else keys, ax=ax, highlight=key)
            plt.show()

    text.observe(lambda change: show(change["new"]), names="value")
    box.text = text
    box.result = None
    box.show = lambda key: setattr(text, "value", key) if text.value != key else show(key)
    show(value)
    return box
