"""gru_edu.plots and gru_edu.widgets, the old import paths, re-export the
explorers' code from gru_edu.explorers, and stay free of Keras."""

import importlib
import subprocess
import sys

import pytest


@pytest.mark.parametrize("name", ["plots", "widgets"])
def test_old_paths_reexport_the_explorers(name):
    mod = importlib.import_module(f"gru_edu.{name}")
    for attr in mod.__all__:
        obj = getattr(mod, attr)
        if callable(obj):
            assert obj.__module__.startswith("gru_edu.explorers."), attr


def test_explorers_do_not_import_keras():
    code = (
        "import sys, gru_edu.plots, gru_edu.widgets\n"
        "assert 'keras' not in sys.modules, 'keras imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
