"""Old import path of the train / validation / test protocol: :mod:`gru_edu.imdb.splits`."""

from .imdb.splits import *  # noqa: F401,F403
from .imdb.splits import __all__  # noqa: F401
