"""IMDB sentiment (Maas et al. 2011): data, models, training, saved bundles, one
module per stage in the order the data flows (a line each: ``docs/architecture.md``).

``from gru_edu import imdb`` gives every public name. ``models``, ``fitting``,
``bundle`` and ``checkpoints`` import Keras; the others import NumPy only, and so
does this package: the names from ``models``, ``fitting`` and ``bundle`` load on
first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from .archive import (ARCHIVE_ENV, ARCHIVE_NAME, ARCHIVE_URL,  # noqa: F401
                      REVIEWS_PER_FOLDER, ArchiveError, ArchiveNotFoundError,
                      find_archive, keras_cache_dirs)
from .baseline import BagOfWords, distinct_words  # noqa: F401
from .cache import default_cache_dir  # noqa: F401
from .dataset import (length_batches, load_imdb, load_texts,  # noqa: F401
                      load_vocabulary, pad_sequences)
from .features import word_polarity  # noqa: F401
from .splits import (VAL_SEED, VAL_SIZE, ImdbSplits,  # noqa: F401
                     fit_vocabulary, load_splits, validation_indices)
from .training import (FAST_TRAIN_SIZE, FAST_VAL_SIZE,  # noqa: F401
                       TrainResult, TrainSettings, comparison_dir,
                       train_classifier, train_or_load)
from .vocab import (INDEX_FROM, OOV, PAD, START,  # noqa: F401
                    TOKENIZER_VERSION, Vocabulary, tokenize)

#: Names whose modules import Keras: loaded when first asked for.
_KERAS_NAMES = {
    "models": ("RECURRENT_LAYERS", "tutorial_model", "tutorial_features",
               "build_classifier", "AppendPolarity", "cudnn_compatible",
               "xla_on_cpu", "device_name", "device_record"),
    "fitting": ("EpochTimer", "fit", "evaluate"),
    "bundle": ("TrainedModel", "EncodedReview", "default_model_dir", "shipped_model_dir",
               "load_explorer_model"),
}
_LAZY = {name: module for module, names in _KERAS_NAMES.items() for name in names}

__all__ = [
    # vocab
    "PAD", "START", "OOV", "INDEX_FROM", "TOKENIZER_VERSION", "Vocabulary", "tokenize",
    # archive, cache
    "ARCHIVE_NAME", "ARCHIVE_URL", "ARCHIVE_ENV", "REVIEWS_PER_FOLDER", "ArchiveError",
    "ArchiveNotFoundError", "find_archive", "keras_cache_dirs", "default_cache_dir",
    # dataset, splits, features, baseline
    "load_imdb", "load_texts", "load_vocabulary", "pad_sequences", "length_batches",
    "VAL_SIZE", "VAL_SEED", "ImdbSplits", "fit_vocabulary", "load_splits",
    "validation_indices", "word_polarity", "BagOfWords", "distinct_words",
    # training
    "FAST_TRAIN_SIZE", "FAST_VAL_SIZE", "TrainResult", "TrainSettings",
    "train_classifier", "train_or_load", "comparison_dir",
    # loaded on first use
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
