"""gru_edu.gates against its oracles: the Keras layers' own outputs and gru_edu.cell.

For every supported set-up (Sequential and functional models, stacked GRUs,
Bidirectional, go_backwards, return_sequences on and off, masks from
``Embedding(mask_zero=True)`` and from ``Masking``, both ``reset_after``
values, a saved and reloaded model) a trace must

* reproduce the layer's own output, computed here by an independent Keras
  sub-model (``keras.Model(model.inputs, layer.output)``), and
* hold the gates gru_edu.cell computes from the layer's input, built here
  independently (embedding rows looked up in NumPy, masks from the ids)."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402

from gru_edu import gates  # noqa: E402
from gru_edu.gates import replay  # noqa: E402
from gru_edu.cell import GRUParams, gru_forward  # noqa: E402

from gate_models import VOCAB, ids_batch  # noqa: E402


TOL = gates.TOLERANCE


def keras_output(model, name, inputs):
    """The layer's own output from an independent sub-model, as float64."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sub = keras.Model(model.inputs, model.get_layer(name).output)
        out = sub(inputs)
    if isinstance(out, (list, tuple)):
        return [np.asarray(o, dtype=np.float64) for o in out]
    return np.asarray(out, dtype=np.float64)


def cell_replay(layer, x, mask):
    """gru_forward on (x, mask) in the layer's run order, back in input order."""
    back = layer.go_backwards
    flip = (lambda a: a[:, ::-1]) if back else (lambda a: a)
    _, cache = gru_forward(flip(np.asarray(x, np.float64)), GRUParams.from_keras(layer),
                           mask=flip(mask))
    return {g: flip(getattr(cache, g)) for g in gates.GATES}


def assert_gates_equal_cell(trace, layer, x, mask, atol=1e-6):
    """Gates equal gru_edu.cell's free-running replay on the same input.

    The trace recomputes each step from the state Keras computed in float32;
    this reference carries its own float64 state from the start. The two
    differ by Keras's float32 rounding (measured up to about 1e-9 on these
    small layers), hence ``atol``."""
    ref = cell_replay(layer, x, mask)
    for g in gates.GATES:
        np.testing.assert_allclose(trace.gate(g), ref[g], rtol=0, atol=atol)
    np.testing.assert_array_equal(trace.mask, mask)


def embed(model, ids, name="embedding"):
    return model.get_layer(name).get_weights()[0][ids]


def last_state(h, mask, backwards=False):
    """The state after the last step run, from input-order states."""
    return h[:, 0] if backwards else h[:, -1]


def zero_masked(h, mask):
    return np.where(mask[..., None], h, 0.0)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_sequential_embedding_gru(reset_after, return_sequences, go_backwards):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((None,), dtype="int32"),
        layers.Embedding(VOCAB, 6, mask_zero=True, name="embedding"),
        layers.GRU(5, reset_after=reset_after, return_sequences=return_sequences,
                   go_backwards=go_backwards, name="gru"),
    ])
    ids = ids_batch(padding="post" if not go_backwards else "pre")
    (t,) = gates.trace(model, ids)
    assert (t.layer_name, t.direction, t.go_backwards) == ("gru", "forward", go_backwards)
    assert t.z.shape == t.r.shape == t.h_tilde.shape == t.h.shape == (4, 9, 5)
    assert t.mask.shape == (4, 9) and t.mask.dtype == bool
    mask = ids != 0
    out = keras_output(model, "gru", ids)
    if return_sequences:  # Keras returns the states in the order it ran them
        expected = t.h[:, ::-1] if go_backwards else t.h
        np.testing.assert_allclose(expected, out, rtol=0, atol=TOL)
    else:
        np.testing.assert_allclose(last_state(t.h, mask, go_backwards), out, atol=TOL)
    assert t.max_abs_error <= TOL
    assert_gates_equal_cell(t, model.get_layer("gru"), embed(model, ids), mask)
    # masked steps carry the state; the gates are in input order
    row = 1 if not mask[1].all() else 2
    stop = np.flatnonzero(mask[row])
    if not go_backwards and stop[-1] < 8:
        assert np.array_equal(t.h[row, stop[-1]], t.h[row, -1])


