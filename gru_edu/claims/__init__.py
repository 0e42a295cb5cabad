"""GRU against LSTM, claim by claim (notebook 05). Every public name is exported here:
``from gru_edu import claims``. Its modules, a line each: ``docs/architecture.md``.
"""

from .experiments import *  # noqa: F401,F403
from .experiments import __all__ as _experiments
from .intervals import *  # noqa: F401,F403
from .intervals import __all__ as _intervals
from .logs import *  # noqa: F401,F403
from .logs import __all__ as _logs

__all__ = [*_experiments, *_intervals, *_logs]
