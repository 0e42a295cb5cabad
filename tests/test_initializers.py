"""Keras default initialisers and init_gru in gru_edu.cell.initializers."""

import numpy as np
import pytest

from gru_edu.cell import GRUParams, gru_forward
from gru_edu.cell.initializers import init_gru

# --------------------------------------------------------- init, readout


@pytest.mark.parametrize("reset_after", [True, False])
def test_init_gru_update_bias(reset_after):
    p = init_gru(5, 4, reset_after=reset_after, seed=0, update_bias=3.0)
    assert isinstance(p, GRUParams) and p.reset_after is reset_after
    b = p.input_bias
    assert np.all(b[:4] == 3.0) and np.all(b[4:] == 0)
    assert np.all(p.recurrent_bias == 0)
    _, cache = gru_forward(np.zeros((1, 1, 5)), p)
    np.testing.assert_allclose(cache.z, 1 / (1 + np.exp(-3.0)))
