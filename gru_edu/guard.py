"""Old import path of the call detector; the code lives in :mod:`gru_edu.grading.guard`."""

from .grading.guard import *  # noqa: F401,F403
from .grading.guard import (Forbidden, Hit, Watch, clear_stop,  # noqa: F401
                            install_interrupt_escalation, stop_learner_code)
