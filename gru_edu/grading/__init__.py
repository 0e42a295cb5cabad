"""Assignment grading: the checks, their feedback and the teacher's commands.

One module per stage:

* :mod:`.feedback`  – :class:`Feedback`, findings, the one catalogue of mistakes
* :mod:`.limits`    – running learner code: time limits, :func:`forbids`
* :mod:`.answers`   – what every check shares: a learner's answer read, its
  errors named
* :mod:`.guard`     – the call detector (what a learner's function executes)
* :mod:`.a1_probes` – assignment 1's probes, reference answers, hypotheses
* :mod:`.a1_cell`   – assignment 1's checks: GRU step, forward, backward, tools
* :mod:`.a2_imdb`   – assignment 2's checks: an IMDB classifier under rules
* :mod:`.a3_gates`  – assignment 3's checks: reading a trained model's gates
* :mod:`.otter`     – generate (otter assign) and grade a folder (otter run)
* :mod:`.otter_run` – one submission in its own process, under limits
* :mod:`.submissions` – an LMS bulk download, one screened file per student
* :mod:`.gradebook` – ``gradebook.csv``, ``scores.csv``, the feedback files
* :mod:`.release`   – the tree students receive, its Colab cell, the leak scan
* :mod:`.containers` – an autograder zip made ready for Gradescope
* :mod:`.cli`       – the teacher's subcommands of ``python -m gru_edu``

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
