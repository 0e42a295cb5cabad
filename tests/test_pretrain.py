"""python -m gru_edu pretrain: it trains, logs perplexity per epoch, saves a bundle
that opens, and explains a missing archive."""

import pytest

keras = pytest.importorskip("keras")


def test_pretrain_command_trains_logs_and_saves(tmp_path, imdb_archive, capsys):
    from gru_edu.__main__ import main
    from gru_edu.lm.bundle import LanguageModel
    from gru_edu.lm.corpus import load_corpus

    out = tmp_path / "lm"
    code = main(["pretrain", "--epochs", "2", "--units", "8", "--num-words", "300",
                 "--train-size", "60", "--archive", str(imdb_archive), "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "epoch 1:" in printed and "epoch 2:" in printed and "words/s" in printed
    assert "validation perplexity" in printed and "Kneser-Ney bigram" in printed
    lm = LanguageModel.load(out)
    meta = lm.meta
    assert [row["epoch"] for row in meta["history"]] == [1, 2]
    assert meta["sources"]["training part"] == 60 and "test" not in str(meta["sources"])
    corpus = load_corpus(300, imdb_archive, train_size=60, val_size=meta["settings"]["val_size"],
                         progress=False)
    assert lm.vocab == corpus.vocab  # ranked on those 60 training reviews
    assert meta["train_words"] == len(corpus.train) and meta["val_words"] == len(corpus.val)
    # the model beats guessing among the 300 ids, and the log says so
    assert meta["val_perplexity"] < 300 and meta["words_per_second"] > 0
    log = (out / "train_log.txt").read_text()
    assert "made by: python -m gru_edu pretrain" in log and "unigram" in log
    assert len(lm.next_word_probs("this movie")) == 300


def test_pretrain_command_reports_a_missing_archive(tmp_path, capsys):
    from gru_edu.__main__ import main

    code = main(["pretrain", "--archive", str(tmp_path / "nope.tar.gz"), "--epochs", "1"])
    assert code == 2
    assert "nope.tar.gz" in capsys.readouterr().err


def test_ship_refuses_the_fast_setting(monkeypatch, capsys):
    from gru_edu.__main__ import main

    monkeypatch.setenv("GRU_EDU_FAST", "1")
    assert main(["pretrain", "--ship"]) == 2
    assert "full setting" in capsys.readouterr().err


def test_train_fine_tunes_the_shipped_language_model_by_default(tmp_path, imdb_archive, capsys):
    import numpy as np

    from gru_edu.__main__ import main
    from gru_edu.imdb import TrainedModel
    from gru_edu.lm.bundle import LanguageModel, shipped_lm_dir

    out = tmp_path / "clf"
    code = main(["train", "--epochs", "1", "--train-size", "200",
                 "--val-size", "100", "--test-size", "100", "--archive", str(imdb_archive),
                 "--out", str(out), "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "test accuracy" in printed and "scored once" in printed
    assert "fine-tuning a GRU from the language model in " + str(shipped_lm_dir()) in printed
    assert "cuDNN eligible: True" in printed
    trained = TrainedModel.load(out)
    lm = LanguageModel.load(shipped_lm_dir())
    assert trained.vocab == lm.vocab and trained.model.get_layer("gru").units == lm.units
    meta = trained.meta
    assert (meta["train_reviews"], meta["val_reviews"], meta["test_reviews"]) == (200, 100, 100)
    assert meta["settings"]["pretrained"] is True and 0 < meta["test_accuracy"] < 1
    assert meta["settings"]["epochs"] == 1 and meta["settings"]["batch_size"] == 64
    assert meta["cudnn_eligible"] is True and meta["device"]
    p = trained.predict_text(["a wonderful film", "awful"])
    assert p.shape == (2,) and np.all((p > 0) & (p < 1))
    assert main(["train", "--pretrained", "--model", "lstm"]) == 2


def test_train_pretrained_names_a_missing_language_model(tmp_path, capsys):
    from gru_edu.__main__ import main

    assert main(["train", "--pretrained", str(tmp_path / "no_lm"), "--epochs", "1"]) == 2
    assert "no_lm" in capsys.readouterr().err


def test_the_command_line_parser_loads_no_tensorflow():
    # train --cpu-devices must split the CPU before TensorFlow starts
    import subprocess
    import sys

    code = ("import sys; from gru_edu.__main__ import _parser; _parser(); "
            "assert 'tensorflow' not in sys.modules, 'tensorflow imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
