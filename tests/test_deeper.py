"""Saturation, gradient connectivity and select-and-match (notebook 06).

The three checks of the issue, each against an independent computation:

* saturation fractions against a direct count over the gates of
  :func:`gru_edu.gates.trace`, review by review;
* the gradient row against central finite differences of a float64 NumPy
  forward pass (:func:`gru_edu.cell.gru_forward` with the model's weights)
  on a tiny model, and against Keras's own gradient of the embedding table
  on a classifier built like the IMDB model (``build_classifier``);
* select-and-match against a brute-force scan of every span of every
  review.

Plus the widgets that show them, driven through their controls.
"""

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras import layers  # noqa: E402

from gru_edu import gates  # noqa: E402
from gru_edu.cell import GRUParams, gru_forward  # noqa: E402
from gru_edu.imdb.checkpoints import EpochCheckpoints, load_checkpoints  # noqa: E402
from gru_edu.imdb import Vocabulary  # noqa: E402
from gru_edu.gates.connectivity import (  # noqa: E402
    _by_distance,
    check_against_keras,
    gradient_connectivity,
    memory_reach,
)
from gru_edu.gates.pattern_search import (  # noqa: E402
    StateCache,
    build_state_cache,
    find_matches,
    select_units,
)
from gru_edu.gates.saturation import gate_saturation, saturation_kind  # noqa: E402
from gru_edu.imdb import TrainedModel, build_classifier  # noqa: E402

WORDS = ("the film was good bad not but great awful plot fun boring acting "
         "story a very").split()
MAXLEN = 20


def tiny_model(dtype="float64", units=4, dim=3, seed=0, maxlen=None, words=12):
    """Embedding -> GRU -> Dense(sigmoid), weights scaled up so that the
    gradient differs clearly from step to step."""
    keras.utils.set_random_seed(seed)
    inp = keras.Input((maxlen,), dtype="int32")
    x = layers.Embedding(words, dim, mask_zero=True, name="embedding",
                         dtype=dtype)(inp)
    x = layers.GRU(units, name="gru", dtype=dtype)(x)
    out = layers.Dense(1, activation="sigmoid", name="out", dtype=dtype)(x)
    model = keras.Model(inp, out)
    rng = np.random.default_rng(seed)
    model.set_weights([w + rng.normal(0, 0.6, w.shape) for w in model.get_weights()])
    return model


def padded(rng, n, width, lo=2):
    ids = rng.integers(3, 12, size=(n, width))
    lengths = rng.integers(lo, width + 1, size=n)
    ids[np.arange(width)[None] >= lengths[:, None]] = 0
    return ids.astype("int32")


# ------------------------------------------------------------- gradient


def numpy_logit(model, vectors):
    """The tiny model's logit from word vectors, float64 NumPy (gru_edu.cell)."""
    params = GRUParams.from_keras(model.get_layer("gru"))
    hs, _ = gru_forward(vectors[None], params)
    h = hs[0, -1]
    dense = model.get_layer("out")
    return float(h @ np.asarray(dense.kernel)[:, 0] + np.asarray(dense.bias)[0])


def test_gradient_matches_central_differences():
    model = tiny_model()
    ids = np.array([[1, 5, 7, 3, 9, 4, 0, 0]], dtype="int32")
    con = gradient_connectivity(model, ids, return_grad=True, xla=False)
    n = int((ids != 0).sum())
    table = np.asarray(model.get_layer("embedding").embeddings, dtype=np.float64)
    vectors = table[ids[0, :n]]
    assert abs(numpy_logit(model, vectors) - con.output[0]) < 1e-10
    eps = 1e-6
    fd = np.zeros_like(vectors)
    for t in range(n):
        for k in range(vectors.shape[1]):
            plus, minus = vectors.copy(), vectors.copy()
            plus[t, k] += eps
            minus[t, k] -= eps
            fd[t, k] = (numpy_logit(model, plus) - numpy_logit(model, minus)) / (2 * eps)
    grad = con.grad[0, :n]
    rel = np.abs(grad - fd).max() / np.abs(fd).max()
    assert rel < 1e-6, rel
    np.testing.assert_allclose(con.norm[0, :n], np.linalg.norm(fd, axis=1),
                               rtol=1e-5)
    # the padding gets no gradient, and the words do not all weigh the same
    assert np.all(con.norm[0, n:] == 0) and np.all(con.grad[0, n:] == 0)
    assert con.norm[0, :n].std() > 0.05 * con.norm[0, :n].mean()


