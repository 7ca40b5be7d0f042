"""Reading a stream, drawn: iterator starts, polling readers sharing a shard, polling against
enhanced fan-out, and shard lineage (pictures of ``labsim.viz.runs.consumers``)."""

from __future__ import annotations

from typing import Any, Sequence

from labsim import quotas
from labsim.viz.runs.consumers import ITERATOR_TYPES, PollingRun, consumer_comparison, epoch_seconds, lineage

__all__ = ["plot_iterator_starts", "plot_polling_runs", "plot_consumer_comparison", "plot_lineage"]

MiB = quotas.MiB
_COLOURS = {
    "TRIM_HORIZON": "tab:blue", "AT_TIMESTAMP": "tab:purple", "AT_SEQUENCE_NUMBER": "tab:green",
    "AFTER_SEQUENCE_NUMBER": "tab:olive", "LATEST": "tab:red",
}


def plot_iterator_starts(
    records: Sequence[dict[str, Any]], starts: dict[str, str | None], *, timestamp: Any = None, ax: Any = None
) -> Any:
    """Records on a time axis (as ``get_records`` returns them) and an arrow where each type starts.

    ``starts`` maps iterator type to the first sequence number it returns (``iterator_starts``);
    a type with None (LATEST: only what is written later) points just after the last record.
    """
    import matplotlib.pyplot as plt

    if not records:
        raise ValueError("no records to draw: write some first")
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.4))
    t0 = epoch_seconds(records[0]["ApproximateArrivalTimestamp"])
    xs = [epoch_seconds(r["ApproximateArrivalTimestamp"]) - t0 for r in records]
    index = {r["SequenceNumber"]: i for i, r in enumerate(records)}
    ax.scatter(xs, [0] * len(xs), s=70, color="0.55", zorder=3, label="records (arrival time)")
    for i, x in enumerate(xs):
        ax.annotate(str(i), (x, 0), textcoords="offset points", xytext=(0, -16), ha="center", fontsize=8, color="0.3")
    span = max(xs[-1], 1.0)
    for level, kind in enumerate(ITERATOR_TYPES, start=1):
        seq = starts.get(kind)
        if seq is None:
            x, label = xs[-1] + span * 0.06, f"{kind} (after the newest record)"
        else:
            x, label = xs[index[seq]], f"{kind} -> record {index[seq]}"
        y = 0.18 * level
        ax.annotate("", xy=(x, 0.04), xytext=(x, y), arrowprops={"arrowstyle": "->", "color": _COLOURS[kind], "lw": 1.8})
        # Labels sit beside their arrow's top, on the side away from the higher (later) arrows,
        # so no label runs across another arrow.
        left = x < span * 0.35
        ax.text(x + (1 if left else -1) * span * 0.012, y, label, color=_COLOURS[kind],
                ha="left" if left else "right", va="center", fontsize=9)
    if timestamp is not None:
        ax.axvline(epoch_seconds(timestamp) - t0, color=_COLOURS["AT_TIMESTAMP"], ls=":", lw=1)
    ax.set_ylim(-0.25, 0.18 * (len(ITERATOR_TYPES) + 1.4))
    ax.set_xlim(-span * 0.05, span * 1.2)
    ax.set_yticks([])
    ax.set_xlabel("arrival time (s after the first record)")
    ax.set_title("Where each shard iterator type starts reading")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    return ax


