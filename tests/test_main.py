"""The command line (python -m gru_edu train): it trains, saves, and names a missing archive."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gru_edu import imdb  # noqa: E402


def test_cli_trains_saves_and_the_bundle_reads_text(tmp_path, imdb_archive, capsys):
    from gru_edu.__main__ import main
    from gru_edu.imdb import load_splits

    out = tmp_path / "cli_model"
    code = main([
        "train", "--model", "gru", "--epochs", "1", "--units", "4", "--embed-dim", "4",
        "--num-words", "500", "--maxlen", "40", "--train-size", "256", "--test-size", "128",
        "--val-size", "100", "--archive", str(imdb_archive), "--out", str(out), "--quiet",
    ])
    assert code == 0
    printed = capsys.readouterr().out
    assert "validation accuracy" in printed and "(100 reviews held out" in printed
    assert "test accuracy" in printed and "scored once" in printed and str(out) in printed
    assert "val_accuracy" in printed  # the per-epoch line: validation, not test
    trained = imdb.TrainedModel.load(out)
    assert trained.maxlen == 40 and trained.vocab.num_words == 500
    parts = load_splits(num_words=500, maxlen=40, val_size=100, train_size=256,
                        test_size=128, archive=imdb_archive, progress=False)
    assert trained.vocab == parts.vocab  # ranked on the 256 training reviews only
    meta = trained.meta
    assert (meta["train_reviews"], meta["val_reviews"], meta["test_reviews"]) == (256, 100, 128)
    assert 0 < meta["val_accuracy"] < 1 and 0 < meta["test_accuracy"] < 1
    assert meta["cudnn_eligible"] is True
    p = trained.predict_text(["a wonderful film", "awful"])
    assert p.shape == (2,) and np.all((p > 0) & (p < 1))


def test_cli_reports_a_missing_archive(tmp_path, capsys):
    from gru_edu.__main__ import main

    code = main(["train", "--archive", str(tmp_path / "nope.tar.gz"), "--epochs", "1"])
    assert code == 2
    assert "nope.tar.gz" in capsys.readouterr().err

