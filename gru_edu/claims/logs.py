"""Reading the committed benchmark logs of the GRU-vs-LSTM claims (notebook 05)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .intervals import t_interval

__all__ = ["load_log", "unique_runs", "curve", "paired_values", "paired_difference"]


def load_log(name: str) -> dict[str, Any]:
    """A committed benchmark log, ``benchmarks/logs/bench_claims_<name>.json``."""
    import json

    from gru_edu.config import repo_root

    path = repo_root() / "benchmarks" / "logs" / f"bench_claims_{name}.json"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: run python benchmarks/bench_claims.py --part {name}"
        )
    return json.loads(path.read_text())


def unique_runs(runs: Sequence[dict]) -> list[dict]:
    """One run per (cell, training size, seed): the last one logged."""
    return list({(r["cell"], r["train_reviews"], r["seed"]): r for r in runs}.values())


def curve(runs: Sequence[dict], cell: str, key: str = "test_accuracy") -> dict[int, dict]:
    """Per training size: ``{"mean", "half", "n", "values"}`` of ``key`` for one cell."""
    out: dict[int, dict] = {}
    rows = [r for r in unique_runs(runs) if r["cell"] == cell]
    for size in sorted({r["train_reviews"] for r in rows}):
        values = [r[key] for r in rows if r["train_reviews"] == size]
        mean, half = t_interval(values)
        out[size] = {"mean": mean, "half": half, "n": len(values), "values": values}
    return out


def paired_values(runs: Sequence[dict], a: str, b: str, size: int) -> list[float]:
    """Test accuracy of cell ``a`` minus cell ``b`` at one training size, one
    value per seed both cells ran (paired by seed, in seed order)."""
    acc = {(r["cell"], r["train_reviews"], r["seed"]): r["test_accuracy"]
           for r in unique_runs(runs)}
    seeds = sorted(s for (c, n, s) in acc if c == a and n == size and (b, size, s) in acc)
    return [acc[(a, size, s)] - acc[(b, size, s)] for s in seeds]


def paired_difference(runs: Sequence[dict], a: str, b: str) -> dict[int, dict]:
    """Test accuracy of cell ``a`` minus cell ``b``, paired by seed, per size.

    Runs with the same seed and size share the training reviews, the batch
    order and the dropout stream; only the cell differs. Returns per size
    ``{"mean", "half", "n"}`` (95 % t-interval of the paired differences).
    """
    rows = unique_runs(runs)
    acc = {(r["cell"], r["train_reviews"], r["seed"]): r["test_accuracy"] for r in rows}
    out: dict[int, dict] = {}
    for size in sorted({r["train_reviews"] for r in rows}):
        diffs = [acc[(a, size, s)] - acc[(b, size, s)]
                 for (c, n, s) in acc if c == a and n == size and (b, size, s) in acc]
        if diffs:
            mean, half = t_interval(diffs)
            out[size] = {"mean": mean, "half": half, "n": len(diffs)}
    return out
