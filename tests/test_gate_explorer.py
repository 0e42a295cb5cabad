"""Headless tests of the notebook-04 explorers (gate explorer, unit words).

Every control is moved the way a learner would (``controls[name].value =
v``); what the figure then shows — heatmap arrays, the highlighted step, the
gate-vector bars, one unit's lines, the sentiment curve, the top-k words —
must equal what :mod:`gru_edu.gates` computes, called here directly. The
model is a small untrained classifier with a twelve-word vocabulary: the
tests check the plumbing, not what a trained model learned.
"""

import io

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras import layers  # noqa: E402
from matplotlib import image as mpimg  # noqa: E402

from gru_edu import gates  # noqa: E402
from gru_edu.explorers import gate_explorer as ge  # noqa: E402
from gru_edu.explorers import gate_reviews, unit_words  # noqa: E402
from gru_edu.imdb import TrainedModel, Vocabulary  # noqa: E402

WORDS = ("the film was good bad not but great awful plot fun boring acting "
         "story a very").split()
MAXLEN, UNITS = 24, 6
N_REVIEWS = 14


def small_trained(seed=3, stacked=False, bidirectional=False):
    """An untrained Embedding -> GRU -> Dense(sigmoid) bundle, tiny vocabulary."""
    keras.utils.set_random_seed(seed)
    vocab = Vocabulary(WORDS)
    inp = keras.Input((MAXLEN,), dtype="int32")
    x = layers.Embedding(len(vocab), 5, mask_zero=True, name="embedding")(inp)
    if stacked:
        x = layers.GRU(4, return_sequences=True, name="gru_1")(x)
    if bidirectional:
        x = layers.Bidirectional(layers.GRU(3), name="bi")(x)
    else:
        x = layers.GRU(UNITS, name="gru")(x)
    out = layers.Dense(1, activation="sigmoid", name="sentiment")(x)
    return TrainedModel(keras.Model(inp, out), vocab, MAXLEN, "post")


