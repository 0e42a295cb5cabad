"""The language model of notebook 07, measured: speed, the probe, pre-training vs scratch.

    python benchmarks/bench_lm.py speed                 # words/s: sampled vs full softmax
    python benchmarks/bench_lm.py probe                 # frozen-state probe, 100/1k/22.5k labels
    python benchmarks/bench_lm.py curve --sizes 500 1000 --seeds 0 1 2
    python benchmarks/bench_lm.py curve --sizes 22500 --seeds 0 1
    python benchmarks/bench_lm.py recipe --seeds 0 1 2 3 4   # python -m gru_edu train, full test

Every stage reads the language model that ships (``gru_edu/shipped/imdb_lm``,
made by ``python -m gru_edu pretrain --ship``) and follows the collection's
protocol: trained on (a labelled subset of) the training part, choices on the
validation part, test reviews scored once per finished model. ``curve``
scores a fixed, label-balanced sample of 5,000 test reviews (the same for
every run), so that 40 models can be scored in the time one full test pass
of all of them would take; ``probe`` scores all 25,000 and, to compare with
the curve's classifiers, the same sample.

Logs: ``benchmarks/logs/bench_lm_speed.json``, ``bench_lm_probe.json``,
``bench_lm_curve.json`` (a rerun replaces the runs it repeats). Nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gru_edu.config import quiet_tensorflow  # noqa: E402

quiet_tensorflow()


from logbook import LOG_DIR, new_log, read_log, session, write_log  # noqa: E402

from gru_edu.imdb import load_splits  # noqa: E402
from gru_edu.lm.bundle import LanguageModel, shipped_lm_dir  # noqa: E402

#: Epochs per number of labels: more passes over fewer reviews.
EPOCHS = {100: 30, 500: 12, 1000: 8, 5000: 4, 22500: 3}
#: The fixed sample of test reviews the curve scores.
TEST_SAMPLE, TEST_SEED = 5000, 2017


def _data(lm: LanguageModel):
    return load_splits(maxlen=300, vocabulary=lm.vocab, progress=False)


def _speed(lm: LanguageModel, seconds: float) -> dict:
    """Training words/s of the sampled and the full softmax, side by side."""
    import keras
    import tensorflow as tf

    from gru_edu.lm.corpus import load_corpus, windows
    from gru_edu.lm.model import build_language_model, sampled_loss, tied_embedding

    corpus = load_corpus(lm.vocab.num_words, progress=False)
    x, y = windows(corpus.train, 64, 64, seed=0)
    rows = {}
    for name in ("sampled softmax (512)", "full softmax"):
        model = build_language_model(lm.vocab.num_words, lm.units)
        opt = keras.optimizers.Adam(1e-3)
        opt.build(model.trainable_variables)
        var = model.trainable_variables

        @tf.function
        def step(xb, yb, full=name == "full softmax"):
            with tf.GradientTape() as tape:
                if full:
                    logits = tied_embedding(model).logits(model(xb, training=True))
                    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                        labels=yb, logits=logits))
                else:
                    loss = sampled_loss(model, xb, yb, 512)
            opt.apply_gradients(zip(tape.gradient(loss, var), var))
            return loss

        step(x[:64], y[:64])  # trace once, outside the clock
        words, start, i = 0, time.perf_counter(), 64
        while time.perf_counter() - start < seconds:
            step(x[i:i + 64], y[i:i + 64])
            words += 64 * 64
            i += 64
        rows[name] = words / (time.perf_counter() - start)
        print(f"{name}: {rows[name]:,.0f} words/s", flush=True)
    return {"words_per_second": rows,
            "ratio_sampled_over_full": rows["sampled softmax (512)"] / rows["full softmax"],
            "seconds_each": seconds, "units": lm.units, "num_words": lm.vocab.num_words}


def _probe(lm: LanguageModel) -> dict:
    """Logistic probes on the frozen final and mean states; the best single unit."""
    from gru_edu.lm.finetune import label_subset
    from gru_edu.lm.probe import best_unit, fit_probe, review_states

    parts = _data(lm)
    start = time.perf_counter()
    states = {name: review_states(lm.model, x) for name, x in
              (("train", parts.x_train), ("val", parts.x_val), ("test", parts.x_test))}
    sample = label_subset(parts.y_test, TEST_SAMPLE, TEST_SEED)  # the curve's test sample
    out = {"seconds_states": time.perf_counter() - start, "rows": []}
    for kind in ("final", "mean"):
        for size in (100, 1000, 22500):
            for seed in (range(5) if size < 22500 else [0]):
                idx = label_subset(parts.y_train, size, seed)
                probe, scores = fit_probe(states["train"][kind][idx], parts.y_train[idx],
                                          states["val"][kind], parts.y_val)
                out["rows"].append({
                    "state": kind, "labels": size, "seed": seed, "l2": probe.l2,
                    "val_accuracy": scores[probe.l2],
                    "test_accuracy": probe.accuracy(states["test"][kind], parts.y_test),
                    "test_sample_accuracy": probe.accuracy(states["test"][kind][sample],
                                                           parts.y_test[sample])})
                print(out["rows"][-1], flush=True)
        rule = best_unit(states["train"][kind], parts.y_train)
        out[f"best_unit_{kind}"] = {
            "unit": rule.unit, "sign": rule.sign, "threshold": rule.threshold,
            "train_accuracy": rule.train_accuracy,
            "val_accuracy": rule.accuracy(states["val"][kind], parts.y_val),
            "test_accuracy": rule.accuracy(states["test"][kind], parts.y_test)}
        print(kind, out[f"best_unit_{kind}"], flush=True)
    return out


def _curve_run(lm, parts, test_idx, size, seed, pretrained, settings) -> dict:
    from gru_edu.lm.finetune import finetune, label_subset, score_test

    idx = label_subset(parts.y_train, size, seed)
    s = replace(settings, pretrained=pretrained, seed=seed, epochs=EPOCHS.get(size, 3))
    result = finetune(lm, parts.x_train[idx], parts.y_train[idx], parts.x_val, parts.y_val, s)
    row = {"labels": size, **result.row(),
           "val_accuracy": result.history["val_accuracy"][-1],
           "test_accuracy": score_test(result, parts.x_test[test_idx], parts.y_test[test_idx]),
           "test_reviews": len(test_idx)}
    print({k: v for k, v in row.items() if k != "val_accuracy_by_epoch"}, flush=True)
    return row


def _curve(lm: LanguageModel, args: argparse.Namespace, log: dict) -> None:
    """Scratch and pre-trained classifiers, paired by seed, at each size; saved run by run."""
    from gru_edu.lm.finetune import FinetuneSettings, label_subset

    parts = _data(lm)
    test_idx = label_subset(parts.y_test, TEST_SAMPLE, TEST_SEED)
    settings = FinetuneSettings(frozen_epochs=args.frozen_epochs,
                                learning_rate=args.learning_rate)
    for size in args.sizes:
        for seed in args.seeds:
            for pretrained in (False, True):
                row = _curve_run(lm, parts, test_idx, size, seed, pretrained, settings)
                row["recipe"] = args.recipe
                log["runs"] = [r for r in log["runs"] if not _same(r, row)] + [row]
                write_log(log, LOG_DIR / "bench_lm_curve.json")


def _recipe(lm: LanguageModel, args: argparse.Namespace, log: dict) -> None:
    """``python -m gru_edu train``'s recipe (fine-tuned from the shipped language
    model) on all 22,500 labels, each seed scored once on all 25,000 test reviews
    (what ``bench_imdb.py`` does for notebook 03's recipe)."""
    from gru_edu.lm.finetune import FinetuneSettings, train_from_language_model

    for seed in args.seeds:
        start = time.perf_counter()
        settings = FinetuneSettings(epochs=EPOCHS[22500], learning_rate=args.learning_rate,
                                    frozen_epochs=args.frozen_epochs, seed=seed)
        meta = train_from_language_model(lm, settings, verbose=0).meta
        row = {"seed": seed, "recipe": args.recipe, **meta["settings"],
               "val_accuracy": meta["val_accuracy"], "test_accuracy": meta["test_accuracy"],
               "train_seconds": meta["train_seconds"],
               "total_seconds": time.perf_counter() - start, "test_reviews": meta["test_reviews"]}
        print(row, flush=True)
        log["runs"] = [r for r in log["runs"]
                       if (r["seed"], r.get("recipe")) != (seed, args.recipe)] + [row]
        write_log(log, LOG_DIR / "bench_lm_recipe.json")


def _same(a: dict, b: dict) -> bool:
    keys = ("labels", "seed", "pretrained", "recipe")
    return all(a.get(k) == b.get(k) for k in keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=["speed", "probe", "curve", "recipe"])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 5000, 22500])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--frozen-epochs", type=int, default=0)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--recipe", default="default", help="a name for these settings")
    args = parser.parse_args()
    lm = LanguageModel.load(shipped_lm_dir())
    name = f"bench_lm_{args.stage}"
    if args.stage in ("curve", "recipe"):
        about = {"curve": "sentiment classifiers from scratch and from the language model, "
                          "paired by seed; a fixed test sample scored once per model",
                 "recipe": "train --pretrained on all labels, 25,000 test reviews scored "
                           "once per seed"}[args.stage]
        log = read_log(LOG_DIR / f"{name}.json") or new_log(name, about)
        log.setdefault("sessions", []).append(session())
        (_curve if args.stage == "curve" else _recipe)(lm, args, log)
        return
    log = new_log(name, {"speed": "training words/s of the language model, "
                                  "sampled vs full softmax, side by side",
                         "probe": "logistic probe on the frozen language model's states"}
                  [args.stage])
    if args.stage == "speed":
        log["runs"] = [_speed(lm, args.seconds)]
    else:
        result = _probe(lm)
        log["runs"] = result.pop("rows")
        log.update(result)
    write_log(log, LOG_DIR / f"{name}.json")


if __name__ == "__main__":
    main()
