"""train_classifier (gru_edu.imdb.training): validation every epoch, the test part scored once."""

import pytest

keras = pytest.importorskip("keras")

from gru_edu import imdb  # noqa: E402


def test_training_watches_validation_and_scores_test_once(imdb_archive, monkeypatch):
    """Per-epoch numbers come from the validation part; the test reviews are
    evaluated once after training, or never with ``score_test=False``."""
    from gru_edu.imdb import fitting

    seen = []
    real_evaluate = imdb.evaluate
    real_fit = imdb.fit

    def spy_evaluate(model, x, y, buckets=False):
        seen.append(("evaluate", len(y)))
        return real_evaluate(model, x, y, buckets=buckets)

    def spy_fit(model, x, y, *args, validation_data=None, **kwargs):
        seen.append(("fit", len(y), len(validation_data[1])))
        return real_fit(model, x, y, *args, validation_data=validation_data, **kwargs)

    monkeypatch.setattr(fitting, "evaluate", spy_evaluate)
    monkeypatch.setattr(fitting, "fit", spy_fit)
    settings = imdb.TrainSettings(num_words=300, maxlen=30, embed_dim=4, units=3,
                                  epochs=2, train_size=200, val_size=60, test_size=90)
    result = imdb.train_classifier(settings, archive=imdb_archive, verbose=0)
    assert seen == [("fit", 200, 60), ("evaluate", 60), ("evaluate", 90)]
    assert len(result.history["val_accuracy"]) == 2
    assert result.trained.meta["test_reviews"] == 90

    seen.clear()
    result = imdb.train_classifier(settings, archive=imdb_archive, verbose=0,
                                   score_test=False)
    assert seen == [("fit", 200, 60), ("evaluate", 60)]
    assert result.trained.meta["test_accuracy"] is None
    assert result.trained.meta["val_accuracy"] is not None

