"""Old import path of the IMDB data; the code lives in :mod:`gru_edu.imdb`.

Re-exports :mod:`.imdb.vocab`, :mod:`.imdb.archive`, :mod:`.imdb.cache`,
:mod:`.imdb.dataset` and :mod:`.imdb.features`, so ``gru_edu.data.load_imdb``
and the like keep working.
"""

from .imdb.archive import *  # noqa: F401,F403
from .imdb.cache import *  # noqa: F401,F403
from .imdb.dataset import *  # noqa: F401,F403
from .imdb.features import *  # noqa: F401,F403
from .imdb.vocab import *  # noqa: F401,F403
from .imdb import archive as _archive, cache as _cache, dataset as _dataset
from .imdb import features as _features, vocab as _vocab

__all__ = [*_vocab.__all__, *_archive.__all__, *_cache.__all__,
           *_dataset.__all__, *_features.__all__]
