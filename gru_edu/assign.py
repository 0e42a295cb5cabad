"""Old path of the teacher's commands; the code lives in :mod:`gru_edu.grading.otter`.

``python -m gru_edu.assign list|generate|grade`` runs the same commands as
``python -m gru_edu.grading.otter``.
"""

import sys

from .grading.otter import *  # noqa: F401,F403
from .grading.otter import generate, grade, main, masters  # noqa: F401

if __name__ == "__main__":
    sys.exit(main())
