"""The one command line of gru-edu: ``python -m gru_edu COMMAND`` (also ``gru-edu COMMAND``).

Learners and teachers::

    python -m gru_edu train                       # the fixed GRU, full data
    python -m gru_edu train --model lstm --epochs 3 --out artifacts/imdb_lstm
    GRU_EDU_FAST=1 python -m gru_edu train        # the small CI setting
    python -m gru_edu train --cpu-devices 2       # try tf.distribute on a CPU
    python -m gru_edu pretrain                    # the GRU language model (notebook 07)
    python -m gru_edu hub-link --hub https://hub.example.edu \
        --notebook notebooks/04_gate_explorer.ipynb   # an nbgitpuller link
    python -m gru_edu render --out site/ --fast   # the collection as static HTML
    python -m gru_edu fetch-data                  # archive + cache (image builds)

Teachers (the course, in order: docs/teachers_guide.md)::

    python -m gru_edu list                        # assignments, questions, points
    python -m gru_edu generate                    # student notebooks + autograders
    python -m gru_edu release --out ../students --student-repo URL
    python -m gru_edu grade a1_gru_from_scratch downloads/a1/ --out grades/a1
    python -m gru_edu autograder-env ZIP --package SPEC   # for Gradescope

Several GPUs (or ``TF_CONFIG`` naming several workers) are used through
``tf.distribute`` by themselves: see :mod:`gru_edu.imdb.distribute`.

The saved folder (``model.keras`` + vocabulary + settings) opens anywhere with
``gru_edu.imdb.TrainedModel.load(path)``: train on a GPU box (Keras uses
cuDNN by itself), then copy the folder to a laptop and explore its gates.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from . import config  # noqa: E402
from .imdb.distribute import STRATEGY_CHOICES  # noqa: E402
from .imdb.training import TrainSettings  # noqa: E402


class _DefaultsFormatter(argparse.RawDescriptionHelpFormatter):
    """Help that shows every option's default (unless the help already says it)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        said = "default" in text.replace("%(default)s", "")
        if default not in (None, False, argparse.SUPPRESS) and not said and action.option_strings:
            text += " (default: %(default)s)"
        return text


def _add(sub: argparse._SubParsersAction, name: str, **kw: object) -> argparse.ArgumentParser:
    return sub.add_parser(name, formatter_class=_DefaultsFormatter, **kw)