def test_gradient_xla_equals_graph_and_batch_equals_single():
    model = tiny_model(dtype="float32")
    ids = padded(np.random.default_rng(1), 5, 9)
    a = gradient_connectivity(model, ids)
    b = gradient_connectivity(model, ids, xla=False)
    np.testing.assert_allclose(a.norm, b.norm, rtol=1e-4, atol=1e-7)
    for i in range(len(ids)):  # reviews in a batch do not mix
        one = gradient_connectivity(model, ids[i])
        np.testing.assert_allclose(one.norm[0], a.norm[i], rtol=1e-4, atol=1e-7)
    # the model's layers are untouched afterwards
    assert "call" not in vars(model.get_layer("embedding"))
    np.testing.assert_allclose(
        np.asarray(model(ids)).reshape(-1),
        1 / (1 + np.exp(-a.output)), rtol=1e-5)


def test_gradient_matches_keras_on_imdb_classifier():
    keras.utils.set_random_seed(2)
    rng = np.random.default_rng(2)
    polarity = rng.normal(0, 1, 300).astype("float32")
    model = build_classifier("gru", num_words=300, maxlen=None, embed_dim=8,
                             units=6, dropout=0.4, polarity=polarity)
    ids = padded(rng, 6, 30, lo=5)
    ids[:, 0] = 1
    err = check_against_keras(model, ids)
    assert err < 1e-4, err
    # probability gradient = logit gradient * p (1 - p)
    lg = gradient_connectivity(model, ids, of="logit")
    pr = gradient_connectivity(model, ids, of="probability")
    p = pr.output
    np.testing.assert_allclose(pr.norm, lg.norm * (p * (1 - p))[:, None],
                               rtol=1e-3, atol=1e-9)


def test_memory_reach_by_distance():
    norm = np.array([[1.0, 2.0, 3.0, 0.0], [4.0, 5.0, 0.0, 0.0]])
    mask = norm > 0
    by_d, ok = _by_distance(norm, mask)
    np.testing.assert_array_equal(by_d, [[3, 2, 1, 0], [5, 4, 0, 0]])
    np.testing.assert_array_equal(ok, [[1, 1, 1, 0], [1, 1, 0, 0]])
    model = tiny_model(dtype="float32")
    ids = padded(np.random.default_rng(3), 11, 12)
    ids[:, 0] = 1
    reach = memory_reach(model, ids, batch_size=4)
    con = gradient_connectivity(model, ids)
    direct, ok = _by_distance(con.norm, con.mask)
    np.testing.assert_allclose(reach.mean_norm,
                               direct.sum(0)[:len(reach.mean_norm)]
                               / ok.sum(0)[:len(reach.mean_norm)], rtol=1e-4)
    assert reach.count[0] == len(ids) and reach.reach90.shape == (len(ids),)


# ----------------------------------------------------------- saturation


