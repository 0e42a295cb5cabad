"""GRU against LSTM, claim by claim (notebook 05): :mod:`.experiments` trains and
times, :mod:`.intervals` gives honest intervals, :mod:`.logs` reads the committed
benchmark logs. Every public name is exported here: ``from gru_edu import claims``.
"""

from .experiments import *  # noqa: F401,F403
from .experiments import __all__ as _experiments
from .intervals import *  # noqa: F401,F403
from .intervals import __all__ as _intervals
from .logs import *  # noqa: F401,F403
from .logs import __all__ as _logs

__all__ = [*_experiments, *_intervals, *_logs]