def _train_parser(sub: argparse._SubParsersAction) -> None:
    defaults = TrainSettings.default()
    train = _add(sub, "train", help="train an IMDB sentiment classifier and save it")
    train.add_argument("--model", choices=["gru", "lstm", "simple_rnn"], default="gru",
                       help="the recurrent layer")
    train.add_argument("--epochs", type=int, default=defaults.epochs, help="training epochs")
    train.add_argument("--units", type=int, default=defaults.units, help="recurrent units")
    train.add_argument("--embed-dim", type=int, default=defaults.embed_dim,
                       help="embedding size")
    train.add_argument("--num-words", type=int, default=defaults.num_words,
                       help="vocabulary size")
    train.add_argument("--maxlen", type=int, default=defaults.maxlen,
                       help="words per review (longer ones are cut)")
    train.add_argument("--batch-size", type=int, default=defaults.batch_size,
                       help="batch size per replica")
    train.add_argument("--dropout", type=float, default=defaults.dropout, help="dropout rate")
    train.add_argument("--learning-rate", type=float, default=defaults.learning_rate,
                       help="start of the cosine decay to 0")
    train.add_argument("--no-polarity", action="store_true",
                       help="leave out the fixed word-polarity feature")
    train.add_argument("--train-size", type=int, default=defaults.train_size,
                       help="use the first N reviews of the training part "
                            "(default: all 22,500 left after validation)")
    train.add_argument("--val-size", type=int, default=defaults.val_size,
                       help="validation reviews held out of the training reviews "
                            "(label-balanced, fixed seed; default %(default)s)")
    train.add_argument("--test-size", type=int, default=defaults.test_size,
                       help="evaluate on the first N test reviews (default: all)")
    train.add_argument("--seed", type=int, default=defaults.seed, help="random seed")
    train.add_argument("--archive", type=Path, default=None,
                       help="local aclImdb_v1.tar.gz (default: $GRU_EDU_IMDB_ARCHIVE, "
                            "the Keras cache, then download)")
    train.add_argument("--out", type=Path, default=None,
                       help="output folder (default: artifacts/imdb_<model>)")
    train.add_argument("--quiet", action="store_true", help="one line per epoch, no progress bar")
    train.add_argument("--pretrained", nargs="?", const="shipped", default=None, metavar="LM",
                       help="fine-tune from a language model (notebook 07): the shipped one, "
                            "or the folder LM; its vocabulary and size replace --num-words, "
                            "--units and --embed-dim; GRU only")
    train.add_argument("--ship", action="store_true",
                       help="save to gru_edu/shipped/imdb_<model> without optimizer state, "
                            "with a training log: the bundle the collection ships "
                            "(full setting only)")
    train.add_argument("--strategy", choices=STRATEGY_CHOICES, default="auto",
                       help="tf.distribute strategy; auto: mirrored over several GPUs, "
                            "multi-worker when TF_CONFIG names several workers, else none")
    train.add_argument("--cpu-devices", type=int, default=None, metavar="N",
                       help="split the CPU into N logical devices first (tries the "
                            "mirrored path without GPUs; no faster)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gru_edu", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _train_parser(sub)
    from .tools.hub import add_hub_link_parser
    from .tools.render import add_render_parser

    add_hub_link_parser(sub)
    add_render_parser(sub)
    from .lm.cli import add_pretrain_parser

    add_pretrain_parser(sub)
    from .grading.cli import add_teacher_parsers

    add_teacher_parsers(sub)
    for p in sub.choices.values():
        p.formatter_class = _DefaultsFormatter
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m gru_edu`` (and the ``gru-edu`` script)."""
    args = _parser().parse_args(argv)
    if args.command == "train":
        return _train(args, argv)
    args.argv = sys.argv[1:] if argv is None else list(argv)
    return args.run(args)


def _train(args: argparse.Namespace, argv: list[str] | None) -> int:
    """``train``: fit a classifier on IMDB and save its folder."""
    from .imdb.training import train_classifier

    if args.cpu_devices is not None:
        from .imdb.distribute import split_cpu

        try:
            split_cpu(args.cpu_devices)
        except (ValueError, RuntimeError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2

    if args.pretrained:
        from .lm.cli import train_pretrained

        return train_pretrained(args, argv)
    settings = _settings(args)
    if args.ship and config.fast_mode():
        print("error: --ship trains the full setting; unset GRU_EDU_FAST", file=sys.stderr)
        return 2
    print(f"gru-edu: training {args.model} on IMDB, mode {config.mode_name()}")
    start = time.perf_counter()
    try:
        result = train_classifier(
            settings, archive=args.archive, verbose=2 if args.quiet else 1,
            strategy=args.strategy,
        )
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    meta = result.trained.meta
    if args.ship:
        from .imdb.bundle import shipped_model_dir

        meta["made_by"] = "python -m gru_edu " + " ".join(argv or sys.argv[1:])
        path = result.trained.save(args.out or shipped_model_dir(args.model),
                                   optimizer=False)
        (path / "train_log.txt").write_text(_train_log(meta))
    elif not meta["chief"]:  # multi-worker: only the chief's copy is kept
        import tempfile

        path = result.trained.save(Path(tempfile.mkdtemp()) / "worker_copy")
    else:
        path = result.trained.save(args.out or _default_out(args.model))
    print(
        f"validation accuracy {_fmt(meta['val_accuracy'])} "
        f"({meta['val_reviews']:,} reviews held out of training) | "
        f"test accuracy {meta['test_accuracy']:.4f} "
        f"({meta['test_reviews']:,} test reviews, scored once) | "
        f"{meta['seconds_per_epoch']:.1f} s/epoch on {meta['device']} | "
        f"cuDNN eligible: {meta['cudnn_eligible']} | "
        f"{meta['replicas']} replica(s), global batch {meta['global_batch_size']} | "
        f"total {time.perf_counter() - start:.0f} s"
    )
    print(f"saved to {path}  (open with gru_edu.imdb.TrainedModel.load)")
    return 0


def _settings(args: argparse.Namespace) -> TrainSettings:
    """The training settings the command line asks for."""
    return TrainSettings(
        kind=args.model,
        epochs=args.epochs,
        units=args.units,
        embed_dim=args.embed_dim,
        num_words=args.num_words,
        maxlen=args.maxlen,
        batch_size=args.batch_size,
        dropout=args.dropout,
        learning_rate=args.learning_rate,
        polarity=not args.no_polarity,
        train_size=args.train_size,
        test_size=args.test_size,
        val_size=args.val_size,
        seed=args.seed,
    )


def _train_log(meta: dict) -> str:
    """A few lines a reader can check the shipped bundle against."""
    hist = meta["history"]
    lines = [
        f"made by: {meta['made_by']}",
        f"mode: {meta['mode']}; device: {meta['device']}",
        f"settings: {meta['settings']}",
        f"reviews: {meta['train_reviews']:,} training, {meta['val_reviews']:,} validation, "
        f"{meta['test_reviews']:,} test",
        "epoch  train acc  train loss  val acc  val loss  seconds",
    ]
    for i, secs in enumerate(hist["seconds"]):
        lines.append(f"{i + 1:5d}  {hist['accuracy'][i]:9.4f}  {hist['loss'][i]:10.4f}  "
                     f"{hist['val_accuracy'][i]:7.4f}  {hist['val_loss'][i]:8.4f}  {secs:7.1f}")
    lines.append(f"final (averaged weights if on): validation accuracy "
                 f"{_fmt(meta['val_accuracy'])}, test accuracy {_fmt(meta['test_accuracy'])} "
                 "(test scored once, after training)")
    return "\n".join(lines) + "\n"


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _default_out(kind: str) -> Path:
    from .imdb.bundle import default_model_dir

    return default_model_dir(kind)


if __name__ == "__main__":
    sys.exit(main())
