"""Notebook 05: can one unit count? An LSTM cell against a GRU unit on aⁿbⁿ.

:func:`counting_explorer` runs a hand-set one-unit LSTM and a one-unit GRU
on the string ``a…a b…b`` (``n`` of each) and draws the LSTM's cell state
``c_t`` and the GRU's state ``h_t`` over time. Both units get the same
instruction: *add* ``w`` for an ``a``, *subtract* it for a ``b``, and keep
the rest (the LSTM through its forget gate, the GRU through its update gate,
both from the bias ``keep``). The LSTM's sum grows with ``n`` and comes back
to 0 at the end of the string: a counter. The GRU's state is a mix of the
old state and ``tanh(±w)``, so it can never leave [-1, 1]: it saturates, and
"20 a's" looks like "40 a's". The runs are :func:`gru_edu.cell.lstm.lstm_forward`
and :func:`gru_edu.cell.gru_forward`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as W
import numpy as np

from gru_edu.cell import GRUParams, gru_forward
from gru_edu.cell.lstm import LSTMParams, lstm_forward

from .base import GATE_COLOURS, Explorer, slider, new_figure

#: A gate bias that puts the gate at practically 1 (σ(10) ≈ 0.99995).
_OPEN = 10.0


def counting_string(n: int) -> np.ndarray:
    """aⁿbⁿ as ``(1, 2n, 2)`` one-hot (channel 0 = a, 1 = b)."""
    x = np.zeros((1, 2 * n, 2))
    x[0, :n, 0] = 1.0
    x[0, n:, 1] = 1.0
    return x


def counting_lstm(keep: float, w: float) -> LSTMParams:
    """One LSTM unit: input and output gates at 1, forget gate ``σ(keep)``,
    candidate ``tanh(+w)`` on an ``a`` and ``tanh(-w)`` on a ``b``."""
    kernel = np.array([[0.0, 0.0, w, 0.0], [0.0, 0.0, -w, 0.0]])
    bias = np.array([_OPEN, keep, 0.0, _OPEN])
    return LSTMParams(kernel, np.zeros((1, 4)), bias)


def counting_gru(keep: float, w: float) -> GRUParams:
    """One GRU unit (``reset_after=False``): update gate ``σ(keep)``,
    candidate ``tanh(±w + h_{t-1})`` (the reset gate at 1: it reads the whole state), so it tries to
    add to its state as the LSTM does."""
    kernel = np.array([[0.0, 0.0, w], [0.0, 0.0, -w]])
    recurrent = np.array([[0.0, 0.0, 1.0]])
    bias = np.array([keep, _OPEN, 0.0])
    return GRUParams(kernel, recurrent, bias, reset_after=False)


class CountingExplorer(Explorer):
    """One LSTM unit and one GRU unit on aⁿbⁿ; see :func:`counting_explorer`."""

    def __init__(self, max_n: int = 40) -> None:
        super().__init__()
        self.max_n = max_n
        c = self.controls
        c["n"] = W.IntSlider(value=10, min=1, max=max_n, description="n",
                             continuous_update=True,
                             style={"description_width": "5.5em"},
                             layout=W.Layout(width="19em"))
        c["keep"] = slider(8.0, -2.0, 10.0, "keep bias", step=0.1)
        c["w"] = slider(0.2, 0.05, 1.5, "write $w$", step=0.05)
        self.figure = new_figure((9.0, 3.8))
        ax = self.figure.subplots()
        t = np.arange(2 * max_n)
        (self.artists["c"],) = ax.plot(t, t * 0.0, "-", color=GATE_COLOURS["h"],
                                       label="LSTM cell state $c_t$")
        (self.artists["h"],) = ax.plot(t, t * 0.0, "-", color=GATE_COLOURS["z"],
                                       label="GRU state $h_t$")
        self.artists["turn"] = ax.axvline(9.5, color="0.6", lw=0.8,
                                          label="last a")
        ax.axhline(0.0, color="k", lw=0.6)
        ax.set_xlim(-0.5, 2 * max_n - 0.5)
        ax.set_xlabel("step $t$ (a's, then b's)")
        ax.set_ylabel("state")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10)
        ax.grid(alpha=0.3)
        self.figure.subplots_adjust(left=0.09, right=0.75, bottom=0.14, top=0.88)
        self.artists["axes"] = ax
        self.artists["title"] = ax.title
        self._finish(W.HBox([c["n"], c["keep"], c["w"]]),
                     "Counting with one unit: LSTM cell state against GRU state")

    def inputs(self) -> np.ndarray:
        return counting_string(int(self.values()["n"]))

    def compute(self) -> dict[str, Any]:
        v = self.values()
        n = int(v["n"])
        x = self.inputs()
        _, lcache = lstm_forward(x, counting_lstm(v["keep"], v["w"]))
        h, _ = gru_forward(x, counting_gru(v["keep"], v["w"]))
        c_seq, h_seq = lcache.c[0, :, 0], h[0, :, 0]
        title = (f"n = {n}: LSTM c peaks at {c_seq[n - 1]:+.2f}, ends at "
                 f"{c_seq[-1]:+.2f}; GRU h peaks at {h_seq[n - 1]:+.2f}")
        return {"n": n, "c": c_seq, "h": h_seq, "c_peak": float(c_seq[n - 1]),
                "h_peak": float(h_seq[n - 1]), "c_end": float(c_seq[-1]),
                "title": title}

    def draw(self, state: Mapping[str, Any]) -> None:
        n = state["n"]
        t = np.arange(2 * n)
        self.artists["c"].set_data(t, state["c"])
        self.artists["h"].set_data(t, state["h"])
        self.artists["turn"].set_xdata([n - 0.5, n - 0.5])
        top = max(1.1, float(np.max(np.abs(state["c"]))) * 1.1)
        self.artists["axes"].set_ylim(-top, top)
        self.artists["title"].set_text(state["title"])


def counting_explorer(max_n: int = 40) -> CountingExplorer:
    """Sliders: ``n`` (the string aⁿbⁿ), ``keep`` (forget-gate bias of the
    LSTM and update-gate bias of the GRU: how much of the state each step
    keeps) and ``w`` (how much an ``a`` adds and a ``b`` subtracts)."""
    return CountingExplorer(max_n=max_n)
