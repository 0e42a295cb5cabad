"""Gate saturation (Karpathy, Johnson & Fei-Fei 2015, "Visualizing and
Understanding Recurrent Networks", §4.2).

A gate is *left-saturated* at a step when its value is below ``low``
(0.1) and *right-saturated* above ``high`` (0.9). :func:`gate_saturation`
counts, per unit, the fraction of (unmasked) steps at which the update gate
``z`` and the reset gate ``r`` are left- and right-saturated, over many
reviews. In a Keras GRU ``h_t = z * h_{t-1} + (1 - z) * h̃_t``: a unit
whose ``z`` sits right-saturated *keeps* its state (a counter, an
integrator); one whose ``z`` sits left-saturated *writes* the candidate at
every word (a reactor, with no memory). :func:`saturation_kind` names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .batches import sequences, traced_batches
from .keras_plumbing import keras_model
from .replay import TOLERANCE

__all__ = [
    "SATURATION_KINDS",
    "Saturation",
    "gate_saturation",
    "saturation_kind",
]

#: The names :func:`saturation_kind` gives a unit's update gate.
SATURATION_KINDS = {
    "keep": "always keep: z > 0.9 at most steps (memory, a counter)",
    "write": "always write: z < 0.1 at most steps (a reactor, no memory)",
    "switch": "switch: saturated at most steps, both ways",
    "free": "unsaturated: z mostly between 0.1 and 0.9",
}


@dataclass(repr=False)
class Saturation:
    """Saturation fractions of one GRU layer (one direction).

    ``left[g]`` and ``right[g]`` are ``(units,)`` fractions of the
    ``n_steps`` unmasked steps at which gate ``g`` (``"z"`` or ``"r"``) was
    ``< low`` and ``> high``.
    """

    layer_name: str
    direction: str
    left: dict[str, np.ndarray]
    right: dict[str, np.ndarray]
    n_steps: int
    n_reviews: int
    low: float
    high: float

    @property
    def units(self) -> int:
        return len(self.left["z"])

    def kinds(self, gate: str = "z", most: float = 0.5) -> np.ndarray:
        """:func:`saturation_kind` of every unit, ``(units,)`` strings."""
        return saturation_kind(self.left[gate], self.right[gate], most)

    def units_of(self, kind: str, gate: str = "z", most: float = 0.5) -> np.ndarray:
        """The units of one kind (see :data:`SATURATION_KINDS`)."""
        return np.flatnonzero(self.kinds(gate, most) == kind)

    def __repr__(self) -> str:
        counts = {k: int((self.kinds() == k).sum()) for k in SATURATION_KINDS}
        return (f"Saturation({self.layer_name!r}, {self.direction}, units="
                f"{self.units}, steps={self.n_steps}, z kinds={counts})")


def saturation_kind(left: np.ndarray, right: np.ndarray,
                    most: float = 0.5) -> np.ndarray:
    """Name each unit by where its gate sits (see :data:`SATURATION_KINDS`).

    ``"keep"``: right-saturated at more than ``most`` of the steps;
    ``"write"``: left-saturated at more than ``most``; ``"switch"``:
    saturated (either way) at more than ``most``, neither way alone;
    ``"free"``: the rest.
    """
    left, right = np.asarray(left), np.asarray(right)
    out = np.full(left.shape, "free", dtype=object)
    out[left + right > most] = "switch"
    out[left > most] = "write"
    out[right > most] = "keep"
    return out.astype(str)


def gate_saturation(model: Any, inputs: Any, *, low: float = 0.1,
                    high: float = 0.9, batch_size: int = 64,
                    tolerance: float = TOLERANCE,
                    progress: bool = False) -> list[Saturation]:
    """Left/right saturation fractions of ``z`` and ``r``, per unit.

    The sequences are traced ``batch_size`` at a time with
    :func:`gru_edu.gates.trace`'s replay (each batch checked against Keras);
    only the unmasked steps count. Returns one :class:`Saturation` per GRU
    layer and direction, in the order of :func:`gru_edu.gates.trace`.
    """
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(f"need 0 <= low < high <= 1, got low={low}, high={high}")
    model = keras_model(model)
    data = sequences(model, inputs, "gate_saturation")
    sums: list[dict[str, np.ndarray]] | None = None
    names: list[tuple[str, str]] = []
    steps = reviews = 0
    for _, traces in traced_batches(model, data, batch_size=batch_size, tolerance=tolerance,
                                    progress=progress, desc="gate saturation"):
        if sums is None:
            sums = [{k: np.zeros(t.units) for k in ("zl", "zr", "rl", "rr")}
                    for t in traces]
            names = [(t.layer_name, t.direction) for t in traces]
        mask = traces[0].mask
        steps += int(mask.sum())
        reviews += int(mask.any(axis=1).sum())
        for acc, t in zip(sums, traces):
            z, r = t.z[mask], t.r[mask]
            acc["zl"] += (z < low).sum(axis=0)
            acc["zr"] += (z > high).sum(axis=0)
            acc["rl"] += (r < low).sum(axis=0)
            acc["rr"] += (r > high).sum(axis=0)
    assert sums is not None
    n = max(steps, 1)
    return [
        Saturation(name, direction,
                   left={"z": a["zl"] / n, "r": a["rl"] / n},
                   right={"z": a["zr"] / n, "r": a["rr"] / n},
                   n_steps=steps, n_reviews=reviews, low=low, high=high)
        for (name, direction), a in zip(names, sums)
    ]
