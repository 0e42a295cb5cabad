"""Assignment grading: the checks, their feedback and the teacher's commands, one
module per stage (a line each: ``docs/architecture.md``).

The assignments' tests call, e.g., ``a1_cell.check_gru_step(...).require()``
after ``from gru_edu.grading import a1_cell``. The public names are the
modules: none is imported with the package (``a2_imdb`` and ``a3_gates`` load
Keras when a check runs).
"""

__all__ = [
    "feedback", "limits", "answers", "guard", "a1_probes", "a1_cell", "a2_imdb",
    "a3_gates", "otter", "otter_run", "submissions", "gradebook", "release",
    "containers", "cli",
]
