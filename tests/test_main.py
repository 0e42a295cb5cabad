"""The command line (python -m gru_edu train --scratch, notebook 03's recipe): it trains,
saves, and names a missing archive; which recipe ``train`` picks. The default, fine-tuned
from the language model, is tested in test_pretrain.py."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gru_edu import imdb  # noqa: E402


def test_cli_trains_saves_and_the_bundle_reads_text(tmp_path, imdb_archive, capsys):
    from gru_edu.__main__ import main
    from gru_edu.imdb import load_splits

    out = tmp_path / "cli_model"
    code = main([
        "train", "--scratch", "--model", "gru", "--epochs", "1", "--units", "4", "--embed-dim", "4",
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
    assert meta["settings"]["polarity"] is True and meta["settings"]["units"] == 4
    p = trained.predict_text(["a wonderful film", "awful"])
    assert p.shape == (2,) and np.all((p > 0) & (p < 1))


@pytest.mark.parametrize("recipe", [[], ["--scratch"]], ids=["fine-tuned", "scratch"])
def test_cli_reports_a_missing_archive(tmp_path, capsys, recipe):
    from gru_edu.__main__ import main

    code = main(["train", *recipe, "--archive", str(tmp_path / "nope.tar.gz"), "--epochs", "1"])
    assert code == 2
    assert "nope.tar.gz" in capsys.readouterr().err


@pytest.mark.parametrize("argv, recipe", [
    (["train"], "pretrained"),
    (["train", "--pretrained", "some/lm"], "pretrained"),
    (["train", "--scratch"], "scratch"),
    (["train", "--model", "lstm"], "scratch"),
    (["train", "--model", "simple_rnn", "--units", "8"], "scratch"),
    (["train", "--scratch", "--ship", "--units", "8", "--strategy", "none"], "scratch"),
])
def test_train_fine_tunes_a_gru_unless_told_scratch(argv, recipe):
    from gru_edu.__main__ import _parser, pick_recipe

    assert pick_recipe(_parser().parse_args(argv)) == recipe


@pytest.mark.parametrize("argv, said", [
    (["train", "--units", "8"], "--units belongs to notebook 03's recipe from scratch: add --scratch"),
    (["train", "--ship"], "python -m gru_edu train --scratch --ship"),
    (["train", "--num-words", "500", "--no-polarity"], "--num-words, --no-polarity belong"),
    (["train", "--cpu-devices", "2"], "--cpu-devices belongs"),
    (["train", "--strategy", "mirrored"], "--strategy belongs"),
    (["train", "--scratch", "--pretrained"], "give one"),
    (["train", "--model", "lstm", "--pretrained"], "use it with --model gru"),
])
def test_train_says_which_options_need_scratch(argv, said, capsys):
    from gru_edu.__main__ import main

    assert main(argv) == 2
    assert said in capsys.readouterr().err


def test_train_help_gives_both_recipes_defaults(capsys):
    from gru_edu.__main__ import main
    from gru_edu.imdb import TrainSettings
    from gru_edu.lm.pretrain import FinetuneSettings

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert (f"training epochs (default: {FinetuneSettings().epochs} fine-tuned, "
            f"{TrainSettings.default().epochs} --scratch)") in text
    assert f"(default: {TrainSettings.default().units}; --scratch only)" in text

