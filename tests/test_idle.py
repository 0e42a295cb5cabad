"""Idle kernels on a hub: explorers let go of their models and caches, and a
notebook left open does nothing in the background."""

from __future__ import annotations

import gc
import os
import time
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


def test_an_open_notebook_does_nothing_in_the_background():
    """Notebook 04 (fast setting) run in a real kernel, then left alone: the
    kernel uses no CPU and no gru_edu thread or timer is left running."""
    import nbformat
    import psutil
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "notebooks" / "04_gate_explorer.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import threading\n"
        "print(sorted(t.name for t in threading.enumerate()))"))
    saved = dict(os.environ)
    os.environ["GRU_EDU_FAST"] = "1"
    try:
        client = NotebookClient(nb, timeout=900, kernel_name="python3",
                                resources={"metadata": {"path": str(ROOT / "notebooks")}})
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            kernel = psutil.Process(client.km.provisioner.pid)
            time.sleep(3)  # let the last redraws and messages settle
            before = kernel.cpu_times()
            time.sleep(10)
            after = kernel.cpu_times()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    busy = (after.user + after.system) - (before.user + before.system)
    assert busy < 0.3, f"the idle kernel used {busy:.2f} s of CPU in 10 s"
    threads = nb.cells[-1].outputs[0]["text"]
    assert "Timer" not in threads and "gru" not in threads.lower(), threads
