"""A model saved after every epoch (gru_edu.imdb.checkpoints) and read back."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from gru_edu.imdb.checkpoints import EpochCheckpoints, load_checkpoints  # noqa: E402
from gru_edu.imdb import Vocabulary  # noqa: E402

from tiny_models import WORDS, padded, tiny_model  # noqa: E402


def test_epoch_checkpoints(tmp_path):
    model = tiny_model(dtype="float32")
    model.compile(optimizer="adam", loss="binary_crossentropy")
    ids = padded(np.random.default_rng(5), 16, 8)
    y = (np.arange(16) % 2).astype("float32")
    vocab = Vocabulary(WORDS)
    cb = EpochCheckpoints(tmp_path, vocab, 8, {"note": "test"})
    model.fit(ids, y, epochs=2, verbose=0, callbacks=[cb])
    loaded = load_checkpoints(tmp_path)
    assert [m.meta["epoch"] for m in loaded] == [0, 1, 2]
    final = np.asarray(loaded[-1].model.predict(ids, verbose=0))
    np.testing.assert_allclose(final, np.asarray(model.predict(ids, verbose=0)),
                               rtol=1e-5)
    first = np.asarray(loaded[0].model.predict(ids, verbose=0))
    assert np.abs(first - final).max() > 1e-6  # epoch 0 is before training

