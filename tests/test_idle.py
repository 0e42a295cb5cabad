"""Idle kernels on a hub: explorers let go of their models and caches. That a
notebook left open does nothing in the background is checked by the JupyterLab
browser test on notebook 04 (``idle_check``), where it has run anyway."""

from __future__ import annotations

import gc
import os
import weakref
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from gru_edu.explorers import base, unit_words  # noqa: E402
from gru_edu.explorers import gate_explorer as ge  # noqa: E402
from gru_edu.explorers.cell_explorer import cell_explorer  # noqa: E402
from gru_edu.gates import keras_plumbing  # noqa: E402

from test_gate_explorer import review_texts, small_trained  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def test_closed_gate_explorer_frees_its_model_and_caches():
    trained = small_trained(seed=5)
    texts = review_texts(8)
    x = trained.encode(texts)
    explorer = ge.gate_explorer(trained, x=x, labels=np.arange(8) % 2)
    words = unit_words.unit_words_explorer(trained, x, top_k=3, min_count=1)
    explorer.controls["review"].value = 3
    explorer.controls["source"].value = "text"
    explorer.controls["text"].value = "the plot was boring"
    model = weakref.ref(trained.model)
    assert model() in keras_plumbing._PLANS and model() in unit_words._STATS_CACHE
    assert len(explorer._reviews) >= 2 and explorer in base._OPEN

    explorer.close()
    words.close()
    assert explorer.closed and explorer not in base._OPEN and not explorer._reviews
    assert explorer.trained is None and words.stats is None
    assert model() not in keras_plumbing._PLANS and model() not in unit_words._STATS_CACHE
    # the controls no longer answer: moving one changes nothing, raises nothing
    explorer.close()  # twice is fine
    del trained, x, explorer, words
    gc.collect()
    assert model() is None, "something still holds the model after close()"


def test_typed_reviews_do_not_grow_the_cache_without_bound():
    trained = small_trained(seed=6)
    explorer = ge.gate_explorer(trained, text="a film")
    explorer.max_cached_reviews = 5
    for i in range(12):
        explorer.controls["text"].value = "the film was " + " ".join(["good"] * (i + 1))
    assert explorer.last_error is None
    assert len(explorer._reviews) == 5
    assert all(k[0] in explorer._reviews for k in explorer._orders)
    explorer.close()


def test_close_all_closes_every_open_explorer(monkeypatch):
    monkeypatch.setattr(base, "_OPEN", weakref.WeakSet())  # only this test's
    a, b = cell_explorer(units=1), cell_explorer(units=2)
    assert set(base._OPEN) == {a, b}
    assert base.close_all() == 2
    assert a.closed and b.closed and not base._OPEN
    assert a.widget is None and a.controls == {}


def test_explorers_are_closed_when_the_process_exits():
    import subprocess
    import sys

    script = ("import matplotlib; matplotlib.use('Agg')\n"
              "from gru_edu.explorers.cell_explorer import cell_explorer\n"
              "ex = cell_explorer(units=1)\n"
              "close = ex.close\n"
              "ex.close = lambda: (print('closed at exit', flush=True), close())\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "closed at exit" in proc.stdout


# Notebook 04 left open after "Run All" (its kernel uses no CPU, no timer or
# gru_edu thread is left running) is checked where the notebook already runs
# in a real kernel: tests/browser/test_jupyterlab_e2e.py (``idle_check`` in
# tests/browser/notebook_specs.py). Running it here cost one more whole
# execution of notebook 04 in a fresh kernel (see benchmarks/logs/suite_time.md).
