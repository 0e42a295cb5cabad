"""Old import path of the assignment checks; the code lives in :mod:`gru_edu.grading`.

Re-exports the public names of :mod:`.grading.a1_cell`, :mod:`.grading.a2_imdb`,
:mod:`.grading.a3_gates`, :mod:`.grading.feedback` and :mod:`.grading.limits`,
so ``gru_edu.checks.check_gru_step`` and the like keep working.
"""

from .grading.a1_cell import *  # noqa: F401,F403
from .grading.a2_imdb import *  # noqa: F401,F403
from .grading.a3_gates import *  # noqa: F401,F403
from .grading.feedback import *  # noqa: F401,F403
from .grading.limits import *  # noqa: F401,F403
from .grading.a1_cell import (check_gru_backward, check_gru_forward,  # noqa: F401
                              check_gru_step, check_numerical_gradient,
                              check_relative_error)
from .grading.a2_imdb import (ImdbRules, check_imdb_learns,  # noqa: F401
                              check_imdb_model, check_imdb_saved_model,
                              check_imdb_training, check_reported_accuracy,
                              imdb_rules)
from .grading.a3_gates import (check_effect_size,  # noqa: F401
                               check_gate_findings, check_gate_reaction,
                               check_strongest_units, check_z_at_word,
                               effect_size_reference, gate_reaction_reference,
                               strongest_units_reference, trace_z)
from .grading.feedback import MISTAKES, Feedback, Finding  # noqa: F401
from .grading.limits import (DEFAULT_SECONDS, TimeLimitExceeded,  # noqa: F401
                             call_with_time_limit)
