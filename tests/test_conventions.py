"""The converters and references of gru_edu.cell.conventions against keras.layers.GRU.

Round trips must be exact (conversions only reorder and transpose); a
reference run on converted weights must equal a float64 Keras layer to
rounding. The check against torch.nn.GRU itself is tests/test_conventions_torch.py.
"""

import numpy as np
import pytest

from gru_edu.cell import GRUParams, gru_forward, gru_replay
from gru_edu.cell.conventions import (flip_update_gate, from_torch, run, step_chung,
                                 step_keras, step_torch, to_torch)

keras = pytest.importorskip("keras")

SHAPES = [  # (batch, time, input_dim, units)
    (1, 1, 1, 1),
    (2, 5, 3, 4),
    (4, 9, 6, 2),
    (3, 12, 1, 7),
    (2, 7, 9, 3),  # input_dim == 3 * units: a transposed kernel has this shape
]
#: Largest accepted max |difference| / max |value| against float64 Keras.
RTOL = 1e-12


def keras_states(params: GRUParams, x, h0=None) -> np.ndarray:
    """Every state of a float64 keras.layers.GRU holding ``params``."""
    layer = keras.layers.GRU(params.units, return_sequences=True,
                             reset_after=params.reset_after, dtype="float64")
    layer.build((None, None, params.input_dim))
    layer.set_weights(params.to_keras_weights())
    return np.asarray(layer(x, initial_state=None if h0 is None else [h0]))


def rel_diff(a, b) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def random_torch_state_dict(m, n, seed, dtype=np.float64, prefix=""):
    """nn.GRU-shaped arrays with non-zero biases, drawn in PyTorch's layout."""
    rng = np.random.default_rng(seed)
    shapes = {"weight_ih_l0": (3 * n, m), "weight_hh_l0": (3 * n, n),
              "bias_ih_l0": (3 * n,), "bias_hh_l0": (3 * n,)}
    return {prefix + k: (0.5 * rng.standard_normal(s)).astype(dtype)
            for k, s in shapes.items()}


def inputs(batch, time, m, n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, time, m)), 0.5 * rng.standard_normal((batch, n))


# ------------------------------------------------------------- round trips


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_keras_to_torch_to_keras_is_exact(shape, dtype):
    _, _, m, n = shape
    params = GRUParams.random(m, n, reset_after=True, seed=sum(shape), dtype=dtype)
    sd = to_torch(params)
    assert {k: v.shape for k, v in sd.items()} == {
        "weight_ih_l0": (3 * n, m), "weight_hh_l0": (3 * n, n),
        "bias_ih_l0": (3 * n,), "bias_hh_l0": (3 * n,)}
    assert all(v.dtype == dtype and v.flags.c_contiguous for v in sd.values())
    back = from_torch(sd)
    for got, want in zip(back.to_keras_weights(), params.to_keras_weights()):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    assert back.reset_after


@pytest.mark.parametrize("shape", SHAPES)
def test_torch_to_keras_to_torch_is_exact(shape):
    _, _, m, n = shape
    sd = random_torch_state_dict(m, n, seed=sum(shape))
    again = to_torch(from_torch(sd))
    assert again.keys() == sd.keys()
    for k in sd:
        assert np.array_equal(again[k], sd[k]), k


def test_gate_blocks_land_where_each_layout_puts_them():
    # Mark every block with its gate: the conversion must move the marks.
    n, m = 2, 3
    mark = {"z": 1.0, "r": 2.0, "h": 3.0}
    kernel = np.concatenate([np.full((m, n), mark[g]) for g in "zrh"], axis=1)
    rec = np.concatenate([np.full((n, n), mark[g]) for g in "zrh"], axis=1)
    bias = np.stack([np.repeat([1.0, 2.0, 3.0], n),
                     np.repeat([10.0, 20.0, 30.0], n)])
    sd = to_torch(GRUParams(kernel, rec, bias, True))
    r, z, new = np.split(sd["weight_ih_l0"], 3)  # PyTorch rows [r | z | n]
    assert np.all(r == 2.0) and np.all(z == 1.0) and np.all(new == 3.0)
    assert np.all(np.split(sd["weight_hh_l0"], 3)[0] == 2.0)
    assert list(sd["bias_ih_l0"]) == [2.0] * n + [1.0] * n + [3.0] * n
    assert list(sd["bias_hh_l0"]) == [20.0] * n + [10.0] * n + [30.0] * n


# ------------------------------------------------ the references against Keras


@pytest.mark.parametrize("shape", SHAPES)
def test_torch_reference_on_converted_keras_weights_equals_keras(shape):
    batch, time, m, n = shape
    params = GRUParams.random(m, n, reset_after=True, seed=sum(shape))
    assert np.all(params.bias != 0)
    x, h0 = inputs(batch, time, m, n)
    want = keras_states(params, x, h0)
    got = run(step_torch, x, to_torch(params), h0)
    assert rel_diff(got, want) < RTOL


