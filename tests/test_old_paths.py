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


@pytest.mark.parametrize("name", ["data", "models", "training", "splits", "baseline"])
def test_old_paths_reexport_the_imdb_package(name):
    import gru_edu.imdb as imdb

    mod = importlib.import_module(f"gru_edu.{name}")
    for attr in mod.__all__:
        if attr in ("seed_model", "seed_features"):
            continue
        obj = getattr(mod, attr)
        assert obj is getattr(imdb, attr), attr


def test_seed_model_is_a_deprecated_name_of_tutorial_model():
    from gru_edu import models

    with pytest.warns(DeprecationWarning, match="tutorial_model"):
        model = models.seed_model(7)
    assert model.input_shape == (None, 7, 1)
    with pytest.warns(DeprecationWarning, match="tutorial_features"):
        assert models.seed_features([[4, 5]]).shape == (1, 2, 1)
