"""Render ``RESULTS.md`` from the committed logs in ``benchmarks/logs/``.

Every table in ``RESULTS.md`` is computed here from a JSON log that a
benchmark script wrote, so the published numbers and their logs cannot drift.
Do not edit ``RESULTS.md`` by hand: rerun a benchmark (it rewrites its log),
then

    python benchmarks/render_results.py            # rewrite RESULTS.md
    python benchmarks/render_results.py --check    # exit 1 if RESULTS.md is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import render_claims  # noqa: E402  (notebook 05's sections)
import render_lm  # noqa: E402  (notebook 07's sections)

LOGS = HERE / "logs"
RESULTS = HERE / "RESULTS.md"
LEARNERS_PATH = HERE.parent / "notebooks" / "README.md"
TIMES_START, TIMES_END = "<!-- run-times:start -->", "<!-- run-times:end -->"
#: The hub sizing quoted in the deployment guide.
DEPLOY_README = HERE.parent / "deploy" / "README.md"
SIZING_START, SIZING_END = "<!-- hub-sizing:start -->", "<!-- hub-sizing:end -->"

#: The goal of the IMDB recipe (mean test accuracy, minutes of training on 2 CPU cores).
GOAL_ACCURACY, GOAL_MINUTES, STRETCH_ACCURACY = 0.890, 5.0, 0.900


def _pct(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{100 * x:.{digits}f} %"


def _machine(log: dict[str, Any]) -> str:
    m = log["machine"]
    parts = [f"{m.get('cpu', '?')} ({m.get('arch', '?')}), {m.get('cores', '?')} cores",
             f"Python {m.get('python', '?')}"]
    if m.get("tensorflow"):
        parts.append(f"TensorFlow {m['tensorflow']} / Keras {m.get('keras', '?')}")
    parts.append("GPU: " + (", ".join(m["gpu"]) if m.get("gpu") else "none"))
    load = (m.get("load_average_at_start"), m.get("load_average_at_end"))
    parts.append(f"load average {load[0]} at the start, {load[1]} at the end")
    return "; ".join(parts)


def commands(log: dict[str, Any]) -> list[str]:
    """Every command that wrote to the log, first one first, each once."""
    found = [log["command"]] + [s["command"] for s in log.get("sessions", [])]
    return list(dict.fromkeys(found))


def _header(log: dict[str, Any], log_name: str) -> list[str]:
    written = "; then ".join(f"`{c}`" for c in commands(log))
    return [
        f"Log: [`logs/{log_name}`](logs/{log_name}), written by {written}, "
        f"{log['started']} to {log.get('finished', '?')}.",
        f"Machine: {_machine(log)} (the first run's).",
        "",
    ]


def imdb_section(log: dict[str, Any]) -> list[str]:
    """The final numbers: each model over its seeds, test scored once per run."""
    names = {"gru": "fixed GRU", "lstm": "fixed LSTM", "simple_rnn": "fixed SimpleRNN",
             "tutorial": "tutorial (as written)"}
    out = ["## IMDB: the final numbers (`bench_imdb.py`)", ""]
    out += _header(log, "bench_imdb.json")
    out += [
        "Protocol: trained on the training part (22,500 reviews), the validation part "
        "(2,500 reviews carved from the training reviews, `gru_edu.imdb.splits`) watched each "
        "epoch, the 25,000 test reviews scored **once**, after training. Nothing was "
        "chosen on these runs. Seconds per epoch are medians (the first epoch also "
        "compiles) and include the pass over the validation part.",
        "",
        "| model | seeds | parameters | epochs | test accuracy mean ± sd | test min | "
        "validation mean | s/epoch | training time | whole run |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in log["summary"].items():
        out.append(
            f"| {names.get(name, name)} | {s['seeds']} | {s['parameters']:,} | {s['epochs']} | "
            f"**{_pct(s['test_mean'], 2)}** ± {100 * s['test_sd']:.2f} | "
            f"{_pct(s['test_min'], 2)} | {_pct(s['val_mean'], 2)} | "
            f"{s['seconds_per_epoch']:.1f} | {s['train_minutes']:.1f} min | "
            f"{s['total_minutes']:.1f} min |"
        )
    gru = log["summary"].get("gru")
    if gru:
        met = gru["test_mean"] >= GOAL_ACCURACY and gru["train_minutes"] <= GOAL_MINUTES
        stretch = gru["test_mean"] >= STRETCH_ACCURACY
        out += [
            "",
            f"**Goal** (mean test accuracy ≥ {_pct(GOAL_ACCURACY)} in ≤ {GOAL_MINUTES:.0f} "
            f"minutes of training on 2 CPU cores): {'met' if met else 'not met'} — "
            f"{_pct(gru['test_mean'], 2)} over {gru['seeds']} seeds in "
            f"{gru['train_minutes']:.1f} min. Stretch ({_pct(STRETCH_ACCURACY)}): "
            f"{'met' if stretch else 'not met'}.",
        ]
    out += ["", "Every run:", "",
            "| model | seed | validation | test | s/epoch | whole run | load after |",
            "|---|---|---|---|---|---|---|"]
    for r in sorted(log["runs"], key=lambda r: (list(names).index(r["model"]), r["seed"])):
        out.append(
            f"| {names.get(r['model'], r['model'])} | {r['seed']} | "
            f"{r['val_accuracy']:.4f} | {r['test_accuracy']:.4f} | "
            f"{r['seconds_per_epoch']:.1f} | {r['total_seconds']:.0f} s | "
            f"{r.get('load_average_after', '—')} |"
        )
    tutorial = [r for r in log["runs"] if r["model"] == "tutorial"]
    for r in tutorial:
        out += ["", f"The tutorial model (seed {r['seed']}) called "
                f"{_pct(r['test_predicted_positive'])} of the test reviews positive: "
                "it answers one class for (nearly) every review."]
    return out + [""]


def search_section(log: dict[str, Any], title: str, log_name: str) -> list[str]:
    """Ablations on validation, and the decisions the committed rule made."""
    out = [f"## {title}", ""]
    out += _header(log, log_name)
    variants = log.get("variants", {})
    candidates = all(v.get("rule") == "candidate" for v in variants.values())
    what = ("Each candidate is the chosen recipe on the fast setting's slice with its own "
            "epochs and batch size" if candidates else
            "Each variant changes one ingredient of the full recipe")
    out += [
        f"{what}; mean ± sd of **validation** accuracy over the seeds (the test reviews "
        "are never scored in the search). The rule, fixed before the runs, is in the "
        "script's docstring.",
        "",
        "| variant | what changes | seeds | validation mean ± sd | validation min | s/epoch |",
        "|---|---|---|---|---|---|",
    ]
    for name, s in log["summary"].items():
        change = variants.get(name, {}).get("change", "")
        out.append(
            f"| `{name}` | {change} | {s['seeds']} | {_pct(s['val_mean'], 2)} ± "
            f"{100 * s['val_sd']:.2f} | {_pct(s['val_min'], 2)} | "
            f"{s['seconds_per_epoch']:.1f} |"
        )
    if log.get("decisions"):
        out += ["", "| variant | rule | reference − variant (points) | decision |",
                "|---|---|---|---|"]
        for d in log["decisions"]:
            out.append(f"| `{d['variant']}` | {d['rule']} | "
                       f"{100 * d['full_minus_variant']:+.2f} | {d['verdict']} |")
    if log.get("decisions"):
        out += ["", "The reference is the full recipe for an ablation and the best "
                "candidate for a candidate."]
    if log.get("chosen"):
        out += ["", f"Chosen: {log['chosen']}."]
    return out + [""]


def gates_section(log: dict[str, Any]) -> list[str]:
    """Gate replay speed, from the latest run in the log."""
    r = log["runs"][-1]
    st = r["gate_statistics"]
    out = ["## Gate replay (`bench_gates.py`)", ""] + _header(log, "bench_gates.json")
    out += [
        f"GRU with {r['units']} units after an embedding, {r['maxlen']}-token reviews, "
        "Keras-initialised (speed does not depend on training).",
        "",
        "| measurement | median | min | CPU | target |",
        "|---|---|---|---|---|",
    ]
    rows = [("one review traced (`gates.trace`)", "trace", "≤ 5 ms"),
            ("… of which the Keras pass (states and weights)", "trace_keras_pass", ""),
            ("… of which the NumPy replay (`cell.gru_replay`)", "trace_numpy_replay", ""),
            ("the step-by-step loop `cell.gru_forward`, for comparison", "gru_forward_loop", ""),
            ("`trace_text`, 300 tokens", "trace_text", "")]
    for label, key, target in rows:
        t = r[key]
        out.append(f"| {label} | {t['median_ms']:.2f} ms | {t['min_ms']:.2f} ms | "
                   f"{t['cpu_ms']:.2f} ms | {target} |")
    out += [
        f"| `gate_statistics`, {st['reviews']:,} reviews (batch {st['batch_size']}) | "
        f"{st['wall_s']:.1f} s wall | | {st['cpu_s']:.1f} s | ≤ 60 s for 25,000 |",
        "",
        f"Replay error max |h_replay − h_keras|: {r['replay_error_one']:.1e} on one review, "
        f"{st['replay_error']:.1e} over all reviews (tolerance 1e-5). First trace, with "
        f"compilation: {r['first_trace_s']:.2f} s.",
    ]
    return out + [""]


def explorer_section(log: dict[str, Any]) -> list[str]:
    """Explorer callback times, from the latest run in the log."""
    r = log["runs"][-1]
    labels = {"step": "step slider", "unit": "unit slider",
              "page": "step move that scrolls the word window", "sort": "sort units",
              "review (new)": "new review (first trace)",
              "review (cached)": "review traced before",
              "unit words": "unit-words explorer, unit slider"}
    out = ["## Gate explorer redraws (`bench_gate_explorer.py`)", ""]
    out += _header(log, "bench_gate_explorer.json")
    out += [
        f"Model: {r['model']}; {r['reviews']} IMDB test reviews; image "
        f"{r['image_px'][0]}×{r['image_px'][1]} px at {r['dpi']} dpi. The whole callback "
        "(controls, cached trace, artists, render, PNG), not the browser's display.",
        "",
        "| move | n | median | p90 | max | target |",
        "|---|---|---|---|---|---|",
    ]
    for key, m in r["moves"].items():
        out.append(f"| {labels.get(key, key)} | {m['n']} | {m['median_ms']:.1f} ms | "
                   f"{m['p90_ms']:.1f} ms | {m['max_ms']:.1f} ms | ≤ 150 ms |")
    out += ["", f"Building the explorer took {r['explorer_build_s']:.1f} s; the unit-words "
            f"explorer's statistics over {r['reviews']} reviews {r['unit_words_build_s']:.1f} s."]
    return out + [""]


def deeper_section(log: dict[str, Any]) -> list[str]:
    """Saturation, memory reach and select-and-match (notebook 06)."""
    r = log["runs"][-1]
    out = ["## Reading the gates deeper (`bench_deeper.py`)", ""]
    out += _header(log, "bench_deeper.json")
    g, chk = r["gradient_row"], r["gradient_check"]
    sat, reach = r["saturation_shipped"], r["reach_shipped"]
    out += [
        f"The shipped GRU (`gru_edu/shipped/imdb_gru`) unless said otherwise; "
        f"{r['reviews']:,} test reviews drawn at random (seed 0) for the "
        "statistics. Timings on a shared 2-core machine (see the load average).",
        "",
        "| measurement | median | min | max | target |",
        "|---|---|---|---|---|",
        f"| one {g['words']}-word review's gradient row "
        f"(`gradient_connectivity`, {g['n']} calls) | {g['median_ms']:.1f} ms | "
        f"{g['min_ms']:.1f} ms | {g['max_ms']:.1f} ms | ≤ 50 ms |",
        f"| `memory_reach` over {r['reviews']:,} reviews | "
        f"{reach['seconds']:.1f} s | | | ≤ 2 min |",
        f"| `gate_saturation` over {r['reviews']:,} reviews | "
        f"{sat['seconds']:.1f} s | | | ≤ 2 min |",
    ]
    if "search" in r:
        s = r["search"]
        out.append(
            f"| select-and-match search over {s['reviews']:,} cached reviews "
            f"({s['searches']} searches: `select_units` + `find_matches`) | "
            f"{s['median_ms']:.1f} ms | | {s['max_ms']:.1f} ms | ≤ 1 s |")
    out += ["", f"First gradient call, with XLA compilation: "
            f"{g['first_call_s']:.1f} s. Max relative error of the gradient "
            f"against Keras's own (embedding-table gradient, {chk['reviews']} "
            f"reviews): {chk['max_rel_error_vs_keras']:.1e}."]
    if "search" in r:
        s = r["search"]
        out += ["", f"State cache of {s['reviews']:,} test reviews "
                f"({s['steps']:,} steps, signals {', '.join(s['signals'])}, 8 bits "
                f"a value): built in {s['cache_build_s']:.0f} s, "
                f"{s['cache_mb']:.0f} MiB of `.npy` files."]
    out += ["", "**Saturation** (fraction of steps with z > 0.9 / z < 0.1, "
            "r likewise; units counted):", "",
            "| model | units z > 0.9 at > 10% of steps | at > 50% | "
            "units z < 0.1 at > 10% | units r saturated at > 10% |",
            "|---|---|---|---|---|"]

    def sat_row(label: str, s: dict[str, Any]) -> str:
        return (f"| {label} | {s['z']['units_right_over_10pct']} | "
                f"{s['z']['units_mostly_right']} | "
                f"{s['z']['units_left_over_10pct']} | "
                f"{s['r']['units_right_over_10pct'] + s['r']['units_left_over_10pct']} |")

    out.append(sat_row("shipped GRU", sat))
    for e in r.get("saturation_by_epoch", []):
        out.append(sat_row(f"notebook 03's recipe, seed 0, epoch {e['epoch']}", e))
    if r.get("models"):
        out += ["", "**Memory reach** (gradient of the logit by distance from "
                "the last word; each model notebook 03's recipe with that cell):", "",
                "| cell | seed | test accuracy | median 90% reach | last word's "
                "share | share 50 words back | time |",
                "|---|---|---|---|---|---|---|"]
        for m in r["models"]:
            share = m["mean_share"]
            far = f"{100 * share[50]:.2f} %" if len(share) > 50 else "—"
            out.append(
                f"| {m['kind']} | {m['seed']} | {_pct(m['test_accuracy'], 2)} | "
                f"{m['median_reach90']:.0f} words | {100 * share[0]:.1f} % | "
                f"{far} | {m['reach_seconds']:.0f} s |")
    return out + [""]


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def times_table(log: dict[str, Any]) -> list[str]:
    """One row per notebook: its full and fast run times (or the failure)."""
    by = {(r["notebook"], r["setting"]): r for r in log["runs"]}
    out = ["| notebook | full run | fast setting (CI) | load average before → after |",
           "|---|---|---|---|"]
    for name in dict.fromkeys(r["notebook"] for r in log["runs"]):
        cells = []
        loads = []
        for setting in ("full", "fast"):
            r = by.get((name, setting))
            if r is None:
                cells.append("not measured")
                continue
            error = r["error"].splitlines()[0][:60] if r["error"] else ""
            cells.append(_duration(r["seconds"]) if r["ok"] else f"failed ({error})")
            loads.append(f"{setting}: {r['load_average_before']} → {r['load_average_after']}")
        out.append(f"| `{name.removesuffix('.ipynb')}` | {cells[0]} | {cells[1]} | "
                   f"{'; '.join(loads)} |")
    return out


def a2_section(log: dict[str, Any]) -> list[str]:
    """Assignment 2's master solution over several seeds, and the pass mark it sets."""
    s = log["summary"]
    sol = log["solution"]
    out = ["## Assignment 2's pass mark (`bench_a2_master.py`)", ""]
    out += _header(log, "bench_a2_master.json")
    out += [
        f"The master solution ({sol['NUM_WORDS']:,} words, {sol['EPOCHS']} epochs, batches of "
        f"{sol['BATCH_SIZE']}), trained as its notebook trains it, full setting; test "
        "scored once per run.",
        "",
        "| seed | validation | test | s/epoch | training |",
        "|---|---|---|---|---|",
    ]
    for r in log["runs"]:
        out.append(f"| {r['seed']} | {r['val_accuracy']:.4f} | {r['test_accuracy']:.4f} | "
                   f"{r['seconds_per_epoch']:.1f} | {r['train_seconds']:.0f} s |")
    out += ["", f"Mean test accuracy {_pct(s['test_mean'], 2)} ± {100 * s['test_sd']:.2f} "
            f"(min {_pct(s['test_min'], 2)}); margin {100 * s['margin']:.0f} points → pass "
            f"mark **{s['pass_mark']:.2f}**, partial credit from {s['partial_mark']:.2f}."]
    return out + [""]


