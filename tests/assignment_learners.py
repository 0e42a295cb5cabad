"""Assignment 1 learners: the master's solution with planted edits, and a
submission written from a student version (shared by the grading tests)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np

from gru_edu.grading import otter

A1 = "a1_gru_from_scratch"
A2 = "a2_imdb_gru"
A3 = "a3_reading_the_gates"
MASTER = otter.assignments_dir() / A1 / f"{A1}.ipynb"


def solution_cells(path: Path = MASTER) -> dict[str, str]:
    """Function name -> source of each solution cell of a master notebook."""
    nb = nbformat.read(path, as_version=4)
    out, inside = {}, False
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.strip().startswith("# BEGIN SOLUTION"):
            inside = True
        elif cell.cell_type == "raw" and cell.source.strip().startswith("# END SOLUTION"):
            inside = False
        elif inside and cell.cell_type == "code":
            name = re.match(r"def (\w+)", cell.source).group(1)
            out[name] = cell.source
    return out


SOLUTION = "\n\n".join(solution_cells().values())


def learner(*edits: tuple[str, str], extra: str = "") -> dict:
    """The master solution with ``(old, new)`` edits (first occurrence each), executed."""
    src = SOLUTION
    for old, new in edits:
        assert old in src, f"solution text changed, update the test: {old!r}"
        src = src.replace(old, new, 1)
    ns: dict = {"np": np}
    exec(compile(src + "\n" + extra, "<learner>", "exec"), ns)
    return ns


STEP_ZR = ("z = sigmoid(x_z + h_prev @ U_z + c_z)\n    r = sigmoid(x_r + h_prev @ U_r + c_r)")
STEP_RETURN = "return z * h_prev + (1 - z) * h_tilde"
STEP_BIASES = ("if reset_after:\n        b_in, b_rec = bias[0], bias[1]\n    else:\n"
               "        b_in, b_rec = bias, np.zeros_like(bias)")


def submission(student_nb: Path, dest: Path, edits=(), cells=(), checks=()) -> None:
    """The student notebook with the master's (edited) solutions filled in.

    ``checks``: (question, source) pairs appended to that question's
    ``grader.check`` cell.
    """
    sol = solution_cells()
    nb = nbformat.read(student_nb, as_version=4)
    for cell in nb.cells:
        if "otter_answer_cell" in cell.metadata.get("tags", []):
            name = re.match(r"def (\w+)", cell.source).group(1)
            src = sol[name]
            for old, new in edits:
                src = src.replace(old, new, 1)
            cell.source = src
        for question, extra in checks:
            if cell.source.strip() == f'grader.check("{question}")':
                cell.source += "\n" + extra
    for index, source in cells:
        nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    nbformat.write(nb, dest)

