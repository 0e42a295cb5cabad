"""Published numbers are rendered from committed logs, never typed by hand."""

import importlib.util
import json
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def render_results():
    spec = importlib.util.spec_from_file_location("render_results",
                                                  BENCHMARKS / "render_results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_results_page_is_what_the_logs_render(render_results):
    assert render_results.RESULTS.read_text() == render_results.render(), (
        "benchmarks/RESULTS.md differs from its logs: run python benchmarks/render_results.py")


def test_learners_path_times_are_what_the_log_renders(render_results):
    text = render_results.LEARNERS_PATH.read_text()
    assert render_results.TIMES_START in text and render_results.TIMES_END in text
    assert text == render_results.learners_path(text)


def test_every_log_names_its_command_and_machine():
    logs = sorted((BENCHMARKS / "logs").glob("*.json"))
    assert logs, "no benchmark logs committed"
    for path in logs:
        log = json.loads(path.read_text())
        assert log["command"].startswith("python benchmarks/"), path.name
        assert log["machine"]["cores"] and log["machine"]["cpu"], path.name
        assert log["runs"], path.name


def test_the_recipe_search_never_scored_the_test_set():
    log = json.loads((BENCHMARKS / "logs" / "search_recipe.json").read_text())
    for run in log["runs"]:
        assert "test_accuracy" not in run and run["val_reviews"] == 2500


def test_a2_pass_mark_is_the_measured_one():
    """A2's full-setting bar is the master's measured mean less the stated margin."""
    import math

    from gru_edu.grading.a2_imdb import ImdbRules

    log = json.loads((BENCHMARKS / "logs" / "bench_a2_master.json").read_text())
    summary = log["summary"]
    assert summary["seeds"] >= 5
    source = (BENCHMARKS / "bench_a2_master.py").read_text()
    assert f"MARGIN = {summary['margin']}" in source
    bar = math.floor((summary["test_mean"] - summary["margin"]) * 100) / 100
    assert (summary["pass_mark"], summary["partial_mark"]) == (bar, round(bar - 0.05, 2))
    rules = ImdbRules()
    assert (rules.accuracy, rules.partial_accuracy) == (bar, summary["partial_mark"])


def test_hub_sizes_quoted_in_the_docs_are_the_measured_ones(render_results):
    """deploy/README.md's singleuser snippet is rendered
    from the kernel log, and the sizes in the log follow from its measurements."""
    import sys

    log = json.loads((BENCHMARKS / "logs" / "kernel_resources.json").read_text())
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from kernel_resources import singleuser_resources
    finally:
        sys.path.remove(str(BENCHMARKS))
    assert log["singleuser"] == singleuser_resources(log)
    assert {r["setting"] for r in log["runs"]} == {"fast", "full"}
    sizes = log["singleuser"]
    for doc in (render_results.DEPLOY_README,):
        text = doc.read_text()
        assert text == render_results.hub_docs(text), (
            f"{doc.name} quotes other sizes than the log: run python benchmarks/render_results.py")
        assert f"{sizes['mem_limit_gib']:g}" in text and f"{sizes['heaviest_peak_mib']:,}" in text
    deploy = render_results.DEPLOY_README.read_text()
    assert f"limit: {sizes['mem_limit_gib']:g}G" in deploy
    assert f"guarantee: {sizes['cpu_guarantee']:g}" in deploy
