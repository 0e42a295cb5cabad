"""trace_text (gru_edu.gates.text): typed reviews traced word by word, empty and long ones."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

keras = pytest.importorskip("keras")

from gru_edu import gates  # noqa: E402

from gate_models import WORDS, bundle_of, classifier, vocab_of  # noqa: E402


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_trace_text_words_align_with_steps(padding):
    trained = bundle_of(classifier(), vocab_of(WORDS), maxlen=12, padding=padding)
    tt = gates.trace_text(trained, "A good film wibble was fun")
    assert tt.ids.shape == (12,) and not tt.truncated and tt.note == ""
    assert tt.review_words == ["<start>", "a", "good", "film", "<unk>", "was", "fun"]
    assert tt.typed[tt.review] == ["<start>", "a", "good", "film", "wibble", "was", "fun"]
    assert tt.review == (slice(0, 7) if padding == "post" else slice(5, 12))
    assert all(w == "<pad>" for i, w in enumerate(tt.words) if not tt.ids[i])
    pred = float(np.asarray(trained.model(tt.ids[None]))[0, 0])
    assert tt.prediction == pytest.approx(pred, abs=1e-6)
    np.testing.assert_array_equal(tt.trace.mask[0], tt.ids != 0)
    cropped = tt.review_traces[0]
    assert cropped.z.shape == (1, 7, 4)
    np.testing.assert_array_equal(cropped.z, tt.trace.z[:, tt.review])


def test_empty_and_unknown_only_reviews():
    trained = bundle_of(classifier(), vocab_of(WORDS), maxlen=12)
    for text in ("", "   "):
        with pytest.raises(gates.EmptyReviewError, match="empty"):
            gates.trace_text(trained, text)
    with pytest.raises(gates.UnknownWordsError, match="none of the 3 word"):
        gates.trace_text(trained, "zorglub wibble frobnicate")
    assert issubclass(gates.UnknownWordsError, ValueError)


@pytest.mark.parametrize("truncating", ["pre", "post"])
def test_long_review_is_truncated_and_says_so(truncating):
    trained = bundle_of(classifier(), vocab_of(WORDS), maxlen=12,
                          truncating=truncating)
    text = " ".join(["good"] * 5 + ["bad"] * 10)  # 16 tokens with <start>
    with pytest.warns(gates.TruncationWarning, match="at most 12"):
        tt = gates.trace_text(trained, text)
    assert tt.truncated and "4 were dropped" in tt.note
    assert len(tt.review_words) == 12 and tt.ids.all()
    if truncating == "pre":
        assert tt.review_words == ["good"] * 2 + ["bad"] * 10
    else:
        assert tt.review_words == ["<start>"] + ["good"] * 5 + ["bad"] * 6
    assert "truncated" in repr(tt)