def xla_section(log: dict[str, Any]) -> list[str]:
    """XLA on against off, timed in turns."""
    r = log["runs"][-1]
    out = ["## XLA on a CPU (`bench_xla.py`)", ""] + _header(log, "bench_xla.json")
    out += [
        f"The default GRU recipe trained on {r['reviews']:,} reviews, one epoch at a time, "
        f"XLA on and off in turns ({r['rounds']} rounds after a compiling one).",
        "",
        "| | median epoch | every epoch (first one compiles) |",
        "|---|---|---|",
        f"| XLA on (`jit_compile=True`, the default on a CPU) | {r['median_on']:.2f} s | "
        + " ".join(f"{s:.2f}" for s in r["seconds_xla_on"]) + " |",
        f"| XLA off | {r['median_off']:.2f} s | "
        + " ".join(f"{s:.2f}" for s in r["seconds_xla_off"]) + " |",
        "",
        f"Off / on: **{r['ratio_off_over_on']:.2f}×**.",
    ]
    return out + [""]


def notebooks_section(log: dict[str, Any]) -> list[str]:
    """Run time of every notebook, fast and full setting, one run each."""
    out = ["## Notebook run times (`time_notebooks.py`)", ""]
    out += _header(log, "notebook_times.json")
    out += ["Each notebook top to bottom in a fresh kernel, one at a time, in reading "
            "order.", ""]
    return out + times_table(log) + [""]


