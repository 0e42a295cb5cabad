"""gru_edu.cell.conventions against torch.nn.GRU itself, where PyTorch is installed.

CI does not install PyTorch (the collection does not need it), so this file
is skipped there with the reason below. It needs only NumPy, PyTorch and
pytest — no TensorFlow — so it runs from a separate environment::

    python3 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install numpy pytest torch
    PYTHONPATH=. /tmp/torchvenv/bin/python -m pytest -o addopts="" \\
        tests/test_conventions_torch.py -v

The NumPy side (:func:`gru_edu.cell.gru_forward`) equals keras.layers.GRU to
float64 rounding (tests/test_numpy_gru.py, tests/test_conventions.py), so agreement
here closes the loop Keras = NumPy = PyTorch.
"""

import numpy as np
import pytest

from gru_edu.cell import GRUParams, gru_forward
from gru_edu.cell.conventions import from_torch, run, step_torch, to_torch

torch = pytest.importorskip(
    "torch",
    reason="PyTorch is not installed; this optional check compares the "
    "converters with torch.nn.GRU itself (see this file's docstring to run it)",
)

SHAPES = [(1, 1, 1, 1), (2, 5, 3, 4), (4, 9, 6, 2), (3, 12, 1, 7), (2, 7, 9, 3)]
RTOL = 1e-12


def rel_diff(a, b) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def torch_gru(m, n, seed, **kw):
    torch.manual_seed(seed)
    return torch.nn.GRU(m, n, batch_first=True, dtype=torch.float64, **kw)


def torch_states(gru, x, h0):
    with torch.no_grad():
        out, _ = gru(torch.from_numpy(x), torch.from_numpy(h0)[None])
    return out.numpy()


@pytest.mark.parametrize("shape", SHAPES)
def test_torch_gru_weights_in_numpy_equal_torch(shape):
    batch, time, m, n = shape
    gru = torch_gru(m, n, seed=sum(shape))
    rng = np.random.default_rng(0)
    x, h0 = rng.standard_normal((batch, time, m)), rng.standard_normal((batch, n))
    want = torch_states(gru, x, h0)
    params = from_torch(gru.state_dict())  # tensors straight from PyTorch
    assert np.all(params.bias != 0)
    assert rel_diff(gru_forward(x, params, h0)[0], want) < RTOL
    assert rel_diff(run(step_torch, x, gru.state_dict(), h0), want) < RTOL


@pytest.mark.parametrize("shape", SHAPES)
def test_keras_layout_weights_in_torch_equal_numpy(shape):
    batch, time, m, n = shape
    params = GRUParams.random(m, n, reset_after=True, seed=sum(shape))
    gru = torch_gru(m, n, seed=0)
    gru.load_state_dict({k: torch.from_numpy(v) for k, v in to_torch(params).items()})
    rng = np.random.default_rng(1)
    x, h0 = rng.standard_normal((batch, time, m)), rng.standard_normal((batch, n))
    assert rel_diff(torch_states(gru, x, h0), gru_forward(x, params, h0)[0]) < RTOL


def test_layers_of_a_stacked_torch_gru():
    gru = torch_gru(3, 4, seed=1, num_layers=2)
    x = np.random.default_rng(2).standard_normal((2, 6, 3))
    with torch.no_grad():
        out, _ = gru(torch.from_numpy(x))
    h1, _ = gru_forward(x, from_torch(gru.state_dict(), layer=0))
    h2, _ = gru_forward(h1, from_torch(gru.state_dict(), layer=1))
    assert rel_diff(h2, out.numpy()) < RTOL
    with pytest.raises(ValueError, match="layer=2: .*0, 1"):
        from_torch(gru.state_dict(), layer=2)


def test_bidirectional_torch_gru_is_refused_and_each_direction_converts():
    gru = torch_gru(3, 2, seed=3, bidirectional=True)
    sd = gru.state_dict()
    with pytest.raises(ValueError, match="bidirectional"):
        from_torch(sd)
    x = np.random.default_rng(4).standard_normal((2, 5, 3))
    with torch.no_grad():
        out, _ = gru(torch.from_numpy(x))
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    fwd = from_torch([sd[k] for k in names])
    bwd = from_torch([sd[k + "_reverse"] for k in names])
    h_fwd, _ = gru_forward(x, fwd)
    h_bwd, _ = gru_forward(x[:, ::-1], bwd)
    both = np.concatenate([h_fwd, h_bwd[:, ::-1]], axis=-1)
    assert rel_diff(both, out.numpy()) < RTOL