def test_input_order_for_go_backwards():
    """Step t of a backward trace is the t-th word: its state has read t..T-1."""
    keras.utils.set_random_seed(2)
    model = keras.Sequential([
        keras.Input((None,), dtype="int32"),
        layers.Embedding(VOCAB, 4, name="embedding"),
        layers.GRU(3, go_backwards=True, return_sequences=True, name="gru"),
    ])
    ids = ids_batch(time=6)
    (t,) = gates.trace(model, ids)
    # a sequence made of the last word alone gives the state at t = T-1
    (t_last,) = gates.trace(model, ids[:, -1:])
    np.testing.assert_allclose(t.h[:, -1], t_last.h[:, 0], atol=1e-12)
    np.testing.assert_allclose(t.final_state, t.h[:, 0])


@pytest.mark.parametrize("reset_after", [True, False])
def test_functional_stacked_with_masking_layer(reset_after):
    keras.utils.set_random_seed(3)
    inp = keras.Input((None, 3))
    x = layers.Masking(mask_value=0.0)(inp)
    h1 = layers.GRU(4, return_sequences=True, reset_after=reset_after, name="g1")(x)
    h2 = layers.GRU(3, reset_after=reset_after, name="g2")(h1)
    model = keras.Model(inp, layers.Dense(1)(h2))
    rng = np.random.default_rng(0)
    feats = rng.standard_normal((3, 7, 3)).astype("float32")
    feats[1, 5:] = 0.0  # post padding
    feats[2, :2] = 0.0  # pre padding
    mask = np.any(feats != 0.0, axis=-1)
    t1, t2 = gates.trace(model, feats)
    out1, out2 = keras_output(model, "g1", feats), keras_output(model, "g2", feats)
    np.testing.assert_allclose(t1.h, out1, atol=TOL)  # all steps, masked ones too
    np.testing.assert_allclose(t2.h[:, -1], out2, atol=TOL)
    assert_gates_equal_cell(t1, model.get_layer("g1"), feats, mask)
    # the second layer's real input is the first layer's Keras output
    np.testing.assert_allclose(t2.x, out1, atol=TOL)
    assert_gates_equal_cell(t2, model.get_layer("g2"), t2.x, mask)
    assert_gates_equal_cell(t2, model.get_layer("g2"), out1.astype("float32"), mask,
                            atol=1e-6)
    np.testing.assert_array_equal(t2.mask, mask)


def test_float_features_without_mask_tutorial_model():
    """The tutorial's model: ids as one float feature, GRU(50) → GRU(1)."""
    keras.utils.set_random_seed(4)
    model = keras.Sequential([
        keras.Input((12, 1)),
        layers.GRU(6, return_sequences=True, name="g1"),
        layers.GRU(1, name="g2"),
    ])
    feats = ids_batch(time=12)[..., None].astype("float32")
    t1, t2 = gates.trace(model, feats)
    assert t1.mask.all()
    np.testing.assert_allclose(t1.h, keras_output(model, "g1", feats), atol=TOL)
    np.testing.assert_allclose(t2.h[:, -1], keras_output(model, "g2", feats), atol=TOL)
    assert_gates_equal_cell(t1, model.get_layer("g1"), feats, np.ones((4, 12), bool))
    # one sequence without the batch axis
    (one, _) = gates.trace(model, feats[0])  # Keras's float32 sums depend on
    np.testing.assert_allclose(one.h[0], t1.h[0], atol=1e-6)  # the batch size


@pytest.mark.parametrize("merge_mode", ["concat", "sum", None])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_bidirectional(merge_mode, return_sequences):
    keras.utils.set_random_seed(5)
    inp = keras.Input((None,), dtype="int32")
    x = layers.Embedding(VOCAB, 5, mask_zero=True, name="embedding")(inp)
    y = layers.Bidirectional(
        layers.GRU(4, return_sequences=return_sequences), merge_mode=merge_mode,
        name="bi",
    )(x)
    model = keras.Model(inp, y)
    ids = ids_batch(seed=1)
    mask = ids != 0
    fwd, bwd = gates.trace(model, ids)
    assert (fwd.direction, bwd.direction) == ("forward", "backward")
    assert not fwd.go_backwards and bwd.go_backwards
    bi = model.get_layer("bi")
    out = keras_output(model, "bi", ids)
    if merge_mode == "concat":
        out = [out[..., :4], out[..., 4:]]
    if return_sequences:  # Bidirectional zeroes masked steps, backward in input order
        yf, yb = zero_masked(fwd.h, mask), zero_masked(bwd.h, mask)
    else:
        yf, yb = fwd.h[:, -1], bwd.h[:, 0]
    if merge_mode == "sum":
        np.testing.assert_allclose(yf + yb, out, atol=2 * TOL)
    else:
        np.testing.assert_allclose(yf, out[0], atol=TOL)
        np.testing.assert_allclose(yb, out[1], atol=TOL)
    x_emb = embed(model, ids)
    assert_gates_equal_cell(fwd, bi.forward_layer, x_emb, mask)
    assert_gates_equal_cell(bwd, bi.backward_layer, x_emb, mask)


