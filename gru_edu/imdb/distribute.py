"""Training on more than one device with ``tf.distribute``.

:func:`training_plan` picks how :func:`gru_edu.imdb.train_classifier`
trains:

* one device (a laptop, one GPU): no strategy, TensorFlow's default;
* several GPUs on one machine: ``tf.distribute.MirroredStrategy`` — each GPU
  holds a copy of the model, every batch is split between them and the
  gradients are summed (all-reduce) before each update;
* several CPU *logical* devices (only when you split the CPU on purpose with
  :func:`split_cpu`, which is how the tests check the mirrored path on a
  machine without GPUs): ``MirroredStrategy`` over them;
* several machines: set ``TF_CONFIG`` on each (the cluster and this worker's
  index, see the TensorFlow guide "Multi-worker training with Keras") and
  ``tf.distribute.MultiWorkerMirroredStrategy`` is used; the same command
  runs on every worker, and worker 0 (the chief) saves the bundle.

Under a strategy each replica gets ``batch_size`` reviews per step, so the
**global** batch is ``batch_size × replicas`` — the learning rate schedule
counts steps of the global batch. The plan says so when training starts and
in the bundle's ``meta.json`` (``replicas``, ``strategy``,
``global_batch_size``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from gru_edu import config

__all__ = ["TrainingPlan", "training_plan", "split_cpu", "STRATEGY_CHOICES"]

#: What ``strategy=`` / ``--strategy`` accepts.
STRATEGY_CHOICES = ("auto", "none", "mirrored", "multi_worker")


@dataclass
class TrainingPlan:
    """The strategy (or none), its replicas and the batch sizes it implies."""

    name: str  # "none", "mirrored" or "multi_worker"
    strategy: Any  # a tf.distribute.Strategy, or None
    replicas: int
    devices: list[str] = field(default_factory=list)
    is_chief: bool = True

    def scope(self) -> contextlib.AbstractContextManager:
        """Build and compile the model in here (variables mirrored per replica)."""
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()

    @property
    def jit_compile(self) -> bool | None:
        """XLA for ``build_classifier``: off when mirrored over CPU devices.

        XLA compiles a step for one device; mirrored variables on other CPU
        devices make it fail ("Trying to access resource … located in device
        CPU:1 from device CPU:0"). None leaves the choice to
        :func:`gru_edu.imdb.xla_on_cpu` (one device, or GPUs: Keras decides).
        """
        if self.replicas > 1 and all("CPU" in d.upper() for d in self.devices):
            return False
        return None

    def global_batch(self, per_replica: int) -> int:
        """The batch one training step consumes across all replicas."""
        return per_replica * self.replicas

    def describe(self, per_replica: int) -> str:
        """One line for the log: strategy, replicas, devices, batch sizes."""
        if self.strategy is None:
            return f"one device ({self.devices[0] if self.devices else '?'}), batch {per_replica}"
        return (f"{self.name} strategy, {self.replicas} replicas "
                f"({', '.join(self.devices)}): global batch {self.global_batch(per_replica)} "
                f"= {per_replica} per replica × {self.replicas}")

    def meta(self, per_replica: int) -> dict[str, Any]:
        """What goes into the bundle's ``meta.json``."""
        return {"strategy": self.name, "replicas": self.replicas,
                "replica_devices": self.devices,
                "per_replica_batch_size": per_replica,
                "global_batch_size": self.global_batch(per_replica)}


def split_cpu(n: int) -> None:
    """Split the CPU into ``n`` logical devices (for trying the mirrored path).

    Must run before TensorFlow initialises its devices (before the first
    op); afterwards TensorFlow refuses and this raises a ``RuntimeError``
    that says so. On a CPU the split brings no speed — the replicas share the
    same cores — it only exercises the code that several GPUs would run.
    """
    import tensorflow as tf

    if n < 1:
        raise ValueError(f"split_cpu needs n >= 1, got {n}")
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(n)])
    except RuntimeError as err:
        raise RuntimeError(
            "split_cpu must run before TensorFlow initialises its devices "
            "(before the first TensorFlow op or model); restart the kernel "
            f"and call it first ({err})") from None


def _workers() -> int:
    cluster = config.tf_cluster()
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))


def training_plan(strategy: str | Any = "auto") -> TrainingPlan:
    """How to train here: ``"auto"`` (default), ``"none"``, ``"mirrored"``,
    ``"multi_worker"``, or a ready ``tf.distribute.Strategy``.

    ``"auto"``: the multi-worker strategy when ``TF_CONFIG`` names more than
    one worker; else mirrored over the GPUs when there are several; else
    mirrored over the CPU's logical devices when it was split into several
    (:func:`split_cpu`); else no strategy.
    """
    import tensorflow as tf

    if strategy is not None and not isinstance(strategy, str):
        return TrainingPlan(type(strategy).__name__, strategy,
                            strategy.num_replicas_in_sync,
                            list(getattr(strategy.extended, "worker_devices", [])))
    if strategy not in STRATEGY_CHOICES:
        raise ValueError(f"strategy must be one of {STRATEGY_CHOICES} or a "
                         f"tf.distribute.Strategy, got {strategy!r}")
    if strategy == "multi_worker" or (strategy == "auto" and _workers() > 1):
        mw = tf.distribute.MultiWorkerMirroredStrategy()
        resolver = mw.cluster_resolver
        chief = resolver.task_type in (None, "chief") or (
            resolver.task_type == "worker" and resolver.task_id == 0
            and "chief" not in resolver.cluster_spec().as_dict())
        return TrainingPlan("multi_worker", mw, mw.num_replicas_in_sync,
                            list(mw.extended.worker_devices), is_chief=chief)
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    devices = gpus if gpus else cpus
    if strategy == "none" or (strategy == "auto" and len(devices) < 2):
        return TrainingPlan("none", None, 1, devices[:1])
    mirrored = tf.distribute.MirroredStrategy(devices)
    return TrainingPlan("mirrored", mirrored, mirrored.num_replicas_in_sync, devices)
