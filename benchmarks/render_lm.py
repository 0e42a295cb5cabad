"""RESULTS.md's sections for notebook 07's language model (``bench_lm.py`` logs).

Used by ``render_results.py``; each function takes a log and the header maker.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gru_edu.claims.intervals import t_interval  # noqa: E402
from gru_edu.lm.finetune import summarize_curve  # noqa: E402

SHIPPED_META = Path(__file__).resolve().parent.parent / "gru_edu" / "shipped" / "imdb_lm" / "meta.json"
Header = Callable[[dict[str, Any], str], list[str]]


def _pm(pair: tuple[float, float], scale: float = 100.0) -> str:
    mean, half = pair
    if half != half:  # nan: one run
        return f"{scale * mean:.1f} (one run)"
    return f"{scale * mean:.1f} ± {scale * half:.1f}"


def pretraining_lines() -> list[str]:
    """The shipped language model's training log (its meta.json)."""
    meta = json.loads(SHIPPED_META.read_text())
    base = meta["baselines"]
    lines = [f"The shipped language model (`gru_edu/shipped/imdb_lm`, made by "
             f"`{meta.get('made_by', '?')}` on {meta['device']}): "
             f"{meta['train_words']:,} training words ("
             + "; ".join(f"{name}: {n:,} reviews" for name, n in meta["sources"].items()
                         if name != "validation part")
             + "; labels unused).", "",
             "| epoch | validation perplexity | seconds | words/s |", "|---:|---:|---:|---:|"]
    for row in meta["history"]:
        lines.append(f"| {row['epoch']} | {row['val_perplexity']:.1f} | {row['seconds']:.0f} "
                     f"| {row['words_per_second']:,.0f} |")
    lines += ["", f"Validation perplexity of the same words: GRU language model "
              f"**{meta['val_perplexity']:.1f}**, Kneser–Ney bigram "
              f"{base['bigram_kneser_ney']:.1f}, unigram {base['unigram']:.1f}.", ""]
    return lines


def speed_section(log: dict[str, Any], header: Header) -> list[str]:
    run = log["runs"][0]
    out = ["## The language model: pre-training and speed (`bench_lm.py speed`)", ""]
    out += pretraining_lines() + header(log, "bench_lm_speed.json")
    out += ["| softmax | training words/s |", "|---|---:|"]
    for name, value in run["words_per_second"].items():
        out.append(f"| {name} | {value:,.0f} |")
    out += ["", f"Measured side by side in one run, {run['seconds_each']:.0f} s each "
            f"({run['units']} units, {run['num_words']:,} words): the sampled softmax trains "
            f"**{run['ratio_sampled_over_full']:.1f}×** as many words per second.", ""]
    return out


def probe_section(log: dict[str, Any], header: Header) -> list[str]:
    out = ["## Sentiment in the frozen language model (`bench_lm.py probe`)", ""]
    out += header(log, "bench_lm_probe.json")
    out += ["Logistic probe on the frozen states (penalty chosen on validation), test "
            "accuracy on all 25,000 test reviews, mean ± 95 % t-interval over seeds "
            "(the label subsets):", "",
            "| state | 100 labels | 1,000 labels | 22,500 labels |", "|---|---:|---:|---:|"]
    for kind in ("final", "mean"):
        cells = []
        for size in (100, 1000, 22500):
            accs = [r["test_accuracy"] for r in log["runs"]
                    if r["state"] == kind and r["labels"] == size]
            cells.append(_pm(t_interval(accs)) if accs else "—")
        out.append(f"| {kind} | " + " | ".join(cells) + " |")
    out.append("")
    for kind in ("final", "mean"):
        unit = log.get(f"best_unit_{kind}")
        if unit:
            out.append(f"- Best single unit of the {kind} state: unit {unit['unit']} "
                       f"({'higher' if unit['sign'] > 0 else 'lower'} = positive), test "
                       f"accuracy **{100 * unit['test_accuracy']:.1f} %** (validation "
                       f"{100 * unit['val_accuracy']:.1f} %).")
    return out + [""]


def curve_section(log: dict[str, Any], header: Header) -> list[str]:
    out = ["## Pre-training vs from scratch (`bench_lm.py curve`)", ""]
    out += header(log, "bench_lm_curve.json")
    out += ["Classifiers `Embedding → GRU(128) → Dense(1)` with the language model's "
            "vocabulary, from the language model or from scratch, paired by seed (same "
            "labelled subset, same batches); test accuracy (%) on a fixed label-balanced "
            "sample of 5,000 test reviews, mean ± 95 % t-interval:", "",
            "| labels | seeds | from scratch | pre-trained | paired difference | "
            "validation difference | seconds (pre-trained) |",
            "|---:|---:|---:|---:|---:|---:|---:|"]
    for row in summarize_curve(log["runs"]):
        out.append(f"| {row['labels']:,} | {row['seeds']} | {_pm(row['scratch_test'])} | "
                   f"{_pm(row['pretrained_test'])} | {_pm(row['difference_test'])} | "
                   f"{_pm(row['difference_val'])} | {row['seconds']:.0f} |")
    return out + [""]


def recipe_section(log: dict[str, Any], header: Header) -> list[str]:
    out = ["## `python -m gru_edu train`: fine-tuned from the language model on all labels "
           "(`bench_lm.py recipe`)", ""]
    out += header(log, "bench_lm_recipe.json")
    runs = log["runs"]
    out += ["Fine-tuned from the shipped language model on the 22,500 training reviews, "
            "validation after every epoch, all 25,000 test reviews scored once per seed:", "",
            "| seed | validation | test | training seconds |", "|---:|---:|---:|---:|"]
    for r in sorted(runs, key=lambda r: r["seed"]):
        out.append(f"| {r['seed']} | {100 * r['val_accuracy']:.2f} % | "
                   f"{100 * r['test_accuracy']:.2f} % | {r['train_seconds']:.0f} |")
    test = t_interval([r["test_accuracy"] for r in runs])
    val = t_interval([r["val_accuracy"] for r in runs])
    seconds = [r["train_seconds"] for r in runs]
    out += ["", f"Mean over {len(runs)} seeds: validation {_pm(val)} %, test **{_pm(test)} %**; "
            f"training {min(seconds):.0f}–{max(seconds):.0f} s on this machine "
            f"(load average in the header).", ""]
    return out
