"""The RESULTS.md sections of ``bench_claims.py`` (notebook 05's four logs).

Imported by ``render_results.py``; every number comes from a log in
``benchmarks/logs/bench_claims_*.json``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gru_edu import claims  # noqa: E402

CELL_LABELS = {"gru": "GRU(64)", "lstm": "LSTM(64)", "lstm_matched": "matched LSTM"}


def _head(log: dict[str, Any], title: str, log_name: str, header: Any) -> list[str]:
    return [f"## {title}", ""] + header(log, log_name)


def _ci(p: dict | None, digits: int = 1) -> str:
    if not p:
        return "—"
    half = "n/a" if p["half"] != p["half"] else f"{100 * p['half']:.{digits}f}"
    return f"{100 * p['mean']:.{digits}f} ± {half} ({p['n']})"


def curves_section(log: dict[str, Any], header: Any) -> list[str]:
    runs = log["runs"]
    cells = log["cells"]
    labels = {c: f"{CELL_LABELS[c]} [{cells[c]['units']} units, "
                 f"{cells[c]['recurrent_parameters']:,} rec. weights]" for c in cells}
    table = {c: claims.curve(runs, c) for c in cells}
    same = claims.paired_difference(runs, "gru", "lstm")
    matched = claims.paired_difference(runs, "gru", "lstm_matched")
    sizes = sorted(set().union(*table.values()))
    r = log["recipe"]
    lines = _head(log, "GRU vs LSTM learning curves on IMDB (`bench_claims.py --part curves`)",
                  "bench_claims_curves.json", header)
    lines += [
        f"Notebook 03's recipe shortened to fit the budget: reviews cut to their last "
        f"{r['maxlen']} words, {r['val_size']:,} validation reviews carved from the "
        f"training part, epochs per training size {log['epoch_budget']} for every cell, "
        "each run ending on its best validation epoch; each model scored once on the "
        f"first {claims.CURVE_TEST_REVIEWS:,} test reviews. Test accuracy, mean ± half-width "
        "of the 95 % t-interval (seeds); differences paired by seed.",
        f"Wall time: {log.get('wall_seconds_total', 0) / 60:.0f} process-minutes in all "
        "(three processes side by side on a shared machine).",
        "",
        "| training reviews | " + " | ".join(labels[c] for c in cells)
        + " | GRU − LSTM(64) | GRU − matched LSTM |",
        "|---" * (len(cells) + 3) + "|",
    ]
    for n in sizes:
        lines.append(f"| {n:,} | " + " | ".join(_ci(table[c].get(n)) for c in cells)
                     + f" | {_ci(same.get(n))} | {_ci(matched.get(n))} |")
    return lines + [""]


def speed_section(log: dict[str, Any], header: Any) -> list[str]:
    lines = _head(log, "Seconds per training step: SimpleRNN, GRU, LSTM "
                  "(`bench_claims.py --part speed`)", "bench_claims_speed.json", header)
    lines += [log["about"] + ". Median of the rounds; ratio to the LSTM next to the "
              "ratio of matrix work (1 : 3 : 4 weight blocks).", "",
              "| XLA | SimpleRNN ms | GRU ms | LSTM ms | SimpleRNN / LSTM | GRU / LSTM "
              "| matrix work GRU / LSTM |", "|---|---|---|---|---|---|---|"]
    for run in log["runs"]:
        ms = run["median_seconds_per_step"]
        ratio = run["ratio_to_lstm"]
        lines.append(
            f"| {'on' if run['jit_compile'] else 'off'} | {1000 * ms['simple_rnn']:.0f} | "
            f"{1000 * ms['gru']:.0f} | {1000 * ms['lstm']:.0f} | "
            f"{ratio['simple_rnn']:.2f} | {ratio['gru']:.2f} | 0.75 |")
    return lines + ["", "No GPU on this machine: cuDNN speed not measured.", ""]


def counting_section(log: dict[str, Any], header: Any) -> list[str]:
    s = log["settings"]
    lines = _head(log, "Counting: aⁿbⁿ (`bench_claims.py --part counting`)",
                  "bench_claims_counting.json", header)
    lines += [f"Trained on n = 1…{s['train_max']} ({s['units']} units, {s['steps']} "
              f"full-batch Adam steps, learning rate {s['learning_rate']}), tested on "
              f"n = 1…{s['test_max']}; a string is recognised when every answer is right.",
              "", "| cell | largest n with all n' ≤ n recognised, per seed | median "
              "| seeds recognising every training string |", "|---|---|---|---|"]
    for kind in ("simple_rnn", "gru", "lstm"):
        rows = [r for r in log["runs"] if r["kind"] == kind]
        if not rows:
            continue
        reach = sorted(r["generalises_to"] for r in rows)
        train_ok = sum(r["train_all_recognised"] for r in rows)
        lines.append(f"| {kind} | {', '.join(map(str, [r['generalises_to'] for r in rows]))} "
                     f"| {reach[len(reach) // 2]} | {train_ok} of {len(rows)} |")
    return lines + [""]


def memory_section(log: dict[str, Any], header: Any) -> list[str]:
    lines = _head(log, "Long-memory task with an LSTM (`bench_claims.py --part memory`)",
                  "bench_claims_memory.json", header)
    Ts = sorted({r["T"] for r in log["runs"]})
    lines += [log["about"] + ". Mean accuracy over seeds (min–max, seeds); the gradient "
              f"column: fraction of ‖dL/dstate‖ left at lag {log['gradient_by_lag']['T'] - 1},"
              " fresh and trained (seed 0).", "",
              "| model | units | parameters | " + " | ".join(f"T = {T}" for T in Ts)
              + " | gradient at max lag, start → trained |",
              "|---" * (len(Ts) + 4) + "|"]
    grad = log["gradient_by_lag"]
    for name, info in log["models"].items():
        cols = []
        for T in Ts:
            acc = [r["accuracy"] for r in log["runs"] if r["model"] == name and r["T"] == T]
            cols.append(f"{sum(acc) / len(acc):.2f} ({min(acc):.2f}–{max(acc):.2f}, "
                        f"{len(acc)})" if acc else "—")
        g = (f"{grad['start'][name][0]:.1e} → {grad['trained'][name][0]:.1e}"
             if name in grad["trained"] else "—")
        lines.append(f"| {name} | {info['units']} | {info['parameters']:,} | "
                     + " | ".join(cols) + f" | {g} |")
    return lines + [""]