def test_saturation_matches_direct_count():
    model = tiny_model(dtype="float32")
    ids = padded(np.random.default_rng(4), 7, 10)
    (sat,) = gate_saturation(model, ids, batch_size=3, low=0.2, high=0.8)
    counts = {k: np.zeros(4) for k in ("zl", "zr", "rl", "rr")}
    steps = 0
    for row in ids:  # one review at a time, its real steps only
        (tr,) = gates.trace(model, row[None])
        n = int((row != 0).sum())
        z, r = tr.z[0, :n], tr.r[0, :n]
        steps += n
        for u in range(4):
            counts["zl"][u] += sum(1 for v in z[:, u] if v < 0.2)
            counts["zr"][u] += sum(1 for v in z[:, u] if v > 0.8)
            counts["rl"][u] += sum(1 for v in r[:, u] if v < 0.2)
            counts["rr"][u] += sum(1 for v in r[:, u] if v > 0.8)
    assert sat.n_steps == steps and sat.n_reviews == len(ids)
    np.testing.assert_allclose(sat.left["z"], counts["zl"] / steps)
    np.testing.assert_allclose(sat.right["z"], counts["zr"] / steps)
    np.testing.assert_allclose(sat.left["r"], counts["rl"] / steps)
    np.testing.assert_allclose(sat.right["r"], counts["rr"] / steps)
    assert (sat.left["z"] + sat.right["z"]).max() > 0  # not all zero


def test_saturation_kinds():
    kinds = saturation_kind(np.array([0.7, 0.1, 0.3, 0.0]),
                            np.array([0.1, 0.8, 0.4, 0.2]))
    assert list(kinds) == ["write", "keep", "switch", "free"]


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


# ------------------------------------------------------ select and match


def brute_force(values_by_review, units, threshold, length, slack):
    """Every maximal on-run of all ``units``, checked span by span."""
    found = set()
    for row, v in enumerate(values_by_review):
        n = len(v)
        for s in range(n):
            for e in range(s, n):
                if abs((e - s + 1) - length) > slack:
                    continue
                inside = all(v[t, u] >= threshold for t in range(s, e + 1)
                             for u in units)
                before = s == 0 or not all(v[s - 1, u] >= threshold for u in units)
                after = e == n - 1 or not all(v[e + 1, u] >= threshold
                                              for u in units)
                if inside and before and after:
                    found.add((row, s, e))
    return found


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    model = tiny_model(dtype="float32", units=5)
    ids = padded(np.random.default_rng(6), 30, 14)
    ids[3] = 0  # an empty review is left out of the cache
    built = build_state_cache(model, ids, signals=("h", "z"), batch_size=8)
    folder = built.save(tmp_path_factory.mktemp("states"))
    assert not any(p.suffix == ".pkl" for p in folder.iterdir())
    return StateCache.load(folder), model, ids


def test_state_cache_holds_the_trace(cache):
    sc, model, ids = cache
    assert sc.n_reviews == 29 and 3 not in set(sc.reviews.tolist())
    row = int(np.flatnonzero(sc.reviews == 5)[0])
    (tr,) = gates.trace(model, ids[5][None])
    n = int((ids[5] != 0).sum())
    np.testing.assert_allclose(sc.values("h", row), tr.h[0, :n], atol=0.5 / 127)
    np.testing.assert_allclose(sc.values("z", row), tr.z[0, :n], atol=0.5 / 255)
    np.testing.assert_array_equal(sc.review_ids(row), ids[5, :n])


@pytest.mark.parametrize("signal,threshold,units,length,slack", [
    ("h", 0.0, [0], 2, 0), ("h", 0.1, [2, 4], 3, 1), ("z", 0.5, [2], 1, 2),
    ("z", 0.6, [0, 1, 2], 4, 3), ("h", -0.2, [0, 1, 2], 2, 0)])
def test_find_matches_equals_brute_force(cache, signal, threshold, units,
                                         length, slack):
    sc, _, _ = cache
    values = [sc.values(signal, r) for r in range(sc.n_reviews)]
    want = brute_force(values, units, threshold, length, slack)
    got = find_matches(sc, units, threshold, length, signal=signal, slack=slack)
    assert got.spans() == want
    assert len(want) > 0  # the case finds something
    assert list(got.reviews) == [int(sc.reviews[r]) for r in got.rows]


