"""Gradient connectivity (gru_edu.gates.connectivity): the gradient of the output with respect to each word, and memory reach."""

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from gru_edu.gates.connectivity import (  # noqa: E402
    _by_distance,
    check_against_keras,
    gradient_connectivity,
    memory_reach,
)
from gru_edu.imdb import build_classifier  # noqa: E402

from tiny_models import numpy_logit, padded, tiny_model  # noqa: E402


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

