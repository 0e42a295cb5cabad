"""Old import path of the IMDB recipe: :mod:`gru_edu.imdb.training`."""

from .imdb.training import *  # noqa: F401,F403
from .imdb.training import __all__  # noqa: F401
