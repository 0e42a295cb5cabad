"""Notebook 04: the words at which one unit writes or keeps most.

:func:`unit_words_explorer` ranks the words by a unit's update gate over
many reviews (:func:`cached_gate_statistics`, from
:func:`gru_edu.gates.gate_statistics`) and draws them as two bar charts.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from ..imdb.bundle import TrainedModel

from .base import GATE_COLOURS, Explorer, canvas_png


def draw_unit_words(fig: Figure, top_k: int) -> dict[str, Any]:
    """Two bar panels: the words at which one unit writes / keeps most."""
    ax_write, ax_keep = fig.subplots(1, 2)
    artists: dict[str, Any] = {"axes": (ax_write, ax_keep)}
    for name, ax, colour in (("writes", ax_write, GATE_COLOURS["h_tilde"]),
                             ("keeps", ax_keep, GATE_COLOURS["z"])):
        artists[f"{name}_bars"] = ax.barh(np.arange(top_k), np.zeros(top_k),
                                          height=0.7, color=colour)
        artists[f"{name}_labels"] = [
            ax.text(0.0, i, "", va="center", ha="left", fontsize=10)
            for i in range(top_k)
        ]
        # the words as plain texts, not tick labels: much faster to redraw
        artists[f"{name}_words"] = [
            ax.text(-0.02, i, "", va="center", ha="right", fontsize=10,
                    transform=ax.get_yaxis_transform())
            for i in range(top_k)
        ]
        ax.set_ylim(top_k - 0.5, -0.5)
        ax.set_yticks([])
        ax.set_xticks([])  # the values are written at the bars
        artists[f"{name}_title"] = ax.set_title("", fontsize=10)
    artists["header"] = fig.suptitle("", fontsize=10)
    fig.subplots_adjust(left=0.14, right=0.97, top=0.8, bottom=0.1,
                        wspace=0.5)
    return artists


def update_unit_words(artists: Mapping[str, Any],
                      writes: Sequence[tuple[Any, float]],
                      keeps: Sequence[tuple[Any, float]],
                      xlabel: str, titles: tuple[str, str],
                      header: str, fmt: str = "{:d}") -> None:
    """Show new top-k lists ``[(word, value), ...]`` in :func:`draw_unit_words`."""
    for name, items, title in (("writes", writes, titles[0]),
                               ("keeps", keeps, titles[1])):
        ax = artists["axes"][0 if name == "writes" else 1]
        bars = artists[f"{name}_bars"]
        labels = artists[f"{name}_labels"]
        top = max([float(v) for _, v in items] + [1e-9])
        for i, (bar, text, word_text) in enumerate(
                zip(bars, labels, artists[f"{name}_words"])):
            if i < len(items):
                word, v = items[i]
                bar.set_width(float(v))
                text.set_x(float(v) + 0.02 * top)
                text.set_text(fmt.format(v))
                word_text.set_text(str(word))
            else:
                bar.set_width(0.0)
                text.set_text("")
                word_text.set_text("")
        ax.set_xlim(0, top * 1.22)
        ax.set_xlabel(xlabel, fontsize=10)
        artists[f"{name}_title"].set_text(title)
    artists["header"].set_text(header)


#: gate statistics already computed, per model: {(data digest, top_k): stats}
_STATS_CACHE: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def cached_gate_statistics(trained: TrainedModel, x: np.ndarray, top_k: int = 10,
                           batch_size: int = 64,
                           progress: bool = False) -> list[Any]:
    """:func:`gru_edu.gates.gate_statistics`, computed once per model and data."""
    from gru_edu import gates

    x = np.ascontiguousarray(x)
    digest = hashlib.blake2b(x.tobytes(), digest_size=16).hexdigest()
    key = (digest, x.shape, int(top_k))
    per_model = _STATS_CACHE.setdefault(trained.model, {})
    if key not in per_model:
        per_model[key] = gates.gate_statistics(
            trained, x, batch_size=batch_size, top_k=top_k, progress=progress)
    return per_model[key]


#: What the unit-words explorer ranks by: label -> key.
WORD_RANKINGS = (
    ("reviews in which z is lowest / highest at the word", "count"),
    ("mean z at the word", "mean"),
)


class UnitWordsExplorer(Explorer):
    """The words at which one unit writes (low z) or keeps (high z) most, over
    many reviews; see :func:`unit_words_explorer`."""

    dpi = 72

    def _release(self) -> None:
        """Forget the statistics (also the shared cache's) and the model."""
        if self.trained is not None:
            _STATS_CACHE.pop(self.trained.model, None)
        self.stats, self.trained = None, None

    def __init__(self, trained: TrainedModel, x: np.ndarray, top_k: int = 10,
                 min_count: int = 10, stats: list[Any] | None = None,
                 batch_size: int = 64, progress: bool = False) -> None:
        super().__init__()
        self.trained = trained
        self.top_k = int(top_k)
        self.min_count = int(min_count)
        self.stats = stats if stats is not None else cached_gate_statistics(
            trained, x, top_k=top_k, batch_size=batch_size, progress=progress)
        first = self.stats[0]
        c = self.controls
        wide = {"description_width": "5em"}
        c["unit"] = W.IntSlider(value=0, min=0, max=first.units - 1,
                                description="unit", continuous_update=True,
                                style=wide, layout=W.Layout(width="24em"))
        c["rank"] = W.Dropdown(options=list(WORD_RANKINGS), value="count",
                               description="rank by", style=wide,
                               layout=W.Layout(width="28em"))
        row = [c["unit"], c["rank"]]
        if len(self.stats) > 1:
            c["layer"] = W.Dropdown(
                options=[(f"{s.layer_name} ({s.direction})", k)
                         for k, s in enumerate(self.stats)],
                value=0, description="layer", style=wide)
            row.append(c["layer"])
        self.figure = self._figure_with_canvas((9.0, 3.4))
        self.artists = draw_unit_words(self.figure, self.top_k)
        self._finish(W.HBox(row), f"Across {first.n_reviews} reviews: where "
                                  "does a unit write, where does it keep?")

    def compute(self) -> dict[str, Any]:
        c = self.controls
        st = self.stats[c["layer"].value if "layer" in c else 0]
        unit = min(int(c["unit"].value), st.units - 1)
        rank = c["rank"].value
        if rank == "count":
            if st.writes_at is None:
                raise ValueError("word statistics need a model that reads "
                                 "word ids")
            writes = list(st.writes_at[unit][: self.top_k])
            keeps = list(st.keeps_at[unit][: self.top_k])
        elif rank == "mean":
            low = st.mean_z_by_word(unit, k=self.top_k,
                                    min_count=self.min_count, lowest=True)
            high = st.mean_z_by_word(unit, k=self.top_k,
                                     min_count=self.min_count, lowest=False)
            writes = [(w, m) for w, m, _ in low]
            keeps = [(w, m) for w, m, _ in high]
        else:
            raise ValueError(f"unknown ranking {rank!r}")
        return {"stats": st, "unit": unit, "rank": rank, "writes": writes,
                "keeps": keeps, "mean_z": float(st.mean["z"][unit]),
                "frac_write": float(st.frac_write[unit])}

    def draw(self, state: Mapping[str, Any]) -> None:
        st, unit = state["stats"], state["unit"]
        header = (f"unit {unit} of {st.layer_name}: mean z = "
                  f"{state['mean_z']:.2f}, z < 0.5 at "
                  f"{100 * state['frac_write']:.0f}% of {st.n_steps:,} steps "
                  f"in {st.n_reviews:,} reviews")
        if state["rank"] == "count":
            update_unit_words(
                self.artists, state["writes"], state["keeps"],
                "reviews (count)",
                ("writes most here (lowest z in the review)",
                 "keeps most here (highest z in the review)"), header)
        else:
            update_unit_words(
                self.artists, state["writes"], state["keeps"],
                f"mean z (words read >= {self.min_count} times)",
                ("lowest mean z: the unit writes", "highest mean z: the "
                 "unit keeps"), header, fmt="{:.2f}")

    def _render(self) -> None:
        if self.live:
            self.figure.canvas.draw_idle()
        else:
            self.figure.canvas.draw()
            self.view.value = canvas_png(self.figure.canvas)

    def __repr__(self) -> str:
        s = self.state
        return (f"UnitWordsExplorer(unit={s.get('unit')}, "
                f"rank={s.get('rank')!r})")


def unit_words_explorer(trained: TrainedModel, x: np.ndarray, top_k: int = 10,
                        min_count: int = 10, stats: list[Any] | None = None,
                        batch_size: int = 64,
                        progress: bool = False) -> UnitWordsExplorer:
    """For a chosen unit, the words at which it writes or keeps most.

    Over the reviews ``x`` (padded word ids) :func:`gru_edu.gates.
    gate_statistics` finds, in every review, the step at which each unit's
    ``z`` is lowest (the unit *writes* its candidate) and
    highest (the unit *keeps* its memory), and counts the words
    read there. Computed once per model and data (cached; or pass ``stats``).
    Controls: ``unit``, ``rank`` (``"count"``: those counts; ``"mean"``:
    the words with the lowest / highest average ``z``, read at least
    ``min_count`` times) and ``layer`` (several GRU layers only).
    ``state["writes"]`` / ``state["keeps"]`` are the plotted
    ``(word, value)`` lists.
    """
    return UnitWordsExplorer(trained, x, top_k=top_k, min_count=min_count,
                             stats=stats, batch_size=batch_size,
                             progress=progress)