@pytest.mark.parametrize("shape", SHAPES)
def test_keras_on_converted_torch_weights_equals_torch_reference(shape):
    batch, time, m, n = shape
    sd = random_torch_state_dict(m, n, seed=10 + sum(shape))
    x, h0 = inputs(batch, time, m, n, seed=1)
    want = run(step_torch, x, sd, h0)
    got = keras_states(from_torch(sd), x, h0)
    assert rel_diff(got, want) < RTOL
    # zero initial state too (Keras' default)
    assert rel_diff(keras_states(from_torch(sd), x), run(step_torch, x, sd)) < RTOL


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("shape", SHAPES[1:3])
def test_keras_reference_equals_keras_both_variants(shape, reset_after):
    batch, time, m, n = shape
    params = GRUParams.random(m, n, reset_after=reset_after, seed=3)
    x, h0 = inputs(batch, time, m, n, seed=2)
    assert rel_diff(run(step_keras, x, params, h0), keras_states(params, x, h0)) < RTOL


def test_the_variants_are_different_functions():
    # reset_after=False is not PyTorch's GRU with some other bias: the same
    # kernels give different states, which is why to_torch refuses it.
    p_true = GRUParams.random(3, 4, reset_after=True, seed=1)
    p_false = GRUParams(p_true.kernel, p_true.recurrent_kernel, p_true.bias[0], False)
    p_true0 = GRUParams(p_true.kernel, p_true.recurrent_kernel,
                        np.stack([p_true.bias[0], 0 * p_true.bias[0]]), True)
    x, _ = inputs(2, 6, 3, 4)
    assert rel_diff(run(step_keras, x, p_false), run(step_keras, x, p_true0)) > 1e-3


# ------------------------------------------------------------------ the flip


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("shape", SHAPES)
def test_chung_on_flipped_weights_equals_keras(shape, reset_after):
    batch, time, m, n = shape
    params = GRUParams.random(m, n, reset_after=reset_after, seed=sum(shape))
    x, h0 = inputs(batch, time, m, n, seed=4)
    want = keras_states(params, x, h0)
    assert rel_diff(run(step_chung, x, flip_update_gate(params), h0), want) < RTOL
    # ... and the flip is needed: unflipped, Chung's mix is another function
    assert rel_diff(run(step_chung, x, params, h0), want) > 1e-3


@pytest.mark.parametrize("reset_after", [True, False])
def test_flip_is_its_own_inverse_and_touches_only_z(reset_after):
    params = GRUParams.random(3, 4, reset_after=reset_after, seed=5)
    flipped = flip_update_gate(params)
    twice = flip_update_gate(flipped)
    for a, b, c in zip(params.to_keras_weights(), flipped.to_keras_weights(),
                       twice.to_keras_weights()):
        assert np.array_equal(a, c)
        assert np.array_equal(b[..., :4], -a[..., :4])
        assert np.array_equal(b[..., 4:], a[..., 4:])
    # the gates read from the same states: z becomes 1 - z, r and h̃ stay
    x, _ = inputs(2, 5, 3, 4, seed=6)
    h_prev = np.tanh(np.random.default_rng(6).standard_normal((2, 5, 4)))
    c1, c2 = gru_replay(x, h_prev, params), gru_replay(x, h_prev, flipped)
    assert np.max(np.abs(c2.z - (1 - c1.z))) < 1e-15
    assert np.array_equal(c1.r, c2.r) and np.array_equal(c1.h_tilde, c2.h_tilde)


# -------------------------------------------------------------- input forms


def test_accepts_a_model_state_dict_an_npz_file_and_four_arrays(tmp_path):
    params = GRUParams.random(3, 2, seed=8)
    sd = to_torch(params, prefix="encoder.gru.")
    model_sd = {**sd, "readout.weight": np.ones((1, 2)), "readout.bias": np.ones(1)}
    path = tmp_path / "state_dict.npz"
    np.savez(path, **model_sd)
    four = [sd["encoder.gru." + k] for k in
            ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]
    for source in (model_sd, path, str(path), np.load(path), four, tuple(four)):
        got = from_torch(source)
        assert all(np.array_equal(a, b) for a, b in
                   zip(got.to_keras_weights(), params.to_keras_weights()))


def test_multi_layer_state_dict_reads_the_layer_asked_for():
    l0 = random_torch_state_dict(3, 2, seed=1)
    l1 = {k.replace("_l0", "_l1"): v for k, v in
          random_torch_state_dict(2, 2, seed=2).items()}
    sd = {**l0, **l1}
    assert np.array_equal(from_torch(sd, layer=1).kernel,
                          from_torch(list(l1.values())).kernel)
    assert from_torch(sd, layer=0).input_dim == 3
    assert set(to_torch(from_torch(sd, layer=1), layer=1)) == set(l1)


