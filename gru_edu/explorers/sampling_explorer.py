"""Notebook 07: writing with the language model, with a prefix and two sliders.

:func:`plot_next_words` draws the next-word distribution after a prefix as
bars: the model's probabilities and, beside them, what temperature and top-k
make of them. :func:`sampling_explorer` puts it next to a sampled
continuation: type a prefix, move temperature and top-k, and the bars and
the text follow. Sampling is seeded, so a saved notebook shows the same text.
"""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Mapping
from typing import Any

import ipywidgets as W
import numpy as np

from ..imdb.vocab import OOV
from ..lm.sampling import generate, reshape
from .base import OKABE_ITO, Explorer, slider

__all__ = ["plot_next_words", "SamplingExplorer", "sampling_explorer", "SAMPLE_CLASS"]

#: CSS class of the explorer's sampled text (browser tests read it).
SAMPLE_CLASS = "gru-edu-sample"
#: Words shown as bars.
SHOWN = 12


def plot_next_words(ax: Any, vocab: Any, probs: np.ndarray, shaped: np.ndarray,
                    prefix: str, shown: int = SHOWN) -> None:
    """Horizontal bars of the ``shown`` most likely next words: the model's
    probability (``probs``) and after temperature and top-k (``shaped``)."""
    top = np.argsort(-probs)[:shown]
    y = np.arange(len(top))[::-1]
    ax.barh(y + 0.2, probs[top], height=0.4, color=OKABE_ITO[5], label="model")
    ax.barh(y - 0.2, shaped[top], height=0.4, color=OKABE_ITO[1],
            label="after temperature and top-k")
    ax.set_yticks(y)
    ax.set_yticklabels([vocab.id_to_word(int(i)) for i in top], fontsize=10)
    ax.set_xlabel("probability of the next word", fontsize=10)
    ax.set_ylabel("next word", fontsize=10)
    ax.set_xlim(0, max(1e-3, float(max(probs[top].max(), shaped[top].max()))) * 1.15)
    ax.legend(fontsize=10, loc="lower right", frameon=False)
    ax.set_title(f"After “{textwrap.shorten(prefix, 40) or '(start of a review)'}”",
                 fontsize=10)
    ax.grid(axis="x", alpha=0.3)


class SamplingExplorer(Explorer):
    """Prefix box, temperature and top-k sliders, seed; see :func:`sampling_explorer`."""

    def __init__(self, lm: Any, prefix: str = "this movie was", temperature: float = 0.8,
                 top_k: int = 40, seed: int = 0, words: int = 30,
                 figsize: tuple[float, float] = (11.0, 4.6)) -> None:
        super().__init__()
        self.lm = lm
        self.words = words
        self.controls["prefix"] = W.Text(value=prefix, description="prefix",
                                         continuous_update=False,
                                         layout=W.Layout(width="30em"))
        self.controls["temperature"] = slider(temperature, 0.0, 2.0, "temperature")
        self.controls["top_k"] = W.IntSlider(value=top_k, min=1, max=200, description="top-k",
                                             style={"description_width": "5.5em"},
                                             layout=W.Layout(width="19em"))
        self.controls["seed"] = W.BoundedIntText(value=seed, min=0, max=10_000,
                                                 description="seed",
                                                 layout=W.Layout(width="10em"))
        self.text = W.HTML().add_class(SAMPLE_CLASS)
        self._drawing = threading.RLock()
        self.figure = self._figure_with_canvas(figsize)
        self.bars, self.words_ax = self.figure.subplots(
            1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        row = W.HBox([self.controls["temperature"], self.controls["top_k"],
                      self.controls["seed"]])
        self._finish(W.VBox([self.controls["prefix"], row, self.text]),
                     "Sampling from the GRU language model: type a prefix, move the sliders")

    def compute(self) -> dict[str, Any]:
        v = self.values()
        probs = self.lm.next_word_probs(v["prefix"])
        shaped = reshape(probs, v["temperature"], v["top_k"], banned=(OOV,))
        sample = generate(self.lm, v["prefix"], self.words, v["temperature"], v["top_k"],
                          seed=int(v["seed"]))
        return {**v, "probs": probs, "shaped": shaped, "sample": sample,
                "top_word": self.lm.vocab.id_to_word(int(np.argmax(probs))),
                "entropy_bits": float(-(probs[probs > 0] * np.log2(probs[probs > 0])).sum())}

    def update(self, change: Any = None) -> None:
        """Recompute and redraw, one update at a time: a slider dragged in the
        browser sends values faster than a figure is drawn, and two drawings of
        one figure at once leave it blank."""
        with self._drawing:
            super().update(change)

    def draw(self, state: Mapping[str, Any]) -> None:
        bars, words = self.bars, self.words_ax
        bars.clear()
        words.clear()
        plot_next_words(bars, self.lm.vocab, state["probs"], state["shaped"],
                        state["prefix"])
        words.axis("off")
        sample = state["sample"]
        body = textwrap.fill(" ".join(sample.prefix) + " ▸ " + " ".join(sample.words), 48)
        words.set_title(f"Sampled text (T = {state['temperature']:.2f}, "
                        f"top-k = {state['top_k']}, seed {state['seed']})", fontsize=10)
        words.text(0.0, 1.0, body, va="top", ha="left", fontsize=11, wrap=True,
                   transform=words.transAxes)
        self.figure.tight_layout()
        self.text.value = (f"<b>{' '.join(sample.prefix)}</b> {' '.join(sample.words)}"
                           f"<br><small>most likely next word: <b>{state['top_word']}</b>; "
                           f"uncertainty {state['entropy_bits']:.1f} bits</small>")

    def _release(self) -> None:
        self.lm = None


def sampling_explorer(lm: Any, prefix: str = "this movie was", temperature: float = 0.8,
                      top_k: int = 40, seed: int = 0) -> SamplingExplorer:
    """The next-word bars and a sampled continuation of ``prefix``, with sliders.

    ``lm``: a :class:`gru_edu.lm.bundle.LanguageModel`. Temperature 0 is
    greedy (the most likely word every time); ``<unk>`` is never written.
    ``explorer.state`` holds the distribution, the reshaped one and the
    :class:`gru_edu.lm.sampling.Sample`.
    """
    return SamplingExplorer(lm, prefix, temperature, top_k, seed)