def resources_table(log: dict[str, Any]) -> list[str]:
    """One row per notebook and setting: wall, CPU, cores busy, peak memory."""
    out = ["| notebook | setting | wall | CPU | cores busy (CPU / wall) | peak memory (RSS) "
           "| load average before → after |", "|---|---|---|---|---|---|---|"]
    for r in log["runs"]:
        status = "" if r["ok"] else f" (failed: {r['error'].splitlines()[0][:50]})"
        out.append(f"| `{Path(r['notebook']).stem}` | {r['setting']} | "
                   f"{_duration(r['wall_seconds'])}{status} | {r['cpu_seconds']:.0f} s | "
                   f"{r['cores_busy']:.2f} | {r['peak_rss_mib']:,} MiB | "
                   f"{r['load_average_before']} → {r['load_average_after']} |")
    return out


def singleuser_snippet(log: dict[str, Any]) -> list[str]:
    """The Zero to JupyterHub ``singleuser`` sizes, as YAML, from the log."""
    s = log["singleuser"]
    return [
        "```yaml",
        "# Zero to JupyterHub (config.yaml): sizes from benchmarks/logs/kernel_resources.json",
        "singleuser:",
        "  memory:",
        f"    guarantee: {s['mem_guarantee_gib']:g}G   # median peak of a notebook, "
        f"full setting: {s['median_peak_mib']:,.0f} MiB",
        f"    limit: {s['mem_limit_gib']:g}G       # heaviest ({Path(s['heaviest']).stem}): "
        f"{s['heaviest_peak_mib']:,} MiB, + 25 %",
        "  cpu:",
        f"    guarantee: {s['cpu_guarantee']:g}     # median cores busy while a notebook "
        f"runs: {s['median_cores_busy']:.2f}",
        f"    limit: {s['cpu_limit']:g}         # the most a notebook kept busy: "
        f"{s['max_cores_busy']:.2f}",
        "```",
    ]


