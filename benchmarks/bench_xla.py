"""XLA on or off: seconds per training epoch of the default GRU recipe on a CPU.

The same model (``TrainSettings.default()``'s recipe) is built twice, with
``jit_compile=True`` and ``False``, and trained on the same slice of the
training part; the two are timed in turns (on, off, on, off, ...) so a busy
moment of the machine hits both alike. The first epoch of each model also
compiles and is reported apart; the ratio is of the later epochs' median.

    python benchmarks/bench_xla.py                    # 4,000 reviews, 3 rounds
    python benchmarks/bench_xla.py --reviews 8000 --rounds 5

Results go to ``benchmarks/logs/bench_xla.json``; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gru_edu.config import quiet_tensorflow  # noqa: E402

quiet_tensorflow()

import keras  # noqa: E402

from logbook import LOG_DIR, new_log, write_log  # noqa: E402

from gru_edu import imdb  # noqa: E402
from gru_edu.imdb import TrainSettings, word_polarity  # noqa: E402

LOG = LOG_DIR / "bench_xla.json"


def build(settings: TrainSettings, polarity, steps: int, xla: bool) -> keras.Model:
    """The recipe's model with XLA forced on or off."""
    keras.utils.set_random_seed(settings.seed)
    return imdb.build_classifier(
        settings.kind, num_words=settings.num_words, maxlen=None,
        embed_dim=settings.embed_dim, units=settings.units, dropout=settings.dropout,
        learning_rate=settings.learning_rate, decay_steps=steps,
        polarity=polarity if settings.polarity else None,
        average_weights=settings.average_weights, jit_compile=xla)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reviews", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    log = new_log("bench_xla", "seconds per training epoch of the default GRU recipe, "
                  "XLA on against off, timed in turns")
    settings = replace(TrainSettings(), train_size=args.reviews)
    parts = imdb.load_splits(num_words=settings.num_words, maxlen=settings.maxlen,
                               train_size=args.reviews, progress=False)
    polarity = word_polarity(parts.x_train, parts.y_train, settings.num_words)
    steps = -(-args.reviews // settings.batch_size) * (args.rounds + 1)
    nets = {xla: build(settings, polarity, steps, xla) for xla in (True, False)}
    seconds: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.rounds + 1):  # round 0 compiles
        for xla, model in nets.items():
            hist = imdb.fit(model, parts.x_train, parts.y_train, epochs=1,
                              batch_size=settings.batch_size, verbose=0, buckets=True)
            seconds[xla].append(hist["seconds"][0])
            print(f"XLA {'on ' if xla else 'off'}: {hist['seconds'][0]:.2f} s", flush=True)
    on, off = (statistics.median(seconds[x][1:]) for x in (True, False))
    print(f"median epoch: XLA on {on:.2f} s, off {off:.2f} s -> off / on = {off / on:.2f}")
    log["runs"].append({"reviews": args.reviews, "rounds": args.rounds,
                        "seconds_xla_on": seconds[True], "seconds_xla_off": seconds[False],
                        "median_on": on, "median_off": off, "ratio_off_over_on": off / on})
    print(f"log: {write_log(log, LOG)}")


if __name__ == "__main__":
    main()