def test_stacked_bidirectional_then_gru_and_rnn_gru_cell():
    keras.utils.set_random_seed(6)
    inp = keras.Input((None,), dtype="int32")
    x = layers.Embedding(VOCAB, 4, mask_zero=True, name="embedding")(inp)
    x = layers.Bidirectional(layers.GRU(3, return_sequences=True), name="bi")(x)
    x = layers.RNN(layers.GRUCell(2), return_sequences=True, name="cell_rnn")(x)
    model = keras.Model(inp, x)
    ids = ids_batch(seed=2)
    traces = gates.trace(model, ids)
    assert [(t.layer_name, t.direction) for t in traces] == [
        ("bi", "forward"), ("bi", "backward"), ("cell_rnn", "forward")]
    bi_out = keras_output(model, "bi", ids)
    np.testing.assert_allclose(traces[2].h, keras_output(model, "cell_rnn", ids), atol=TOL)
    assert_gates_equal_cell(traces[2], model.get_layer("cell_rnn"),
                            bi_out.astype("float32"), ids != 0, atol=1e-6)


def test_return_state_and_initial_state():
    keras.utils.set_random_seed(7)
    inp = keras.Input((None, 2))
    h0 = keras.Input((3,))
    seq, state = layers.GRU(3, return_sequences=True, return_state=True,
                            name="g")(inp, initial_state=h0)
    model = keras.Model([inp, h0], [seq, state])
    rng = np.random.default_rng(3)
    feats = rng.standard_normal((2, 5, 2)).astype("float32")
    h_init = rng.standard_normal((2, 3)).astype("float32")
    (t,) = gates.trace(model, [feats, h_init])
    seq_k, state_k = (np.asarray(a) for a in model([feats, h_init]))
    np.testing.assert_allclose(t.h, seq_k, atol=TOL)
    np.testing.assert_allclose(t.final_state, state_k, atol=TOL)
    _, cache = gru_forward(feats.astype(float), GRUParams.from_keras(model.get_layer("g")),
                           h0=h_init.astype(float))
    np.testing.assert_allclose(t.z, cache.z, atol=1e-12)