def plot_polling_runs(runs: Sequence[PollingRun], *, axes: Any = None) -> Any:
    """Three panels for runs with different numbers of readers: MiB/s per reader against what was
    written, share of calls throttled, and mean latency (arrival to delivery)."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    labels = [f"{len(r.readers)} reader{'s' if len(r.readers) > 1 else ''}" for r in runs]
    per = [sum(r.per_reader_mib_per_s()) / len(r.readers) for r in runs]
    axes[0].bar(labels, per, color="tab:blue", label="read per reader")
    axes[0].plot(labels, [r.write_mib_per_s for r in runs], "k_", markersize=40, mew=2, label="written")
    axes[0].axhline(quotas.SHARD_READ_BYTES_PER_SECOND / MiB, color="tab:red", ls="--", lw=1, label="2 MiB/s shard read limit")
    axes[0].set_ylabel("MiB/s")
    axes[0].set_title("Throughput each reader gets")
    axes[0].legend(fontsize=8)
    share = [100 * sum(x.throttled for x in r.readers) / max(1, sum(x.calls for x in r.readers)) for r in runs]
    axes[1].bar(labels, share, color="tab:orange")
    axes[1].set_ylabel("% of GetRecords calls")
    axes[1].set_title("Calls refused (ProvisionedThroughputExceeded)")
    lat = [sum(x.mean_latency_ms for x in r.readers) / len(r.readers) for r in runs]
    axes[2].bar(labels, lat, color="tab:green")
    axes[2].set_ylabel("ms")
    axes[2].set_title("Mean delay, write to delivery")
    axes[0].figure.tight_layout()
    return axes


def plot_consumer_comparison(write_mib_per_s: float, shards: int = 1, max_consumers: int = 10,
                             highlight: int | None = None, *, axes: Any = None) -> Any:
    """Per-consumer MiB/s and latency for 1..max_consumers consumers, polling against EFO."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.4))
    ns = list(range(1, max_consumers + 1))
    rows = [consumer_comparison(n, write_mib_per_s, shards) for n in ns]
    for mode, colour in (("polling", "tab:orange"), ("efo", "tab:blue")):
        axes[0].plot(ns, [r[mode]["per_consumer_mib_per_s"] for r in rows], "o-", color=colour, label=mode)
        axes[1].plot(ns, [r[mode]["latency_ms"] for r in rows], "o-", color=colour, label=mode)
    axes[0].axhline(write_mib_per_s, color="k", ls=":", lw=1, label="written (MiB/s)")
    axes[0].set_title(f"Read rate each consumer gets ({shards} shard{'s' if shards > 1 else ''})")
    axes[0].set_ylabel("MiB/s per consumer")
    axes[1].set_title("Typical delay, write to delivery")
    axes[1].set_ylabel("ms")
    for ax in axes:
        ax.set_xlabel("consumer applications")
        ax.legend(fontsize=8)
        if highlight:
            ax.axvline(highlight, color="0.6", lw=6, alpha=0.3)
    axes[0].figure.tight_layout()
    return axes


def plot_lineage(shards: Any, *, ax: Any = None, records: dict[str, int] | None = None) -> Any:
    """Draw shards as boxes: x = generation, y = hash range; arrows from parent to child.

    Open shards are filled, closed ones hatched. ``records`` (shard id -> count) is written inside.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, Rectangle

    tree = lineage(shards)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.8))
    space = float(quotas.HASH_KEY_MAX) + 1
    width = 0.6
    for sid, s in tree.items():
        x, y0, y1 = s["generation"], s["start"] / space, (s["end"] + 1) / space
        ax.add_patch(Rectangle((x, y0), width, y1 - y0, facecolor="tab:green" if s["open"] else "white",
                               alpha=0.5 if s["open"] else 1, edgecolor="k", hatch=None if s["open"] else "//"))
        label = sid.replace("shardId-", "")
        label = label.lstrip("0") or "0"
        text = f"shard {label}\n{'OPEN' if s['open'] else 'CLOSED'}"
        if records and sid in records:
            text += f"\n{records[sid]} rec"
        ax.text(x + width / 2, (y0 + y1) / 2, text, ha="center", va="center", fontsize=8,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
        for p in s["parents"]:
            if p in tree:
                q = tree[p]
                ax.add_patch(FancyArrowPatch(
                    (q["generation"] + width, (q["start"] + q["end"]) / 2 / space),
                    (x, (s["start"] + s["end"]) / 2 / space), arrowstyle="->", mutation_scale=14, color="0.3"))
    gens = max(s["generation"] for s in tree.values()) if tree else 0
    ax.set_xlim(-0.2, gens + 1)
    ax.set_ylim(0, 1)
    ax.set_xticks([g + width / 2 for g in range(gens + 1)])
    ax.set_xticklabels([f"generation {g}" for g in range(gens + 1)])
    ax.set_ylabel("hash-key space (fraction)")
    ax.set_title("Shard lineage: parents on the left, children on the right")
    return ax
