"""IMDB sentiment (Maas et al. 2011): data, models, training, saved bundles.

One module per stage, in the order the data flows:

* :mod:`.vocab`    – the tokenizer, :class:`Vocabulary`, the reserved ids
  ``PAD, START, OOV, INDEX_FROM`` (defined here only)
* :mod:`.archive`  – finding, downloading and reading ``aclImdb_v1.tar.gz``
* :mod:`.cache`    – the tokenized reviews cached as plain ``.npz`` arrays
* :mod:`.dataset`  – :func:`load_imdb`, :func:`load_texts`, padding, batches
  of reviews of similar length
* :mod:`.splits`   – training / validation / test: the one protocol
* :mod:`.features` – :func:`word_polarity`, the log-count ratio of each word
* :mod:`.baseline` – the bag-of-words bar a recurrent model has to clear
* :mod:`.models`   – the tutorial's model, the fixed classifiers, cuDNN rules
* :mod:`.fitting`  – ``fit`` / ``evaluate`` with seconds per epoch
* :mod:`.training` – :class:`TrainSettings` and :func:`train_classifier`
* :mod:`.bundle`   – :class:`TrainedModel`: a model with its vocabulary, saved
  and loaded together; the one path from text to ids

The first seven import NumPy only; ``models``, ``fitting`` and ``bundle``
import Keras, so their names below are loaded on first use.
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
                       TrainResult, TrainSettings, train_classifier)
from .vocab import (INDEX_FROM, OOV, PAD, START,  # noqa: F401
                    TOKENIZER_VERSION, Vocabulary, tokenize)

#: Names whose modules import Keras: loaded when first asked for.
_KERAS_NAMES = {
    "models": ("RECURRENT_LAYERS", "tutorial_model", "tutorial_features",
               "build_classifier", "AppendPolarity", "cudnn_compatible",
               "xla_on_cpu", "device_name"),
    "fitting": ("EpochTimer", "fit", "evaluate"),
    "bundle": ("TrainedModel", "EncodedReview", "default_model_dir", "shipped_model_dir",
               "load_explorer_model"),
}
_LAZY = {name: module for module, names in _KERAS_NAMES.items() for name in names}

__all__ = sorted(
    [name for name in globals()
     if not name.startswith("_") and name not in {
         "annotations", "importlib", "Any", "vocab", "archive", "cache",
         "dataset", "features", "splits", "baseline", "training"}]
    + list(_LAZY)
)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