def sizing_block(log: dict[str, Any]) -> list[str]:
    """What ``deploy/README.md`` quotes: the snippet and the table behind it."""
    return singleuser_snippet(log) + ["", "Measured per notebook (" + _machine(log)
                                      + "):", ""] + resources_table(log)


def resources_section(log: dict[str, Any]) -> list[str]:
    """Memory and CPU per notebook, and the hub sizes they call for."""
    out = ["## Memory and CPU per notebook (`kernel_resources.py`)", ""]
    out += _header(log, "kernel_resources.json")
    out += ["Each notebook top to bottom in a fresh kernel (inline figures, as a student "
            "runs it); peak RSS of the kernel's process tree sampled every 0.1 s; CPU "
            "seconds from the reaped kernel's rusage. Wall times on a busy machine are "
            "longer than a student's; CPU seconds and memory much less so.", ""]
    out += resources_table(log)
    if log.get("singleuser"):
        out += ["", "The JupyterHub sizes they call for (`singleuser_resources`, the "
                "rules in `kernel_resources.py`; quoted in `deploy/README.md`):", ""]
        out += singleuser_snippet(log)
    return out + [""]


def mirrored_section(log: dict[str, Any]) -> list[str]:
    """One device against MirroredStrategy over two logical CPU devices."""
    st = log["setup"]
    out = ["## tf.distribute on a CPU (`bench_mirrored.py`)", ""]
    out += _header(log, "bench_mirrored.json")
    out += [f"Notebook 03's recipe on {st['train_reviews']:,} training reviews, "
            f"{st['epochs']} epochs, global batch {st['global_batch']}; validation accuracy "
            f"on {st['val_reviews']} held-out reviews (test not looked at). Each run a fresh "
            "process; one device and mirrored in turns.", "",
            "| seed | strategy | replicas | batch per replica | validation | s/epoch | "
            "first epoch |", "|---|---|---|---|---|---|---|"]
    for r in log["runs"]:
        out.append(f"| {r['seed']} | {r['strategy']} | {r['replicas']} | "
                   f"{r['per_replica_batch_size']} | {r['val_accuracy']:.4f} | "
                   f"{r['seconds_per_epoch']:.1f} | {r['seconds_first_epoch']:.1f} |")
    if log.get("summary"):
        out += ["", "| | seeds | validation mean (min – max) | median s/epoch |",
                "|---|---|---|---|"]
        for s in log["summary"].values():
            out.append(f"| {s['strategy']}, {s['replicas']} replica(s) | {s['seeds']} | "
                       f"{_pct(s['val_mean'], 2)} ({_pct(s['val_min'], 2)} – "
                       f"{_pct(s['val_max'], 2)}) | {s['seconds_per_epoch']:.1f} |")
    return out + [""]