def review_texts(n=N_REVIEWS, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(4, MAXLEN - 2, size=n)
    return [" ".join(rng.choice(WORDS, size=k)) for k in lengths]


@pytest.fixture(scope="module")
def trained():
    return small_trained()


@pytest.fixture(scope="module")
def dataset(trained):
    texts = review_texts()
    x = trained.encode(texts)
    labels = np.arange(N_REVIEWS) % 2
    return texts, x, labels


@pytest.fixture()
def explorer(trained, dataset):
    texts, x, labels = dataset
    return ge.gate_explorer(trained, x=x, labels=labels, window=10)


# ----------------------------------------------------------- references


def reference_ids(trained, ids):
    """gates.trace + sentiment_so_far on one padded row, cropped to the review."""
    real = np.flatnonzero(ids)
    review = slice(real[0], real[-1] + 1)
    (tr,) = gates.trace(trained.model, ids[None])
    s = gates.sentiment_so_far(trained.model, [tr])[0, review, 0]
    words = trained.vocab.decode(ids[review])
    vals = {g: tr.gate(g)[0, review] for g in gates.GATES}
    return words, vals, s


def shown_labels(labels):
    """(texts, x, y) of a gru_edu.explorers.base.LabelRow, x and y read from what it draws."""
    offsets = np.asarray(labels.collection.get_offsets())
    assert len(labels.collection.get_paths()) == len(labels.texts) == len(offsets)
    return list(labels.texts), list(offsets[:, 0]), list(offsets[:, 1])


def plotted(explorer):
    """What the explorer's figure shows now, read back from its artists."""
    art = explorer.artists
    return {
        "images": {k: np.asarray(im.get_array()) for k, im in art["images"].items()},
        "extent": art["images"]["z"].get_extent(),
        "xlim": art["sentiment_axes"].get_xlim(),
        "words": shown_labels(art["word_labels"])[0],
        "word_x": shown_labels(art["word_labels"])[1],
        "step_x": [b.get_x() + 0.5 for b in art["step_boxes"]],
        "unit_row": [b.get_y() + 0.5 for b in art["unit_boxes"].values()],
        "bars": {k: ge.bar_values(c) for k, c in art["bars"].items()},
        "bar_edges": {k: np.asarray(c.get_linewidths())
                      for k, c in art["bars"].items()},
        "lines": {k: np.asarray(line.get_ydata())
                  for k, line in art["unit_lines"].items()},
        "sentiment": np.asarray(art["sentiment_line"].get_ydata()),
        "dot": np.asarray(art["sentiment_dot"].get_xydata()),
        "crossings": np.asarray(art["crossings"].get_xdata()),
        "step_line": art["step_line"].get_xdata()[0],
    }


def assert_shows(explorer, words, vals, s):
    """The figure and state show these reference gates at the current step/unit."""
    st = explorer.state
    p = plotted(explorer)
    assert explorer.last_error is None, explorer.last_error
    assert st["words"] == list(words)
    for g in gates.GATES:
        np.testing.assert_array_equal(st[g], vals[g])
    order, step, unit = st["order"], st["step"], st["unit"]
    n = len(words)
    for g in ("z", "r", "h"):
        np.testing.assert_allclose(p["images"][g], vals[g][:, order].T)
        np.testing.assert_allclose(p["bars"][g], vals[g][step, order])
        np.testing.assert_allclose(p["lines"][g], vals[g][:, unit])
        edges = p["bar_edges"][g]
        assert edges[st["row"]] > 0 and np.count_nonzero(edges) == 1
    assert tuple(p["extent"]) == (-0.5, n - 0.5, len(order) - 0.5, -0.5)
    lo, hi = gate_reviews.gate_window(step, n, explorer.window)
    assert p["words"] == list(words[lo:hi])
    assert p["word_x"] == list(range(lo, hi))
    assert p["xlim"] == (lo - 0.5, hi - 0.5) and lo <= step < hi
    for ax in explorer.artists["heat_axes"].values():
        assert ax.get_xlim() == (lo - 0.5, hi - 0.5)
    # a step box on the three heatmaps, the sentiment row and the gradient row
    assert p["step_x"] == [step] * 5 and p["step_line"] == step
    assert order[st["row"]] == unit and p["unit_row"] == [st["row"]] * 3
    np.testing.assert_allclose(p["sentiment"], s, atol=1e-12)
    np.testing.assert_allclose(p["dot"], [[step, s[step]]])
    np.testing.assert_array_equal(p["crossings"], gates.sentiment_crossings(s))
    # the text readout (browser tests read it)
    text = explorer.readout.value
    assert f"step <b>{step}</b>" in text and f"unit <b>{unit}</b>" in text
    for g in gates.GATES:
        assert f"{g}={vals[g][step, unit]:.4f}" in text
    assert f"sentiment so far={s[step]:.4f}" in text


def png_pixels(data):
    return mpimg.imread(io.BytesIO(bytes(data)), format="png")


# ---------------------------------------------------------------- tests


def test_gate_window_is_a_pure_page_function():
    assert gate_reviews.gate_window(3, 8, 10) == (0, 8)
    assert gate_reviews.gate_window(3, 100, None) == (0, 100)
    for length in (11, 37, 300):
        for window in (4, 10, 48):
            for step in range(length):
                lo, hi = gate_reviews.gate_window(step, length, window)
                assert lo <= step < hi <= length
                assert hi - lo == min(window, length)
    # pages: the view moves only every window // 2 steps
    starts = {gate_reviews.gate_window(t, 300, 48)[0] for t in range(300)}
    assert len(starts) <= 300 // 24 + 1


def test_initial_view_equals_gates_trace(trained, dataset, explorer):
    _, x, _ = dataset
    assert explorer.state["index"] == 0
    assert explorer.controls["source"].value == "review"
    words, vals, s = reference_ids(trained, x[0])
    assert_shows(explorer, words, vals, s)
    # the curve ends at the model's prediction
    pred = float(np.asarray(trained.model.predict(x[:1], verbose=0))[0, 0])
    assert explorer.state["prediction"] == pytest.approx(pred, abs=1e-5)
    assert s[-1] == pytest.approx(pred, abs=1e-5)
    assert explorer.state["trace"].max_abs_error <= gates.TOLERANCE
    assert "test review #0" in explorer.info.value


def test_step_and_unit_sliders(trained, dataset, explorer):
    _, x, _ = dataset
    words, vals, s = reference_ids(trained, x[0])
    c = explorer.controls
    assert c["step"].max == len(words) - 1 and c["unit"].max == UNITS - 1
    for step in (1, len(words) - 1, len(words) // 2, 0):
        c["step"].value = step
        assert explorer.state["step"] == step
        assert_shows(explorer, words, vals, s)
    for unit in (UNITS - 1, 2):
        c["unit"].value = unit
        assert_shows(explorer, words, vals, s)
    # a step or unit move inside a page of words only blits
    levels = [lvl for lvl, _ in explorer.timings]
    assert levels[0] == "full" and "step" in levels
    c["step"].value = 1
    before = len(explorer.timings)
    c["unit"].value = 0
    assert explorer.timings[before:] == [("step", explorer.timings[-1][1])]


@pytest.mark.parametrize("sort", [k for _, k in gate_reviews.GATE_SORTS])
def test_sort_orders_the_rows(trained, dataset, explorer, sort):
    _, x, _ = dataset
    words, vals, s = reference_ids(trained, x[0])
    explorer.controls["sort"].value = sort
    explorer.controls["unit"].value = 3
    expected = {
        "unit": np.arange(UNITS),
        "z": np.argsort(vals["z"].mean(0), kind="stable"),
        "r": np.argsort(vals["r"].mean(0), kind="stable"),
        "h": np.argsort(vals["h"].mean(0), kind="stable"),
        "corr": np.argsort(
            [-np.corrcoef(vals["h"][:, j], s)[0, 1] for j in range(UNITS)],
            kind="stable"),
    }[sort]
    np.testing.assert_array_equal(explorer.state["order"], expected)
    assert_shows(explorer, words, vals, s)
    every = int(np.ceil(UNITS / 8))
    for key in ("z", "r", "h"):
        texts, _, rows = shown_labels(explorer.artists["unit_labels"][key])
        assert texts == [str(u) for u in expected[::every]]
        assert rows == list(range(0, UNITS, every))


def test_review_slider_and_filters(trained, dataset, explorer):
    _, x, labels = dataset
    c = explorer.controls
    preds = np.asarray(trained.model.predict(x, verbose=0)).reshape(-1)
    right = (preds >= 0.5) == (labels == 1)
    expect = {
        "all": np.arange(N_REVIEWS),
        "positive": np.flatnonzero(labels == 1),
        "negative": np.flatnonzero(labels == 0),
        "correct": np.flatnonzero(right),
        "incorrect": np.flatnonzero(~right),
    }
    for key, idx in expect.items():
        c["filter"].value = key
        if not len(idx):
            assert "no review matches" in str(explorer.last_error)
            continue
        assert c["review"].max == max(len(idx) - 1, 0)
        pos = len(idx) - 1
        c["review"].value = pos
        assert explorer.state["index"] == idx[pos], key
        words, vals, s = reference_ids(trained, x[idx[pos]])
        assert_shows(explorer, words, vals, s)
        assert explorer.state["label"] == labels[idx[pos]]
        if key in ("positive", "negative"):
            assert explorer.state["label"] == (key == "positive")
        if key in ("correct", "incorrect"):
            p = explorer.state["prediction"]
            assert ((p >= 0.5) == bool(explorer.state["label"])) == (key == "correct")


def test_free_text_switches_source_and_equals_trace_text(trained, explorer):
    c = explorer.controls
    c["step"].value = 4
    c["text"].value = "the film was not good but the acting was great"
    assert c["source"].value == "text"
    tt = gates.trace_text(trained, c["text"].value)
    words = tt.review_words
    vals = {g: tt.trace.gate(g)[0, tt.review] for g in gates.GATES}
    s = gates.sentiment_so_far(trained, tt)[0, tt.review, 0]
    assert_shows(explorer, words, vals, s)
    assert explorer.state["step"] == 4
    assert explorer.state["prediction"] == pytest.approx(tt.prediction)
    assert "typed review" in explorer.info.value
    # moving the review slider goes back to the test reviews
    c["review"].value = 2
    assert c["source"].value == "review" and explorer.state["index"] == 2
    c["source"].value = "text"
    assert explorer.state["words"] == words


def test_texts_without_ids_equal_ids(trained, dataset):
    texts, x, labels = dataset
    by_text = ge.gate_explorer(trained, texts=texts, labels=labels)
    by_text.controls["review"].value = 5
    words, vals, s = reference_ids(trained, x[5])
    assert_shows(by_text, words, vals, s)


def test_errors_in_callbacks_are_shown(trained, explorer):
    c = explorer.controls
    shown = explorer.state
    c["text"].value = "zorglub wibble"
    assert isinstance(explorer.last_error, gates.UnknownWordsError)
    text = "".join(o.get("text", "") for o in explorer.errors.outputs)
    assert "Error in the explorer callback" in text
    assert "none of the 2 word(s)" in text and "vocabulary" in text
    assert explorer.state is shown  # the last good view stays
    c["text"].value = "   "
    assert isinstance(explorer.last_error, gates.EmptyReviewError)
    c["text"].value = "a very good film"
    assert explorer.last_error is None and not explorer.errors.outputs
    assert explorer.state["words"] == ["<start>", "a", "very", "good", "film"]


def test_truncated_review_says_so(trained):
    ex = ge.gate_explorer(trained, text=" ".join(["good"] * 40))
    assert ex.last_error is None
    assert ex.state["review"].length == MAXLEN
    assert "dropped" in ex.info.value and "truncating" in ex.info.value
    assert "review" not in ex.controls  # typed text only


def test_blitted_view_equals_a_fresh_full_render(trained, dataset, explorer):
    _, x, labels = dataset
    c = explorer.controls
    for step in range(0, 12):
        c["step"].value = step
    c["unit"].value = 4
    c["sort"].value = "z"
    c["unit"].value = 1
    c["step"].value = 7
    fresh = ge.gate_explorer(trained, x=x, labels=labels, window=10)
    fresh.controls["sort"].value = "z"
    fresh.controls["unit"].value = 1
    fresh.controls["step"].value = 7
    np.testing.assert_array_equal(png_pixels(explorer.view.value),
                                  png_pixels(fresh.view.value))
    shape = png_pixels(explorer.view.value).shape
    w, h = fresh.figure.get_size_inches() * fresh.dpi
    assert shape[:2] == (round(h), round(w))


def test_no_figure_pile_up(trained, dataset):
    _, x, labels = dataset
    before = plt.get_fignums()
    ex = ge.gate_explorer(trained, x=x, labels=labels)
    for step in range(8):
        ex.controls["step"].value = step
    ex.controls["review"].value = 3
    assert plt.get_fignums() == before
    assert ex.snapshot().data == bytes(ex.view.value)


def test_several_traces_layer_selector_and_no_sentiment_for_bidirectional():
    stacked = small_trained(seed=5, stacked=True)
    ex = ge.gate_explorer(stacked, text="the plot was boring but fun")
    assert [o[0] for o in ex.controls["layer"].options] == [
        "gru_1 (forward)", "gru (forward)"]
    tt = gates.trace_text(stacked, "the plot was boring but fun")
    ex.controls["layer"].value = 0
    assert ex.state["trace"].units == 4 and ex.controls["unit"].max == 3
    np.testing.assert_array_equal(ex.state["z"], tt.traces[0].z[0, tt.review])
    ex.controls["layer"].value = 1
    np.testing.assert_array_equal(ex.state["z"], tt.traces[1].z[0, tt.review])
    assert ex.last_error is None
    # the figure follows the layer's 6 units (the first layer has 4)
    ex.controls["unit"].value = 5
    st, art = ex.state, ex.artists
    np.testing.assert_allclose(ge.bar_values(art["bars"]["z"]),
                               st["z"][st["step"], st["order"]])
    assert art["bar_axes"]["z"].get_ylim() == (5.5, -0.5)
    assert shown_labels(art["unit_labels"]["r"])[0] == [str(u) for u in st["order"]]
    assert "unit <b>5</b>" in ex.readout.value

    bi = small_trained(seed=6, bidirectional=True)
    ex = ge.gate_explorer(bi, text="a great story")
    assert ex.last_error is None and ex.state["sentiment"] is None
    assert "bidirectional" in ex.info.value
    assert len(ex.controls["layer"].options) == 2
    ex.controls["layer"].value = 1
    assert ex.state["trace"].direction == "backward"


def test_unit_words_explorer_equals_gate_statistics(trained, dataset):
    _, x, _ = dataset
    ex = unit_words.unit_words_explorer(trained, x, top_k=3, min_count=2)
    (st,) = gates.gate_statistics(trained, x, top_k=3)
    assert ex.stats is unit_words.cached_gate_statistics(trained, x, top_k=3)
    art = ex.artists
    c = ex.controls
    for unit in (0, UNITS - 1, 2):
        c["unit"].value = unit
        for name, want in (("writes", st.writes_at[unit]),
                           ("keeps", st.keeps_at[unit])):
            assert ex.state[name] == want
            widths = [b.get_width() for b in art[f"{name}_bars"]][: len(want)]
            assert widths == [cnt for _, cnt in want]
            shown = [t.get_text() for t in art[f"{name}_words"]][: len(want)]
            assert shown == [w for w, _ in want]
            values = [t.get_text() for t in art[f"{name}_labels"]][: len(want)]
            assert values == [str(cnt) for _, cnt in want]
    c["rank"].value = "mean"
    low = st.mean_z_by_word(2, k=3, min_count=2, lowest=True)
    assert ex.state["writes"] == [(w, m) for w, m, _ in low]
    np.testing.assert_allclose(
        [b.get_width() for b in art["writes_bars"]][: len(low)],
        [m for _, m, _ in low])
    assert ex.last_error is None and "unit 2" in art["header"].get_text()

