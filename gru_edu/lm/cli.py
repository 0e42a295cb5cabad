"""``python -m gru_edu pretrain``: train the GRU language model and save its folder.

Examples::

    python -m gru_edu pretrain                     # the shipped recipe (11 min on 2 cores)
    python -m gru_edu pretrain --minutes 5         # stop after 5 minutes of training
    GRU_EDU_FAST=1 python -m gru_edu pretrain      # a tiny model: the loop runs
    python -m gru_edu pretrain --ship              # rewrite gru_edu/shipped/imdb_lm
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from gru_edu import config

__all__ = ["add_pretrain_parser", "pretrain_log", "train_pretrained"]


def add_pretrain_parser(sub: argparse._SubParsersAction) -> None:
    """The ``pretrain`` subcommand of ``python -m gru_edu``."""
    from .pretrain import PretrainSettings

    d = PretrainSettings.default()
    p = sub.add_parser("pretrain", help="train the GRU language model on the review text "
                                        "(no labels) and save it",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=d.epochs, help="passes over the text")
    p.add_argument("--units", type=int, default=d.units,
                   help="GRU units (= word vector size: tied)")
    p.add_argument("--num-words", type=int, default=d.num_words, help="vocabulary size")
    p.add_argument("--learning-rate", type=float, default=d.learning_rate,
                   help="start of the cosine decay to 0")
    p.add_argument("--minutes", type=float, default=None,
                   help="stop training after this many minutes (default: no limit)")
    p.add_argument("--train-size", type=int, default=d.train_size,
                   help="training reviews to read (default: all 22,500)")
    p.add_argument("--no-unsup", action="store_true",
                   help="leave out train/unsup even when the archive has it")
    p.add_argument("--seed", type=int, default=d.seed, help="random seed")
    p.add_argument("--archive", default=None, help="path of aclImdb_v1.tar.gz")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default: artifacts/imdb_lm)")
    p.add_argument("--ship", action="store_true",
                   help="save into gru_edu/shipped/imdb_lm with its train_log.txt")
    p.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from .bundle import default_lm_dir, shipped_lm_dir
    from .pretrain import PretrainSettings, pretrain

    if args.ship and config.fast_mode():
        print("error: --ship trains the full setting; unset GRU_EDU_FAST", file=sys.stderr)
        return 2
    settings = replace(PretrainSettings.default(), epochs=args.epochs, units=args.units,
                       num_words=args.num_words, learning_rate=args.learning_rate,
                       max_minutes=args.minutes, train_size=args.train_size,
                       unsup=PretrainSettings.default().unsup and not args.no_unsup,
                       seed=args.seed)
    print(f"gru-edu: training the language model, mode {config.mode_name()}", flush=True)
    start = time.perf_counter()
    try:
        lm = pretrain(settings, archive=args.archive)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    lm.meta["made_by"] = "python -m gru_edu " + " ".join(getattr(args, "argv", ["pretrain"]))
    path = lm.save(args.out or (shipped_lm_dir() if args.ship else default_lm_dir()))
    (path / "train_log.txt").write_text(pretrain_log(lm.meta))
    base = lm.meta["baselines"]
    print(f"validation perplexity {lm.meta['val_perplexity']:.1f} (unigram "
          f"{base['unigram']:.1f}, Kneser-Ney bigram {base['bigram_kneser_ney']:.1f}) | "
          f"{lm.meta['words_per_second']:,.0f} words/s on {lm.meta['device']} | "
          f"total {time.perf_counter() - start:.0f} s")
    print(f"saved to {path}  (open with gru_edu.lm.bundle.LanguageModel.load)")
    return 0


def pretrain_log(meta: dict) -> str:
    """The lines of ``train_log.txt``: how the model was made and how it scored."""
    lines = [
        f"made by: {meta.get('made_by', 'gru_edu.lm.pretrain.pretrain')}",
        f"mode: {meta['mode']}; device: {meta['device']}",
        f"settings: {meta['settings']}",
        f"text: {meta['sources']}; {meta['train_words']:,} training words, "
        f"{meta['val_words']:,} validation words",
        "epoch  train loss (sampled)  val perplexity  seconds  words/s",
    ]
    for row in meta["history"]:
        lines.append(f"{row['epoch']:5d}  {row['train_loss']:20.3f}  "
                     f"{row['val_perplexity']:14.1f}  {row['seconds']:7.1f}  "
                     f"{row['words_per_second']:7.0f}")
    base = meta["baselines"]
    lines.append(f"validation perplexity {meta['val_perplexity']:.1f}; unigram "
                 f"{base['unigram']:.1f}; Kneser-Ney bigram {base['bigram_kneser_ney']:.1f}")
    return "\n".join(lines) + "\n"


def train_pretrained(args: argparse.Namespace, argv: list[str] | None) -> int:
    """``python -m gru_edu train`` (a GRU, without ``--scratch``): fine-tune a
    classifier from the shipped language model, or the folder ``--pretrained
    LM``, and save it (default ``artifacts/imdb_gru``, where notebook 04 looks).

    Options the command line leaves out take :class:`FinetuneSettings`' defaults.
    """
    from ..imdb.bundle import default_model_dir
    from .bundle import LanguageModel, shipped_lm_dir
    from .finetune import train_from_language_model
    from .pretrain import FinetuneSettings

    given = {"epochs": args.epochs, "learning_rate": args.learning_rate,
             "dropout": args.dropout, "batch_size": args.batch_size}
    settings = replace(FinetuneSettings(), seed=args.seed,
                       **{k: v for k, v in given.items() if v is not None})
    source = args.pretrained if args.pretrained not in (None, "shipped") else shipped_lm_dir()
    print(f"gru-edu: fine-tuning a GRU from the language model in {source}, mode "
          f"{config.mode_name()} (--scratch: notebook 03's recipe instead)")
    start = time.perf_counter()
    try:
        lm = LanguageModel.load(source)
        trained = train_from_language_model(
            lm, settings, args.train_size, args.test_size, args.val_size, args.archive,
            verbose=2 if args.quiet else 1)
    except (FileNotFoundError, ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    meta = trained.meta
    meta["made_by"] = "python -m gru_edu " + " ".join(argv or sys.argv[1:])
    path = trained.save(args.out or default_model_dir("gru"))
    print(f"validation accuracy {meta['val_accuracy']:.4f} ({meta['val_reviews']:,} reviews "
          f"held out of training) | test accuracy {meta['test_accuracy']:.4f} "
          f"({meta['test_reviews']:,} test reviews, scored once) | "
          f"{meta['train_seconds']:.0f} s of training on {meta['device']} | "
          f"cuDNN eligible: {meta['cudnn_eligible']} | "
          f"total {time.perf_counter() - start:.0f} s")
    print(f"saved to {path}  (open with gru_edu.imdb.TrainedModel.load)")
    return 0