def _replace_block(current: str, start: str, end: str, lines: list[str]) -> str:
    if start not in current:
        return current
    head, rest = current.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n" + "\n".join(lines) + f"\n{end}{tail}"


def hub_docs(current: str) -> str:
    """``deploy/README.md`` with its quoted sizes rendered from the log."""
    path = LOGS / "kernel_resources.json"
    if not path.exists():
        return current
    log = json.loads(path.read_text())
    if not log.get("singleuser"):
        return current
    return _replace_block(current, SIZING_START, SIZING_END, sizing_block(log))


def learners_path(current: str) -> str:
    """``notebooks/README.md`` with its run-time table rendered from the log."""
    path = LOGS / "notebook_times.json"
    if not path.exists() or TIMES_START not in current:
        return current
    head, rest = current.split(TIMES_START, 1)
    _, tail = rest.split(TIMES_END, 1)
    table = "\n".join(times_table(json.loads(path.read_text())))
    return f"{head}{TIMES_START}\n{table}\n{TIMES_END}{tail}"


SECTIONS: list[tuple[str, Callable[[dict[str, Any]], list[str]], str]] = [
    ("bench_imdb.json", imdb_section, "python benchmarks/bench_imdb.py --models gru lstm "
     "simple_rnn --seeds 0 1 2 3 4"),
    ("search_recipe.json",
     lambda log: search_section(log, "The recipe search (`search_recipe.py`)",
                                "search_recipe.json"),
     "python benchmarks/search_recipe.py --seeds 0 1 2 3 4"),
    ("search_fast_setting.json",
     lambda log: search_section(log, "The fast setting's recipe (`search_recipe.py "
                                "--fast-setting`)", "search_fast_setting.json"),
     "python benchmarks/search_recipe.py --fast-setting"),
    ("bench_gates.json", gates_section, "python benchmarks/bench_gates.py"),
    ("bench_gate_explorer.json", explorer_section, "python benchmarks/bench_gate_explorer.py"),
    ("bench_a2_master.json", a2_section, "python benchmarks/bench_a2_master.py"),
    ("bench_xla.json", xla_section, "python benchmarks/bench_xla.py"),
    ("bench_claims_curves.json", lambda log: render_claims.curves_section(log, _header),
     "python benchmarks/bench_claims.py --part curves"),
    ("bench_claims_speed.json", lambda log: render_claims.speed_section(log, _header),
     "python benchmarks/bench_claims.py --part speed"),
    ("bench_claims_counting.json", lambda log: render_claims.counting_section(log, _header),
     "python benchmarks/bench_claims.py --part counting"),
    ("bench_claims_memory.json", lambda log: render_claims.memory_section(log, _header),
     "python benchmarks/bench_claims.py --part memory"),
    ("bench_deeper.json", deeper_section, "python benchmarks/bench_deeper.py"),
    ("notebook_times.json", notebooks_section, "python benchmarks/time_notebooks.py"),
    ("kernel_resources.json", resources_section, "python benchmarks/kernel_resources.py"),
    ("bench_mirrored.json", mirrored_section, "python benchmarks/bench_mirrored.py"),
    ("bench_lm_speed.json", lambda log: render_lm.speed_section(log, _header),
     "python benchmarks/bench_lm.py speed"),
    ("bench_lm_probe.json", lambda log: render_lm.probe_section(log, _header),
     "python benchmarks/bench_lm.py probe"),
    ("bench_lm_curve.json", lambda log: render_lm.curve_section(log, _header),
     "python benchmarks/bench_lm.py curve"),
    ("bench_lm_recipe.json", lambda log: render_lm.recipe_section(log, _header),
     "python benchmarks/bench_lm.py recipe --seeds 0 1 2 3 4 --recipe pretrained"),
]