def test_saved_and_loaded_model(tmp_path):
    keras.utils.set_random_seed(8)
    model = keras.Sequential([
        keras.Input((9,), dtype="int32"),
        layers.Embedding(VOCAB, 6, mask_zero=True, name="embedding"),
        layers.GRU(5, return_sequences=True, name="g1"),
        layers.Bidirectional(layers.GRU(3), name="bi"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    ids = ids_batch(seed=4)
    before, after = gates.trace(model, ids), gates.trace(loaded, ids)
    assert len(after) == 3
    for a, b in zip(before, after):
        for g in gates.GATES:
            np.testing.assert_allclose(a.gate(g), b.gate(g), atol=1e-12)
    np.testing.assert_allclose(after[0].h, keras_output(loaded, "g1", ids), atol=TOL)


def test_tracing_leaves_the_model_as_it_was(tmp_path):
    """The replay's helper layers live in a private sub-model: after a trace the
    model has the same layers and weights, and saves and loads the same."""
    keras.utils.set_random_seed(8)
    model = keras.Sequential([
        keras.Input((9,), dtype="int32"),
        layers.Embedding(VOCAB, 6, mask_zero=True, name="embedding"),
        layers.GRU(5, name="gru"),
        layers.Dense(1, activation="sigmoid", name="out"),
    ])
    ids = ids_batch(seed=4)
    names = [layer.name for layer in model.layers]
    weights = [w.copy() for w in model.get_weights()]
    pred = np.asarray(model(ids))
    gates.trace(model, ids)
    assert [layer.name for layer in model.layers] == names
    assert len(model.get_weights()) == len(weights)
    model.save(tmp_path / "after.keras")
    loaded = keras.saving.load_model(tmp_path / "after.keras")
    assert [layer.name for layer in loaded.layers] == names
    for a, b in zip(loaded.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.asarray(loaded(ids)), pred, atol=1e-7)


def test_tampered_weights_raise_replay_error(monkeypatch):
    keras.utils.set_random_seed(9)
    model = keras.Sequential([
        keras.Input((None,), dtype="int32"),
        layers.Embedding(VOCAB, 4, mask_zero=True),
        layers.GRU(3, name="gru"),
    ])
    ids = ids_batch()
    assert gates.trace(model, ids)[0].max_abs_error <= TOL
    real = replay.gru_replay

    def tampered(x, h_prev, p):  # a replay with recurrent weights 1% off
        return real(x, h_prev, GRUParams(p.kernel, p.recurrent_kernel * 1.01, p.bias,
                                         p.reset_after))

    monkeypatch.setattr(replay, "gru_replay", tampered)
    with pytest.raises(gates.ReplayError, match=r"'gru'.*does not reproduce"):
        gates.trace(model, ids)
    assert issubclass(gates.ReplayError, ValueError)


def test_weights_changed_after_first_trace_are_read_again():
    keras.utils.set_random_seed(10)
    model = keras.Sequential([keras.Input((None, 2)), layers.GRU(3, name="gru")])
    x = np.ones((1, 4, 2), "float32")
    first = gates.trace(model, x)[0]
    w = model.layers[0].get_weights()
    model.layers[0].set_weights([w[0] * 2, w[1], w[2]])
    second = gates.trace(model, x)[0]
    assert second.max_abs_error <= TOL
    assert not np.allclose(first.h, second.h)


def test_long_float32_sequence_stays_within_tolerance():
    """300 steps: float32 Keras vs float64 replay, Keras-initialised weights."""
    keras.utils.set_random_seed(11)
    model = keras.Sequential([
        keras.Input((300,), dtype="int32"),
        layers.Embedding(1000, 16, mask_zero=True, embeddings_initializer=
                         keras.initializers.RandomNormal(stddev=1.0)),
        layers.GRU(64, return_sequences=True, name="gru"),
    ])
    ids = np.random.default_rng(5).integers(1, 1000, size=(4, 300)).astype("int32")
    ids[1, 250:] = 0
    (t,) = gates.trace(model, ids)
    err = np.abs(t.h - keras_output(model, "gru", ids))
    assert err.max() <= TOL
    assert err[:, -50:].max() < 10 * err[:, :50].max() + 1e-6  # no growth


def test_lstm_only_model_says_what_it_has():
    model = keras.Sequential([
        keras.Input((None,), dtype="int32"),
        layers.Embedding(VOCAB, 4),
        layers.LSTM(3, name="lstm"),
        layers.Dense(1),
    ])
    with pytest.raises(gates.NoGRULayerError) as info:
        gates.trace(model, ids_batch())
    msg = str(info.value)
    assert "LSTM layers: lstm" in msg and "gates.trace explains GRU layers" in msg
    assert isinstance(info.value, ValueError)


def test_model_without_recurrent_layer():
    model = keras.Sequential([keras.Input((5,)), layers.Dense(2, name="dense")])
    with pytest.raises(gates.NoGRULayerError, match="no recurrent layer.*dense"):
        gates.trace(model, np.zeros((1, 5)))


def test_sequential_built_by_a_call_unbuilt_and_nested_models():
    ids = ids_batch()
    model = keras.Sequential([layers.Embedding(VOCAB, 4, mask_zero=True),
                              layers.GRU(3, name="gru")])
    with pytest.raises(gates.UnsupportedModelError, match="not built yet"):
        gates.trace(model, ids)
    model(ids)  # built by a call: its Input is (batch, 9) float32
    (t,) = gates.trace(model, ids[:2])
    np.testing.assert_allclose(t.h[:, -1], np.asarray(model(ids[:2])), atol=TOL)
    with pytest.raises(gates.GatesError, match="exactly 9 steps"):
        gates.trace(model, ids[:, :5])
    inner = keras.Sequential([keras.Input((None, 4)), layers.GRU(3)], name="encoder")
    inp = keras.Input((None,), dtype="int32")
    nested = keras.Model(inp, inner(layers.Embedding(VOCAB, 4)(inp)))
    with pytest.raises(gates.UnsupportedModelError, match="nested model.*encoder"):
        gates.trace(nested, ids)


def test_stateful_gru_and_empty_input_are_clear_errors():
    model = keras.Sequential([keras.Input((4, 2), batch_size=1),
                              layers.GRU(3, stateful=True)])
    with pytest.raises(gates.UnsupportedModelError, match="stateful"):
        gates.trace(model, np.zeros((1, 4, 2)))
    model = keras.Sequential([keras.Input((None,), dtype="int32"),
                              layers.Embedding(VOCAB, 2), layers.GRU(2)])
    with pytest.raises(gates.EmptyReviewError):
        gates.trace(model, np.zeros((1, 0), "int32"))
    with pytest.raises(gates.GatesError, match="shape"):
        gates.trace(model, np.zeros((1, 2, 3, 4), "int32"))

