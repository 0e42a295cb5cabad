"""The one command line of gru-edu: ``python -m gru_edu COMMAND`` (also ``gru-edu COMMAND``).

Learners and teachers::

    python -m gru_edu train                       # a GRU fine-tuned from the language model
    python -m gru_edu train --scratch             # notebook 03's fixed GRU, from scratch
    python -m gru_edu train --model lstm --epochs 3 --out artifacts/imdb_lstm
    GRU_EDU_FAST=1 python -m gru_edu train        # the small CI setting
    python -m gru_edu train --scratch --cpu-devices 2   # try tf.distribute on a CPU
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

With ``--scratch``, several GPUs (or ``TF_CONFIG`` naming several workers) are
used through ``tf.distribute`` by themselves: see :mod:`gru_edu.imdb.distribute`.
The fine-tuned default trains on one device (a GPU when there is one).

The saved folder (``model.keras`` + vocabulary + settings) opens anywhere with
``gru_edu.imdb.TrainedModel.load(path)``: train on a GPU box (Keras uses
cuDNN by itself), then copy the folder to a laptop and explore its gates.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

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
    from .lm.pretrain import FinetuneSettings  # no Keras: the parser stays light

    scratch, tuned = TrainSettings.default(), FinetuneSettings()

    def both(field: str) -> str:  # the two recipes' defaults, for the help
        return (f"default: {getattr(tuned, field)} fine-tuned, "
                f"{getattr(scratch, field)} --scratch")

    def only_scratch(field: str) -> str:
        return f"default: {getattr(scratch, field)}; --scratch only"

    train = _add(sub, "train", help="train an IMDB sentiment classifier and save it",
                 description=TRAIN_HELP)
    train.add_argument("--model", choices=["gru", "lstm", "simple_rnn"], default="gru",
                       help="the recurrent layer (lstm and simple_rnn train from scratch)")
    train.add_argument("--scratch", action="store_true",
                       help="train notebook 03's recipe from scratch instead of fine-tuning "
                            "the GRU from the language model")
    train.add_argument("--pretrained", default=None, metavar="LM", nargs="?", const="shipped",
                       help="fine-tune from the language model in the folder LM "
                            "(default: the shipped one, gru_edu/shipped/imdb_lm)")
    train.add_argument("--epochs", type=int, default=None,
                       help=f"training epochs ({both('epochs')})")
    train.add_argument("--batch-size", type=int, default=None,
                       help=f"batch size per replica ({both('batch_size')})")
    train.add_argument("--dropout", type=float, default=None,
                       help=f"dropout rate ({both('dropout')})")
    train.add_argument("--learning-rate", type=float, default=None,
                       help=f"start of the cosine decay to 0 ({both('learning_rate')})")
    _scratch_options(train, only_scratch)
    _data_options(train, scratch)


def _scratch_options(train: argparse.ArgumentParser, only_scratch: Any) -> None:
    """Options of notebook 03's recipe only: size, vocabulary, polarity, devices."""
    train.add_argument("--units", type=int, default=None,
                       help=f"recurrent units ({only_scratch('units')})")
    train.add_argument("--embed-dim", type=int, default=None,
                       help=f"embedding size ({only_scratch('embed_dim')})")
    train.add_argument("--num-words", type=int, default=None,
                       help=f"vocabulary size ({only_scratch('num_words')})")
    train.add_argument("--maxlen", type=int, default=None,
                       help=f"words per review, longer ones cut ({only_scratch('maxlen')})")
    train.add_argument("--no-polarity", action="store_true",
                       help="leave out the fixed word-polarity feature (--scratch only)")
    train.add_argument("--ship", action="store_true",
                       help="with --scratch: save to gru_edu/shipped/imdb_<model> without "
                            "optimizer state, with a training log: the bundle notebooks "
                            "04-06 open (full setting only)")
    train.add_argument("--strategy", choices=STRATEGY_CHOICES, default="auto",
                       help="tf.distribute strategy (--scratch); auto: mirrored over several "
                            "GPUs, multi-worker when TF_CONFIG names several workers, else none")
    train.add_argument("--cpu-devices", type=int, default=None, metavar="N",
                       help="with --scratch: split the CPU into N logical devices first "
                            "(tries the mirrored path without GPUs; no faster)")