def render() -> str:
    """The whole RESULTS.md text."""
    lines = [
        "# Measured results",
        "",
        "<!-- Rendered by benchmarks/render_results.py from benchmarks/logs/*.json. "
        "Do not edit by hand. -->",
        "",
        "Every number on this page is rendered by `python benchmarks/render_results.py` "
        "from a JSON log in [`logs/`](logs/) that a script in this folder wrote; each "
        "section names its log, the command and the machine. To regenerate a section, "
        "rerun its command, then the renderer:",
        "",
    ]
    for name, _, command in SECTIONS:
        path = LOGS / name
        ran = commands(json.loads(path.read_text())) if path.exists() else [command]
        lines.append(f"- `{name}`: " + ", then ".join(f"`{c}`" for c in ran))
    lines += ["", "Timings depend on how busy the machine was: each log records the load "
              "average at its start and end. Accuracies do not.", ""]
    for name, section, command in SECTIONS:
        path = LOGS / name
        if path.exists():
            lines += section(json.loads(path.read_text()))
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if RESULTS.md differs from the logs")
    args = parser.parse_args()
    rendered = {RESULTS: render(), LEARNERS_PATH: learners_path(LEARNERS_PATH.read_text()),
                DEPLOY_README: hub_docs(DEPLOY_README.read_text())}
    stale = [path for path, text in rendered.items() if path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"{path} is stale: run python benchmarks/render_results.py", file=sys.stderr)
        if not stale:
            print("RESULTS.md, notebooks/README.md and the hub sizes match the logs")
        return 1 if stale else 0
    for path in stale:
        path.write_text(rendered[path])
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
