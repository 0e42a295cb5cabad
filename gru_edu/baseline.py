"""Old import path of the bag-of-words baseline: :mod:`gru_edu.imdb.baseline`."""

from .imdb.baseline import *  # noqa: F401,F403
from .imdb.baseline import __all__  # noqa: F401
