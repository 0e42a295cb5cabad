"""Train the PyTorch GRU that notebook 02 (section 11) ports into Keras, and save its
state_dict as ``state_dict.npz`` (plain NumPy arrays) next to this file.

The model is ``torch.nn.GRU(2, 1)`` with a ``torch.nn.Linear(1, 3)`` readout
at every step, trained on notebook 02's segment-sum task
(:func:`gru_edu.tasks.segments.segment_sum_task`) with Adam (learning rate 1e-2,
gradient norm clipped at 1, 1,500 steps of 32 fresh sequences of 40 steps,
seed 0), in float32 as PyTorch trains by default. It needs PyTorch, which the
collection does not install; in a separate environment, from the repository
root::

    python3 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install numpy torch
    PYTHONPATH=. /tmp/torchvenv/bin/python \\
        gru_edu/shipped/torch_segments_gru/train_torch_gru.py

It writes ``state_dict.npz`` (keys ``gru.weight_ih_l0`` ... and
``readout.weight``, ``readout.bias``) and ``meta.json`` (the recipe, the
PyTorch version and the held-out accuracy).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from gru_edu.tasks.segments import segment_sum_task

HERE = Path(__file__).resolve().parent
RECIPE = dict(units=1, steps=1500, batch=32, T=40, lr=1e-2, clip_norm=1.0, seed=0)


class SegmentGRU(torch.nn.Module):
    def __init__(self, units: int) -> None:
        super().__init__()
        self.gru = torch.nn.GRU(2, units, batch_first=True)
        self.readout = torch.nn.Linear(units, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(x)
        return self.readout(h)


def main() -> None:
    torch.manual_seed(RECIPE["seed"])
    torch.set_num_threads(1)
    model = SegmentGRU(RECIPE["units"])
    opt = torch.optim.Adam(model.parameters(), lr=RECIPE["lr"])
    rng = np.random.default_rng([RECIPE["seed"], 2])
    for step in range(RECIPE["steps"]):
        x, y = segment_sum_task(RECIPE["batch"], RECIPE["T"], seed=rng)
        logits = model(torch.from_numpy(x).float())
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, 3), torch.from_numpy(y).reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), RECIPE["clip_norm"])
        opt.step()
        if step % 250 == 0:
            print(f"step {step:5d}  loss {loss.item():.3f}", file=sys.stderr)
    x, y = segment_sum_task(2000, RECIPE["T"], seed=123)
    with torch.no_grad():
        pred = model(torch.from_numpy(x).float()).argmax(-1).numpy()
    accuracy = float(np.mean(pred == y))
    sd = {k: v.numpy() for k, v in model.state_dict().items()}
    np.savez(HERE / "state_dict.npz", **sd)
    meta = dict(recipe=RECIPE, torch=torch.__version__,
                held_out_accuracy=round(accuracy, 4),
                held_out="segment_sum_task(2000, 40, seed=123)",
                shapes={k: list(v.shape) for k, v in sd.items()})
    (HERE / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
