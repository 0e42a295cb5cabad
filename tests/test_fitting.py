"""fit (gru_edu.imdb.fitting): length buckets train the same model on any length."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gru_edu import imdb  # noqa: E402

from imdb_archives import padded_reviews  # noqa: E402


def test_fit_with_buckets_trains_the_same_model_on_any_length():
    x, y, _ = padded_reviews(n=64, width=40, seed=1)
    keras.utils.set_random_seed(0)
    model = imdb.build_classifier("gru", num_words=40, maxlen=None, embed_dim=4, units=3,
                                    decay_steps=8)
    before = model.predict(x[:4], verbose=0)
    hist = imdb.fit(model, x, y, epochs=2, batch_size=16, buckets=True,
                      validation_data=(x[:16], y[:16]), verbose=0)
    assert len(hist["seconds"]) == 2 and len(hist["val_accuracy"]) == 2
    assert not np.allclose(model.predict(x[:4], verbose=0), before)  # it learned
    # padding columns never matter to the masked model
    np.testing.assert_allclose(model.predict(x[:4, :30], verbose=0)[x[:4].astype(bool)
                               .sum(1) <= 30],
                               model.predict(x[:4], verbose=0)[x[:4].astype(bool).sum(1) <= 30],
                               atol=1e-6)
    lr = model.optimizer.learning_rate
    assert float(np.asarray(lr)) == pytest.approx(0.0, abs=1e-9)  # cosine reached 0

