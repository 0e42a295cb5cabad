"""word_polarity of gru_edu.imdb.features."""


import numpy as np
import pytest

from gru_edu.imdb import word_polarity


def test_word_polarity_is_the_log_count_ratio():
    # word 5 in both positive reviews, word 6 in the negative one, word 7 everywhere
    x = np.array([[1, 5, 7, 0], [1, 5, 5, 7], [1, 6, 7, 0]])
    y = np.array([1, 1, 0])
    pol = word_polarity(x, y, num_words=8, smoothing=1.0)
    assert pol.shape == (8,) and pol.dtype == np.float32
    pos = np.ones(8)
    neg = np.ones(8)
    for ids in ([0, 1, 5, 7], [1, 5, 7]):  # documents, not counts: 5 once per review
        pos[ids] += 1
    neg[[0, 1, 6, 7]] += 1
    expected = np.log(pos / pos.sum()) - np.log(neg / neg.sum())
    np.testing.assert_allclose(pol[3:], expected[3:], rtol=1e-6)
    assert (pol[:3] == 0).all()  # padding, start, unknown word
    assert pol[5] > 0 > pol[6]
    with pytest.raises(ValueError, match="3 reviews but y has 2"):
        word_polarity(x, y[:2], num_words=8)
