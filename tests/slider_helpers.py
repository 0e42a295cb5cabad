"""What the explorer tests share: a new slider value, and a check that no
pyplot figure is left behind (the fixture ``fig_count``, registered in
``tests/conftest.py``)."""

import matplotlib.pyplot as plt
import pytest


def new_value(ctl, frac=0.3):
    """A value inside the slider's range that differs from the current one."""
    for f in (frac, 1 - frac, frac / 2):
        v = round((ctl.min + f * (ctl.max - ctl.min)) / ctl.step) * ctl.step
        if abs(v - ctl.value) > 1e-9:
            return v
    raise AssertionError(f"no new value for {ctl.description}")


@pytest.fixture
def fig_count():
    """Assert that no pyplot figure is left behind by the test."""
    before = len(plt.get_fignums())
    yield
    assert len(plt.get_fignums()) == before
