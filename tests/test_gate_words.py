"""gru_edu.lm.gate_words: where sentences end, and the update gate averaged by group."""

import numpy as np
import pytest

from gru_edu.imdb.vocab import Vocabulary
from gru_edu.lm.gate_words import sentence_end_mask

TEXTS = ["I did not like it. The end was good! 10/10.", "no marks here", "Wait... what?"]


def test_sentence_ends_are_the_last_word_before_each_mark():
    vocab = Vocabulary(["i", "did", "not", "like", "it", "the", "end", "was", "good", "10"])
    x, ends = sentence_end_mask(TEXTS, vocab, maxlen=12)
    assert x.shape == ends.shape == (3, 12)
    for row, text in enumerate(TEXTS):
        ids = vocab.encode(text)[:12]
        assert list(x[row, :len(ids)]) == ids and not x[row, len(ids):].any()
    words = [vocab.decode(r) for r in x]
    marked = [[w for w, e in zip(ws, row) if e] for ws, row in zip(words, ends)]
    assert marked == [["it", "good", "10"], [], ["<unk>", "<unk>"]]
    assert list(np.flatnonzero(ends[0])) == [5, 9, 11]  # "10/10." ends at the second 10
    # a cut review keeps only the ends it still holds
    _, short = sentence_end_mask(TEXTS[:1], vocab, maxlen=8)
    assert list(np.flatnonzero(short[0])) == [5]


def test_update_gate_by_group_averages_z_where_the_masks_say():
    pytest.importorskip("keras")
    from gru_edu.gates.replay import trace
    from gru_edu.lm.bundle import LanguageModel, shipped_lm_dir
    from gru_edu.lm.gate_words import update_gate_by_group

    lm = LanguageModel.load(shipped_lm_dir())
    x, ends = sentence_end_mask(TEXTS, lm.vocab, maxlen=16)
    the = lm.vocab.word_index["the"]
    # batches of 2 over 3 reviews: the masks must follow the rows of each batch
    got = update_gate_by_group(lm.model, x, {"the": [the]}, batch_size=2,
                               at={"sentence ends": ends})
    z = np.concatenate([trace(lm.model, x[i:i + 1])[0].z[:, :16] for i in range(3)])
    real = x != 0
    for name, where in (("every word", real), ("the", real & (x == the)),
                        ("sentence ends", ends)):
        assert got[name].occurrences == int(where.sum())
        np.testing.assert_allclose(got[name].per_unit, z[where].mean(axis=0), atol=1e-6)
        assert got[name].mean_z == pytest.approx(float(z[where].mean()), abs=1e-6)
    assert got["sentence ends"].occurrences == 5