def _data_options(train: argparse.ArgumentParser, scratch: TrainSettings) -> None:
    """Which reviews, which seed, where from and to: both recipes."""
    train.add_argument("--train-size", type=int, default=scratch.train_size,
                       help="use the first N reviews of the training part "
                            "(default: all 22,500 left after validation)")
    train.add_argument("--val-size", type=int, default=scratch.val_size,
                       help="validation reviews held out of the training reviews "
                            "(label-balanced, fixed seed; default %(default)s)")
    train.add_argument("--test-size", type=int, default=scratch.test_size,
                       help="evaluate on the first N test reviews (default: all)")
    train.add_argument("--seed", type=int, default=scratch.seed, help="random seed")
    train.add_argument("--archive", type=Path, default=None,
                       help="local aclImdb_v1.tar.gz (default: $GRU_EDU_IMDB_ARCHIVE, "
                            "the Keras cache, then download)")
    train.add_argument("--out", type=Path, default=None,
                       help="output folder (default: artifacts/imdb_<model>)")
    train.add_argument("--quiet", action="store_true", help="one line per epoch, no progress bar")


TRAIN_HELP = """\
Train an IMDB sentiment classifier and save its folder.

The default GRU is fine-tuned from notebook 07's language model (the shipped
one, or --pretrained LM): validation preferred it to notebook 03's recipe from
scratch (benchmarks/RESULTS.md). --scratch trains notebook 03's recipe, with
its own vocabulary, size and polarity feature; --model lstm and simple_rnn
always train from scratch.
"""

#: Options that only notebook 03's recipe from scratch takes.
SCRATCH_ONLY = ("units", "embed_dim", "num_words", "maxlen", "no_polarity", "ship",
                "cpu_devices")


def pick_recipe(args: argparse.Namespace) -> str:
    """``"pretrained"`` or ``"scratch"``: which recipe ``train`` runs.

    A GRU is fine-tuned from the language model unless ``--scratch`` says
    otherwise; LSTM and SimpleRNN have no language model and train from scratch.
    Raises ``ValueError`` saying what to change when the options contradict
    the recipe (e.g. ``--units`` without ``--scratch``: the fine-tuned GRU
    keeps the language model's size).
    """
    if args.scratch and args.pretrained:
        raise ValueError("--scratch and --pretrained pick different recipes: give one")
    if args.model != "gru":
        if args.pretrained:
            raise ValueError("--pretrained fine-tunes the GRU language model: use it with "
                             "--model gru")
        return "scratch"
    if args.scratch:
        return "scratch"
    given = [f"--{name.replace('_', '-')}" for name in SCRATCH_ONLY
             if getattr(args, name) not in (None, False)]
    if args.strategy != "auto":
        given.append("--strategy")
    if given:
        raise ValueError(
            f"{', '.join(given)} belong{'s' if len(given) == 1 else ''} to notebook 03's "
            "recipe from scratch: add --scratch (the default GRU is fine-tuned from the "
            "language model and keeps its vocabulary and size; the shipped GRU of "
            "notebooks 04-06 is made by: python -m gru_edu train --scratch --ship)")
    return "pretrained"


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
    try:
        recipe = pick_recipe(args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if recipe == "pretrained":
        from .lm.cli import train_pretrained

        return train_pretrained(args, argv)
    return _train_scratch(args, argv)


def _train_scratch(args: argparse.Namespace, argv: list[str] | None) -> int:
    """``train --scratch`` (and LSTM, SimpleRNN): notebook 03's recipe."""
    from .imdb.training import train_classifier

    if args.cpu_devices is not None:
        from .imdb.distribute import split_cpu

        try:
            split_cpu(args.cpu_devices)
        except (ValueError, RuntimeError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2

    settings = _settings(args)
    if args.ship and config.fast_mode():
        print("error: --ship trains the full setting; unset GRU_EDU_FAST", file=sys.stderr)
        return 2
    print(f"gru-edu: training {args.model} from scratch (notebook 03's recipe) on IMDB, "
          f"mode {config.mode_name()}")
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
    path = _save_scratch(result.trained, args, argv)
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


def _save_scratch(trained: Any, args: argparse.Namespace, argv: list[str] | None) -> Path:
    """Save where ``--ship``/``--out`` say (a multi-worker's non-chief: a temporary copy)."""
    if args.ship:
        from .imdb.bundle import shipped_model_dir

        trained.meta["made_by"] = "python -m gru_edu " + " ".join(argv or sys.argv[1:])
        path = trained.save(args.out or shipped_model_dir(args.model), optimizer=False)
        (path / "train_log.txt").write_text(_train_log(trained.meta))
        return path
    if not trained.meta["chief"]:  # multi-worker: only the chief's copy is kept
        import tempfile

        return trained.save(Path(tempfile.mkdtemp()) / "worker_copy")
    return trained.save(args.out or _default_out(args.model))


def _settings(args: argparse.Namespace) -> TrainSettings:
    """Notebook 03's recipe, with what the command line changes."""
    given = {field: getattr(args, field) for field in (
        "epochs", "units", "embed_dim", "num_words", "maxlen", "batch_size", "dropout",
        "learning_rate")}
    return replace(
        TrainSettings.default(args.model),
        **{k: v for k, v in given.items() if v is not None},
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
