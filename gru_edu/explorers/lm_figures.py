"""Notebook 07's static figures: perplexity by epoch, the gate by word group,
one unit over a review, and the learning curve with and without pre-training."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .base import GATE_COLOURS, OKABE_ITO

__all__ = ["plot_perplexity_history", "plot_gate_groups", "plot_unit_trace",
           "plot_learning_curve"]


def plot_perplexity_history(ax: Any, history: Sequence[Mapping[str, float]],
                            baselines: Mapping[str, float]) -> None:
    """Validation perplexity after each epoch, with the count baselines as lines."""
    epochs = [row["epoch"] for row in history]
    ax.plot(epochs, [row["val_perplexity"] for row in history], "o-",
            color=GATE_COLOURS["z"], label="GRU language model")
    styles = {"unigram": (OKABE_ITO[6], ":"), "bigram_kneser_ney": (OKABE_ITO[1], "--")}
    names = {"unigram": "unigram counts", "bigram_kneser_ney": "Kneser-Ney bigram"}
    for key, value in baselines.items():
        colour, dash = styles.get(key, ("0.4", "-."))
        ax.axhline(value, color=colour, linestyle=dash, label=f"{names.get(key, key)} ({value:.0f})")
    ax.set_ylim(0, 1.08 * max([*baselines.values(), *(r["val_perplexity"] for r in history)]))
    ax.set_xticks(epochs)
    ax.set_xlabel("epoch (one pass over the training text)")
    ax.set_ylabel("validation perplexity")
    ax.set_title("Perplexity of the validation reviews: lower is better")
    ax.legend(frameon=False, loc="center right")
    ax.grid(alpha=0.3)


def plot_gate_groups(ax: Any, groups: Mapping[str, Any]) -> None:
    """Mean update gate ``z`` at each group's words (bars), occurrences in the labels."""
    names = list(groups)
    values = [groups[n].mean_z for n in names]
    colours = [OKABE_ITO[0] if n == "every word" else GATE_COLOURS["z"] for n in names]
    ax.bar(range(len(names)), values, color=colours)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels([f"{n}\n({groups[n].occurrences:,})" for n in names])
    lo, hi = min(values), max(values)
    ax.set_ylim(max(0.0, lo - 0.1), min(1.0, hi + 0.05))
    ax.set_ylabel("mean update gate z (1 = keep the state)")
    ax.set_xlabel("words of the group (occurrences in the reviews)")
    ax.set_title("Where the language model's GRU writes (low z) and keeps (high z)")
    ax.grid(axis="y", alpha=0.3)


def plot_unit_trace(ax: Any, words: Sequence[str], values: np.ndarray, unit: int,
                    threshold: float | None = None, title: str = "") -> None:
    """One unit's state word by word over a review, the words on the x axis
    (every word read; as many labelled as fit)."""
    x = np.arange(len(words))
    ax.plot(x, values, color=GATE_COLOURS["h"], linewidth=1.5, label=f"unit {unit}")
    if threshold is not None:
        ax.axhline(threshold, color="0.4", linestyle="--", label="the rule's threshold")
    step = max(1, -(-len(words) // 45))
    ax.set_xticks(x[::step])
    ax.set_xticklabels(list(words)[::step], rotation=70, ha="right")
    ax.set_xlabel("word of the review" + (f" (one in {step} labelled)" if step > 1 else ""))
    ax.set_ylabel(f"state of unit {unit}")
    ax.set_title(title or f"Unit {unit} of the language model, read word by word")
    ax.legend(frameon=False, loc="lower left")
    ax.grid(alpha=0.3)


def plot_learning_curve(ax: Any, table: Sequence[Mapping[str, Any]],
                        metric: str = "test") -> None:
    """Mean accuracy (95 % t-interval bars) against labelled reviews, both starts.

    ``table``: :func:`gru_edu.lm.finetune.summarize_curve`'s rows.
    """
    sizes = [row["labels"] for row in table]
    for arm, colour, marker in (("scratch", OKABE_ITO[6], "s"),
                                ("pretrained", GATE_COLOURS["z"], "o")):
        means = [row[f"{arm}_{metric}"][0] for row in table]
        errs = [np.nan_to_num(row[f"{arm}_{metric}"][1]) for row in table]
        label = "from the language model" if arm == "pretrained" else "from scratch"
        ax.errorbar(sizes, means, yerr=errs, color=colour, marker=marker, capsize=4,
                    label=label)
    ax.set_xscale("log")
    ax.set_xticks(sizes)
    ax.set_xticklabels([f"{s:,}" for s in sizes])
    ax.set_xlabel("labelled training reviews (log scale)")
    ax.set_ylabel(f"{metric} accuracy")
    ax.set_title("Sentiment accuracy with few and many labels (mean, 95 % interval)")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3, which="both")