def test_select_units():
    v = np.array([[0.0, 0.9, 0.9], [0.8, 0.9, 0.7], [0.9, 0.95, 0.8],
                  [0.1, 0.9, 0.2]])
    np.testing.assert_array_equal(select_units(v, 1, 2, 0.5), [0])  # 2: on before
    np.testing.assert_array_equal(select_units(v, 0, 3, 0.5), [1])
    with pytest.raises(ValueError):
        select_units(v, 2, 5, 0.5)


# -------------------------------------------------------------- widgets


def test_select_match_explorer(cache):
    from gru_edu.explorers.pattern_explorer import select_match_explorer

    sc, _, _ = cache
    vocab = Vocabulary(WORDS)
    row = int(np.argmax(np.diff(sc.offsets)))  # the longest review
    assert sc.offsets[row + 1] - sc.offsets[row] >= 6
    ex = select_match_explorer(sc, vocab, review=row, span=(1, 2), threshold=0.0)
    found = 0
    n = int(sc.offsets[row + 1] - sc.offsets[row])
    for span, thr in [((lo, lo + k), t) for lo in range(n - 2) for k in (0, 1)
                      for t in (0.0, 0.3)]:
        ex.controls["span"].value = span
        ex.controls["threshold"].value = thr
        st = ex.state
        assert ex.last_error is None, ex.last_error
        want = select_units(sc.values("h", row), *span, thr)
        found += len(want) > 0
        np.testing.assert_array_equal(st["units"], want)
        if len(want):
            got = find_matches(sc, want, thr, span[1] - span[0] + 1, slack=1)
            assert st["matches"].spans() == got.spans()
            assert f"{len(got)} matches" in ex.matches_view.value
    assert found  # some selection finds units
    ex.controls["review"].value = int(np.argmin(np.diff(sc.offsets)))
    assert ex.last_error is None, ex.last_error  # the span follows the review
    assert ex.controls["span"].max == ex.state["values"].shape[0] - 1


def test_gate_explorer_gradient_row():
    from gru_edu.explorers import gate_explorer as ge
    from gru_edu.explorers.gate_drawing import column_values

    model = tiny_model(dtype="float32", units=6, maxlen=MAXLEN,
                       words=len(Vocabulary(WORDS)))
    trained = TrainedModel(model, Vocabulary(WORDS), MAXLEN, "post")
    ids = trained.encode(["the film was good but the plot was awful",
                          "not bad"])
    ex = ge.gate_explorer(trained, x=ids, labels=[1, 0])
    for review in (0, 1):
        ex.controls["review"].value = review
        ex.controls["step"].value = 1
        n = int((ids[review] != 0).sum())
        want = gradient_connectivity(trained, ids[review]).norm[0, :n]
        np.testing.assert_allclose(ex.state["gradient"], want, rtol=1e-5)
        np.testing.assert_allclose(column_values(ex.artists["gradient_bars"]),
                                   want, rtol=1e-5)
        assert f"|d logit/d v|={want[1]:.4f}" in ex.readout_text()


def test_saturation_explorer_links_units():
    from gru_edu.explorers.gate_explorer import gate_explorer
    from gru_edu.explorers.saturation_view import saturation_explorer

    model = tiny_model(dtype="float32", units=6, maxlen=MAXLEN,
                       words=len(Vocabulary(WORDS)))
    trained = TrainedModel(model, Vocabulary(WORDS), MAXLEN, "post")
    ids = trained.encode(["the film was good", "a very boring plot"])
    (sat,) = gate_saturation(trained, ids)
    ge = gate_explorer(trained, x=ids, labels=[1, 0])
    se = saturation_explorer(sat, ge)
    se.controls["unit"].value = 4
    assert ge.controls["unit"].value == 4 and ge.state["unit"] == 4
    ge.controls["unit"].value = 2
    assert se.controls["unit"].value == 2 and se.state["unit"] == 2
    assert se.state["z_right"] == pytest.approx(sat.right["z"][2])
