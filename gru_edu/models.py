"""Old import path of the IMDB models; the code lives in :mod:`gru_edu.imdb`.

Re-exports :mod:`.imdb.models`, :mod:`.imdb.fitting`, :mod:`.imdb.bundle` and
``length_batches``, so ``gru_edu.models.TrainedModel`` and the like keep
working. ``seed_model`` and ``seed_features`` are the old names of
:func:`~gru_edu.imdb.models.tutorial_model` and
:func:`~gru_edu.imdb.models.tutorial_features` (deprecated: "seed" reads as a
random seed).
"""

import warnings
from typing import Any

from .imdb.bundle import *  # noqa: F401,F403
from .imdb.dataset import length_batches  # noqa: F401
from .imdb.fitting import *  # noqa: F401,F403
from .imdb.models import *  # noqa: F401,F403
from .imdb import bundle as _bundle, fitting as _fitting, models as _models

__all__ = [*_models.__all__, *_fitting.__all__, *_bundle.__all__,
           "length_batches", "seed_model", "seed_features"]


def seed_model(maxlen: int = 300) -> Any:
    """Deprecated name of :func:`gru_edu.imdb.models.tutorial_model`."""
    warnings.warn("seed_model is now gru_edu.imdb.tutorial_model",
                  DeprecationWarning, stacklevel=2)
    return _models.tutorial_model(maxlen)


def seed_features(x: Any) -> Any:
    """Deprecated name of :func:`gru_edu.imdb.models.tutorial_features`."""
    warnings.warn("seed_features is now gru_edu.imdb.tutorial_features",
                  DeprecationWarning, stacklevel=2)
    return _models.tutorial_features(x)
