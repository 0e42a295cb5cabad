"""Training under tf.distribute: the plan, and a mirrored run on a split CPU.

TensorFlow fixes its logical devices when it first initialises them, so the
mirrored run happens in a fresh process (``python -m gru_edu train --scratch
--cpu-devices 2``); this process then opens the bundle it saved as notebook
04 does and replays its gates.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gru_edu.imdb.distribute import TrainingPlan, training_plan

ROOT = Path(__file__).resolve().parent.parent
PER_REPLICA = 32


def test_one_device_trains_without_a_strategy():
    plan = training_plan("auto")
    assert (plan.name, plan.strategy, plan.replicas) == ("none", None, 1)
    assert plan.global_batch(128) == 128 and plan.jit_compile is None
    assert plan.describe(128).startswith("one device")


def test_unknown_strategy_and_bad_tf_config_are_plain_errors(monkeypatch):
    with pytest.raises(ValueError, match="strategy must be one of"):
        training_plan("mirroerd")
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON"):
        training_plan("auto")


def test_plan_scales_the_batch_and_turns_xla_off_only_on_cpu_replicas():
    cpus = TrainingPlan("mirrored", object(), 2, ["/device:CPU:0", "/device:CPU:1"])
    gpus = TrainingPlan("mirrored", object(), 4, [f"/device:GPU:{i}" for i in range(4)])
    assert cpus.global_batch(32) == 64 and gpus.global_batch(32) == 128
    assert cpus.jit_compile is False and gpus.jit_compile is None
    assert "global batch 128 = 32 per replica × 4" in gpus.describe(32)
    assert gpus.meta(32)["global_batch_size"] == 128


def test_split_cpu_after_start_says_restart():
    import tensorflow as tf

    from gru_edu.imdb.distribute import split_cpu

    tf.zeros(1)  # devices initialised
    with pytest.raises(RuntimeError, match="before TensorFlow initialises"):
        split_cpu(2)


@pytest.fixture(scope="module")
def mirrored_run(tmp_path_factory):
    from gru_edu import config

    out = tmp_path_factory.mktemp("mirrored") / "imdb_gru"
    # Its own artifacts folder, but the run's IMDB data cache (linked, as in
    # test_otter.py): the tokenized archive is the same, and the fresh
    # process need not read the archive again (benchmarks/logs/suite_time.md).
    art = out.parent / "artifacts"
    art.mkdir()
    shared = config.artifacts_dir() / "cache"
    shared.mkdir(parents=True, exist_ok=True)
    (art / "cache").symlink_to(shared, target_is_directory=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2",
               GRU_EDU_ARTIFACTS=str(art))
    env.pop("TF_CONFIG", None)
    cmd = [sys.executable, "-m", "gru_edu", "train", "--scratch", "--cpu-devices", "2",
           "--train-size", "1500", "--val-size", "500", "--test-size", "500",
           "--epochs", "3", "--batch-size", str(PER_REPLICA), "--quiet", "--out", str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return out, proc.stdout


def test_mirrored_run_on_two_cpu_devices_learns(mirrored_run):
    out, stdout = mirrored_run
    meta = json.loads((out / "meta.json").read_text())
    assert meta["strategy"] == "mirrored" and meta["replicas"] == 2
    assert meta["replica_devices"] == ["/device:CPU:0", "/device:CPU:1"]
    assert meta["global_batch_size"] == 2 * PER_REPLICA == 2 * meta["per_replica_batch_size"]
    assert f"global batch {2 * PER_REPLICA} = {PER_REPLICA} per replica × 2" in stdout
    # 500 balanced validation reviews: chance is 0.5 (± 0.045 at 2 sd)
    assert meta["val_accuracy"] > 0.65, meta["history"]


def test_notebook_04_opens_the_mirrored_bundle(mirrored_run):
    from gru_edu import gates
    from gru_edu.imdb import TrainedModel

    out, _ = mirrored_run
    trained = TrainedModel.load(out)
    p = trained.predict_text(["a wonderful , moving film", "dull , boring and awful"])
    assert p.shape[0] == 2 and np.all((p >= 0) & (p <= 1))
    tt = gates.trace_text(trained, "the acting was not good at all")
    assert tt.traces and max(t.max_abs_error for t in tt.traces) <= gates.TOLERANCE
    assert abs(float(np.ravel(tt.prediction)[0])
               - float(trained.model.predict(tt.ids[None, :], verbose=0).ravel()[0])) < 1e-4