# ------------------------------------------------------------------ errors


def test_reset_after_false_has_no_pytorch_equivalent():
    with pytest.raises(ValueError, match=r"reset_after=False .*no PyTorch equivalent"):
        to_torch(GRUParams.random(2, 3, reset_after=False))


def test_bidirectional_keys_are_refused_with_the_way_out():
    sd = random_torch_state_dict(3, 2, seed=1)
    sd.update({k + "_reverse": v for k, v in sd.items()})
    with pytest.raises(ValueError, match=r"bidirectional.*weight_ih_l0_reverse"):
        from_torch(sd)


def test_missing_layer_names_the_layers_there():
    with pytest.raises(ValueError, match=r"layer=1: .*layer\(s\) 0 "):
        from_torch(random_torch_state_dict(3, 2, seed=1), layer=1)
    with pytest.raises(ValueError, match="four arrays are one layer"):
        from_torch(list(random_torch_state_dict(3, 2, seed=1).values()), layer=1)


def test_missing_keys_are_named():
    sd = random_torch_state_dict(3, 2, seed=1)
    del sd["bias_ih_l0"], sd["bias_hh_l0"]
    with pytest.raises(ValueError, match=r"missing key\(s\) bias_ih_l0, bias_hh_l0.*bias=False"):
        from_torch(sd)
    with pytest.raises(ValueError, match=r"no torch.nn.GRU keys .*kernel"):
        from_torch({"kernel": np.zeros((3, 6))})
    with pytest.raises(ValueError, match=r"four arrays .* got 3"):
        from_torch([np.zeros((6, 3)), np.zeros((6, 2)), np.zeros(6)])


def test_several_grus_need_a_prefix():
    sd = {**random_torch_state_dict(3, 2, 1, prefix="enc."),
          **random_torch_state_dict(2, 4, 2, prefix="dec.")}
    with pytest.raises(ValueError, match=r"several GRUs .*'dec\.', 'enc\.'"):
        from_torch(sd)
    assert from_torch(sd, prefix="dec.").units == 4


@pytest.mark.parametrize("key, shape, message", [
    ("weight_hh_l0", (2, 6), r"weight_hh_l0: expected shape \(3\*hidden_size, "
                             r"hidden_size\), got \(2, 6\)\. This is the Keras layout"),
    ("weight_hh_l0", (8, 2), r"got \(8, 2\)\. 4\*hidden_size rows: is this an LSTM"),
    ("weight_ih_l0", (3, 6), r"weight_ih_l0: expected shape \(6, input_size\).*"
                             r"Keras layout"),
    ("weight_ih_l0", (5, 3), r"weight_ih_l0: expected shape \(6, input_size\)"),
    ("bias_ih_l0", (2, 6), r"bias_ih_l0: expected shape \(6,\)"),
    ("bias_hh_l0", (4,), r"bias_hh_l0: expected shape \(6,\)"),
])
def test_wrong_shapes_name_expected_and_given(key, shape, message):
    sd = random_torch_state_dict(3, 2, seed=1)
    sd[key] = np.zeros(shape)
    with pytest.raises(ValueError, match=message):
        from_torch(sd)


def test_not_numbers_or_not_params():
    sd = random_torch_state_dict(3, 2, seed=1)
    sd["bias_hh_l0"] = np.array(["a"] * 6)
    with pytest.raises(ValueError, match="expected numbers"):
        from_torch(sd)
    with pytest.raises(TypeError, match="GRUParams"):
        to_torch(random_torch_state_dict(3, 2, seed=1))
    with pytest.raises(ValueError, match="state_dict"):
        from_torch(42)


# ------------------------------------------------ the shipped PyTorch GRU


def test_shipped_pytorch_gru_loads_and_answers_as_its_log_says():
    # The state_dict notebook 02 ports: trained in PyTorch, saved as .npz.
    import json
    from importlib.resources import files

    from gru_edu.tasks import segments

    folder = files("gru_edu") / "shipped" / "torch_segments_gru"
    meta = json.loads((folder / "meta.json").read_text())
    with np.load(folder / "state_dict.npz") as f:
        sd = dict(f)
    assert {k: list(v.shape) for k, v in sd.items()} == meta["shapes"]
    cell = from_torch(sd)  # finds the "gru." prefix, ignores the readout
    assert (cell.input_dim, cell.units, cell.kernel.dtype) == (2, 1, np.float32)
    x, y = segments.segment_sum_task(2000, meta["recipe"]["T"], seed=123)
    h, _ = gru_forward(x.astype(np.float32), cell)
    logits = h @ sd["readout.weight"].T + sd["readout.bias"]
    accuracy = np.mean(logits.argmax(-1) == y)
    assert abs(accuracy - meta["held_out_accuracy"]) < 2e-3
