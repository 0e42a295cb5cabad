"""Notebook 04: static figures of the gates of a trained GRU.

:func:`plot_sentiment_so_far` (where the prediction flips),
:func:`plot_gate_heatmaps` (the gates of one review) and
:func:`plot_unit_over_reviews` (one unit across many reviews).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from .gate_explorer import GATE_CMAP, GATE_HEATMAPS, STATE_CMAP


def plot_sentiment_so_far(
    curves: Mapping[str, tuple[Sequence[str], np.ndarray]],
    title: str = "Sentiment so far: the model's output after every word",
) -> Figure:
    """One panel per review: P(positive) after each word, words under it.

    ``curves`` maps a label to ``(words, sentiment)``; the words at which
    the prediction flips (:func:`gru_edu.gates.sentiment_crossings`) are
    marked. Returns a pyplot figure.
    """
    import matplotlib.pyplot as plt

    from gru_edu.gates import sentiment_crossings

    n = len(curves)
    longest = max(len(w) for w, _ in curves.values())
    width = min(12.0, max(6.0, 0.34 * longest + 2.0))
    fig, axes = plt.subplots(n, 1, figsize=(width, 1.9 * n + 0.5),
                             squeeze=False)
    for ax, (label, (words, s)) in zip(axes[:, 0], curves.items()):
        s = np.asarray(s, dtype=float).reshape(-1)
        t = np.arange(len(s))
        ax.plot(t, s, "-o", color="black", markersize=3, linewidth=1.3)
        ax.axhline(0.5, color="0.5", linestyle="--", linewidth=0.8)
        cross = sentiment_crossings(s)
        ax.plot(cross, np.full(len(cross), 0.5), "v", color="#9467bd",
                markersize=8, label="prediction flips")
        for c in cross:
            ax.axvspan(c - 0.5, c + 0.5, color="#9467bd", alpha=0.15)
        ax.set_xticks(t, list(words), rotation=60 if longest > 12 else 0,
                      fontsize=10)
        ax.set_xlim(-0.5, max(len(s), 2) - 0.5)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("P(positive)", fontsize=10)
        ax.set_xlabel("word just read", fontsize=10)
        ax.set_title(f"{label} — final {s[-1]:.2f}", fontsize=10, loc="left")
        ax.grid(axis="y", alpha=0.3)
        if len(cross):
            ax.legend(fontsize=10, loc="upper right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_gate_heatmaps(
    words: Sequence[str], values: Mapping[str, np.ndarray],
    units: Sequence[int] | None = None,
    title: str = "Gates of the trained GRU, word by word",
) -> Figure:
    """Side-by-side heatmaps of ``z``, ``r`` and ``h`` for a short review.

    ``values`` maps ``"z"``, ``"r"``, ``"h"`` to ``(time, units)`` arrays;
    ``units`` picks and orders the rows (default: all). Returns a pyplot
    figure with the words under each panel and one colour bar per panel.
    """
    import matplotlib.pyplot as plt

    keys = [k for k, *_ in GATE_HEATMAPS if k in values]
    first = np.asarray(values[keys[0]])
    rows = np.arange(first.shape[1]) if units is None else np.asarray(units)
    n = len(words)
    width = min(13.0, 1.2 + len(keys) * max(2.6, 0.3 * n + 1.0))
    height = min(7.0, 1.6 + 0.14 * len(rows))
    fig, axes = plt.subplots(1, len(keys), figsize=(width, height),
                             squeeze=False)
    for ax, key in zip(axes[0], keys):
        _, gtitle, label, (lo, hi) = next(g for g in GATE_HEATMAPS
                                          if g[0] == key)
        shown = np.asarray(values[key])[:, rows].T
        # each panel on its own scale (its colour bar says which): on the
        # gate's full range a gate that varies little looks uniform
        lo, hi = float(shown.min()), float(shown.max())
        if hi - lo < 1e-6:
            lo, hi = lo - 0.05, hi + 0.05
        im = ax.imshow(shown, aspect="auto",
                       interpolation="nearest", vmin=lo, vmax=hi,
                       cmap=STATE_CMAP if key == "h" else GATE_CMAP)
        ax.set_xticks(np.arange(n), list(words), rotation=60, fontsize=10)
        step = max(1, int(np.ceil(len(rows) / 10)))
        ax.set_yticks(np.arange(0, len(rows), step),
                      [str(int(u)) for u in rows[::step]], fontsize=10)
        ax.set_ylabel("unit", fontsize=10)
        ax.set_xlabel("word of the review", fontsize=10)
        ax.set_title(gtitle.replace(r" (units $\times$ words)", ""),
                     fontsize=10)
        cb = fig.colorbar(im, ax=ax, fraction=0.08, pad=0.03)
        cb.set_label(label, fontsize=10)
        cb.ax.tick_params(labelsize=10)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_unit_over_reviews(
    series: Sequence[np.ndarray], labels: Sequence[str], unit: int,
    title: str = "", ylabel: str = "$h_t$",
) -> Figure:
    """One unit's value against the step, one line per review (pyplot)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 3.4))
    for s, label in zip(series, labels):
        ax.plot(np.arange(len(s)), s, linewidth=1.0, label=label)
    ax.set_xlabel("step $t$ (word position)")
    ax.set_ylabel(f"{ylabel} of unit {unit}")
    ax.set_title(title or f"Unit {unit} while reading several reviews",
                 fontsize=10)
    ax.grid(alpha=0.3)
    if len(series) <= 8:
        ax.legend(fontsize=10, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig
