"""The recipe search: each ingredient of the IMDB GRU recipe, judged on validation only.

For every ingredient an ablation against the full recipe: the full recipe,
then the same recipe with one ingredient removed or changed, each trained with
several seeds on the training part (22,500 reviews) and scored on the fixed
validation part (2,500 reviews carved from the training reviews,
:mod:`gru_edu.imdb.splits`). The test reviews are never loaded into a model here
(``train_classifier(score_test=False)``).

    python benchmarks/search_recipe.py                  # 7 variants x 3 seeds
    python benchmarks/search_recipe.py --seeds 0 1 2 3  # more seeds
    python benchmarks/search_recipe.py --variants full no_polarity
    python benchmarks/search_recipe.py --fast-setting   # the CI setting's epochs/batch

Runs already in the log (same variant, same seed) are not repeated, so an
interrupted search continues where it stopped. The log,
``benchmarks/logs/search_recipe.json``, holds every run (validation accuracy
and loss, seconds per epoch) and the decisions the rule below makes; it is
committed, and ``render_results.py`` renders it into ``RESULTS.md``.

The rule, fixed before the runs:

* an *accuracy* ingredient (dropout with cosine decay, weight averaging,
  polarity) is kept only if the full recipe's mean validation accuracy is
  higher than without it: a tie or a loss drops it (the simpler recipe wins);
* a *size* choice (vocabulary 10,000 vs 30,000 words; 64 vs 32 vector size
  and units) takes the setting with the higher mean validation accuracy;
* a *speed* ingredient (length buckets) is kept if it makes epochs faster and
  does not lower mean validation accuracy by more than one standard deviation
  of the full recipe's runs.

``--fast-setting`` searches the fast (CI) setting instead: the same recipe on
2,000 training and 500 validation reviews, with candidate epochs and batch
sizes; the *candidate* with the highest mean validation accuracy is chosen
(log: ``benchmarks/logs/search_fast_setting.json``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gru_edu.config import quiet_tensorflow  # noqa: E402

quiet_tensorflow()

from logbook import LOG_DIR, new_log, read_log, session, write_log  # noqa: E402

from gru_edu.imdb import (  # noqa: E402
    FAST_TRAIN_SIZE,
    FAST_VAL_SIZE,
    TrainSettings,
    train_classifier,
)

LOG = LOG_DIR / "search_recipe.json"
FAST_LOG = LOG_DIR / "search_fast_setting.json"

#: The full recipe: every ingredient on (the full-run settings, not the CI ones).
#: Written out, not ``TrainSettings()``: the defaults are what the search chose.
FULL = TrainSettings(
    kind="gru", num_words=10000, maxlen=300, embed_dim=64, units=64, dropout=0.4,
    learning_rate=3e-3, batch_size=128, epochs=4, cosine=True, average_weights=True,
    polarity=True, buckets=True,
)


@dataclass(frozen=True)
class Variant:
    """One recipe of the search: a name, what it changes, and which rule judges it."""

    name: str
    change: str
    kind: str  # "full", "accuracy", "size", "speed" or "candidate"
    settings: TrainSettings


VARIANTS = [
    Variant("full", "every ingredient on", "full", FULL),
    Variant(
        "no_dropout_decay",
        "no dropout, constant learning rate 1e-3 (Adam's default)",
        "accuracy",
        replace(FULL, dropout=0.0, cosine=False, learning_rate=1e-3),
    ),
    Variant("no_weight_average", "last weights, no moving average", "accuracy",
            replace(FULL, average_weights=False)),
    Variant("no_polarity", "no word-polarity input feature", "accuracy",
            replace(FULL, polarity=False)),
    Variant("words_30k", "30,000-word vocabulary (the tutorial's)", "size",
            replace(FULL, num_words=30000)),
    Variant("size_32", "32-dimensional vectors and 32 units", "size",
            replace(FULL, embed_dim=32, units=32)),
    Variant("no_buckets", "padded batches of random reviews (no length buckets)", "speed",
            replace(FULL, buckets=False)),
]

#: The fast setting: the chosen recipe (the defaults) on a slice, with candidate
#: epochs / batch sizes.
FAST = replace(TrainSettings(), train_size=FAST_TRAIN_SIZE, val_size=FAST_VAL_SIZE)
FAST_VARIANTS = [
    Variant(f"epochs_{e}_batch_{b}", f"{e} epochs, batches of {b}", "candidate",
            replace(FAST, epochs=e, batch_size=b))
    for e, b in ((3, 128), (6, 128), (6, 64), (10, 64))
]
BY_NAME = {v.name: v for v in VARIANTS + FAST_VARIANTS}


def run_one(variant: Variant, seed: int, verbose: int) -> dict:
    """Train one variant with one seed; validation numbers only."""
    settings = replace(variant.settings, seed=seed)
    start = time.perf_counter()
    result = train_classifier(settings, verbose=verbose, score_test=False)
    meta = result.trained.meta
    assert meta["test_accuracy"] is None  # the search never scores the test set
    return {
        "variant": variant.name,
        "seed": seed,
        "val_accuracy": meta["val_accuracy"],
        "val_loss": meta["val_loss"],
        "val_accuracy_by_epoch": result.history.get("val_accuracy", []),
        "seconds_per_epoch": meta["seconds_per_epoch"],
        "total_seconds": time.perf_counter() - start,
        "parameters": meta["parameters"],
        "train_reviews": meta["train_reviews"],
        "val_reviews": meta["val_reviews"],
        "settings": asdict(settings),
    }


def summarise(runs: list[dict]) -> dict[str, dict]:
    """Per variant: seeds, mean and sd of validation accuracy, median s/epoch."""
    out: dict[str, dict] = {}
    for name in dict.fromkeys(r["variant"] for r in runs):
        accs = [r["val_accuracy"] for r in runs if r["variant"] == name]
        secs = [r["seconds_per_epoch"] for r in runs if r["variant"] == name]
        if not accs:
            continue
        out[name] = {
            "seeds": len(accs),
            "val_mean": statistics.fmean(accs),
            "val_sd": statistics.stdev(accs) if len(accs) > 1 else 0.0,
            "val_min": min(accs),
            "seconds_per_epoch": statistics.median(secs),
        }
    return out


def choose_candidate(summary: dict[str, dict]) -> list[dict]:
    """The candidate with the highest mean validation accuracy (``--fast-setting``)."""
    best = max(summary, key=lambda name: summary[name]["val_mean"])
    return [{
        "variant": name,
        "change": BY_NAME[name].change,
        "rule": "candidate",
        "full_minus_variant": summary[best]["val_mean"] - stats["val_mean"],
        "keep_full": name == best,
        "verdict": "chosen" if name == best else "not chosen",
    } for name, stats in summary.items()]


def decide(summary: dict[str, dict]) -> list[dict]:
    """Apply the rule of the module docstring to each variant against ``full``."""
    if summary and all(BY_NAME[name].kind == "candidate" for name in summary):
        return choose_candidate(summary)
    full = summary.get("full")
    if full is None:
        return []
    decisions = []
    for name, stats in summary.items():
        variant = BY_NAME[name]
        if variant.kind == "full":
            continue
        diff = full["val_mean"] - stats["val_mean"]  # > 0: the full recipe is better
        if variant.kind == "accuracy":
            keep = diff > 0
            verdict = "keep the ingredient" if keep else "drop the ingredient"
        elif variant.kind == "size":
            keep = diff >= 0
            verdict = "keep the full recipe's size" if keep else f"take {name}"
        else:
            faster = full["seconds_per_epoch"] < stats["seconds_per_epoch"]
            keep = faster and diff >= -full["val_sd"]
            verdict = "keep the ingredient" if keep else "drop the ingredient"
        decisions.append({
            "variant": name,
            "change": variant.change,
            "rule": variant.kind,
            "full_minus_variant": diff,
            "keep_full": keep,
            "verdict": verdict,
        })
    return decisions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", choices=list(BY_NAME), default=None)
    parser.add_argument("--fast-setting", action="store_true",
                        help="search the fast (CI) setting's epochs and batch size")
    parser.add_argument("--log", type=Path, default=None)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args()
    variants = FAST_VARIANTS if args.fast_setting else VARIANTS
    args.variants = args.variants or [v.name for v in variants]
    args.log = args.log or (FAST_LOG if args.fast_setting else LOG)

    log = read_log(args.log) or new_log(
        "search_fast_setting" if args.fast_setting else "search_recipe",
        "IMDB GRU, fast setting (2,000 training and 500 validation reviews): candidate "
        "epochs and batch sizes, validation accuracy only" if args.fast_setting else
        "IMDB GRU recipe ablations, validation accuracy only "
        "(training part 22,500 reviews, validation part 2,500)",
    )
    log["variants"] = {v.name: {"change": v.change, "rule": v.kind} for v in variants}
    log.setdefault("sessions", []).append(session())
    done = {(r["variant"], r["seed"]) for r in log["runs"]}
    for name in args.variants:
        for seed in args.seeds:
            if (name, seed) in done:
                continue
            print(f"=== {name}, seed {seed}", flush=True)
            run = run_one(BY_NAME[name], seed, args.verbose)
            print(f"    val accuracy {run['val_accuracy']:.4f}, "
                  f"{run['seconds_per_epoch']:.1f} s/epoch", flush=True)
            log["runs"].append(run)
            log["summary"] = summarise(log["runs"])
            log["decisions"] = decide(log["summary"])
            write_log(log, args.log)

    log["summary"] = summarise(log["runs"])
    log["decisions"] = decide(log["summary"])
    write_log(log, args.log)
    print("\nvariant              seeds  val mean  val sd   s/epoch")
    for name, s in log["summary"].items():
        print(f"{name:20s} {s['seeds']:5d}  {s['val_mean']:.4f}  {s['val_sd']:.4f}  "
              f"{s['seconds_per_epoch']:7.1f}")
    for d in log["decisions"]:
        print(f"{d['variant']:20s} full - variant = {d['full_minus_variant']:+.4f}: {d['verdict']}")
    if args.fast_setting:
        log["chosen"] = next(d["change"] for d in log["decisions"] if d["keep_full"])
    else:
        log["chosen"] = chosen_recipe(log["decisions"])
    write_log(log, args.log)
    print(f"chosen: {log['chosen']}")
    print(f"log: {args.log}")


def chosen_recipe(decisions: list[dict]) -> str:
    """The recipe the decisions leave: the full one less what was dropped."""
    changes = [d["change"] for d in decisions if not d["keep_full"]]
    if not changes:
        return "the full recipe (every ingredient kept)"
    return "the full recipe with: " + "; ".join(changes)


if __name__ == "__main__":
    main()
