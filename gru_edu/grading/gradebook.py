"""The grades of a folder of submissions: a gradebook, a table, one feedback file each.

:func:`write` turns the :class:`SubmissionResult` of every student into

* ``gradebook.csv`` — one row per student: ``student``, ``score``,
  ``max_score``, ``status``, ``message``; what an LMS imports (see the
  teacher's guide for Canvas and Moodle);
* ``scores.csv`` — the same students, one column per question;
* ``feedback/STUDENT.md`` and ``feedback/STUDENT.html`` — per question the
  points and what the checks said, public and hidden checks alike, never the
  tests' source and never otter's frames around the messages.

:data:`STATUSES` names every status a row can have.
"""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass, field
from pathlib import Path

from .submissions import SCREEN_STATUSES

__all__ = ["SubmissionResult", "Grades", "STATUSES", "GRADEBOOK_COLUMNS", "write"]

GRADEBOOK_COLUMNS = ("student", "score", "max_score", "status", "message")

#: Every status of a gradebook row, with what it means.
STATUSES = {
    "graded": "graded; the score is what the checks gave",
    "cell_timeout": "graded; a cell ran past its time limit and was stopped",
    "out_of_memory": "graded as far as it ran; a cell or the kernel ran out of memory",
    "kernel_died": "the notebook killed its kernel (os._exit, a crash); nothing could be graded",
    "timed_out": "the submission ran past its whole time limit; nothing could be graded",
    "grader_error": "the grader failed on this submission; see logs/STUDENT.log",
    **SCREEN_STATUSES,
}


@dataclass
class SubmissionResult:
    """One student's row: question -> score, the checks' messages, status and message."""

    student: str
    path: Path
    scores: dict[str, float] = field(default_factory=dict)
    feedback: dict[str, list[str]] = field(default_factory=dict)
    status: str = "graded"
    message: str = ""
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return float(sum(self.scores.values()))

    @property
    def note(self) -> str:
        """Status and message in one line (empty for a plain ``graded``)."""
        if self.status == "graded":
            return self.message
        return f"{self.status}: {self.message}" if self.message else self.status


@dataclass
class Grades:
    """What :func:`gru_edu.grading.otter.grade` returns: questions, points, one row each."""

    name: str
    questions: dict[str, float]
    results: list[SubmissionResult]
    out_dir: Path | None = None

    @property
    def max_total(self) -> float:
        return float(sum(self.questions.values()))

    @property
    def gradebook_path(self) -> Path | None:
        return self.out_dir / "gradebook.csv" if self.out_dir else None

    @property
    def csv_path(self) -> Path | None:
        return self.out_dir / "scores.csv" if self.out_dir else None

    @property
    def feedback_dir(self) -> Path | None:
        return self.out_dir / "feedback" if self.out_dir else None

    def rows(self) -> list[dict[str, object]]:
        """Per student: each question's score, total, max, percent, status and note."""
        out = []
        for r in self.results:
            row: dict[str, object] = {"student": r.student}
            for q in self.questions:
                row[q] = num(r.scores.get(q, 0.0))
            row["total"] = num(r.total)
            row["max"] = num(self.max_total)
            row["percent"] = round(100 * r.total / self.max_total, 1) if self.max_total else 0
            row["status"] = r.status
            row["note"] = r.message
            out.append(row)
        return out

    def table(self) -> str:
        """The scores as aligned text, one line per student."""
        heads = ["student"] + [f"{q} ({num(p)})" for q, p in self.questions.items()]
        heads += [f"total ({num(self.max_total)})", "%", "status"]
        body = [[str(row["student"])] + [str(row[q]) for q in self.questions]
                + [str(row["total"]), str(row["percent"]), str(row["status"])]
                for row in self.rows()]
        widths = [max([len(h)] + [len(b[i]) for b in body]) for i, h in enumerate(heads)]

        def fmt(cells: list[str]) -> str:
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

        return "\n".join([fmt(heads), fmt(["-" * w for w in widths])] + [fmt(b) for b in body])

    def __str__(self) -> str:
        return self.table()


def num(x: float) -> float | int:
    """An int when whole, else rounded to 2 decimals (how scores are shown)."""
    return int(x) if float(x).is_integer() else round(float(x), 2)


def write(grades: Grades, out: Path) -> None:
    """``gradebook.csv``, ``scores.csv`` and ``feedback/`` under ``out``."""
    grades.out_dir = out
    with open(out / "gradebook.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(GRADEBOOK_COLUMNS)
        for r in grades.results:
            writer.writerow([r.student, num(r.total), num(grades.max_total), r.status, r.message])
    rows = grades.rows()
    with open(out / "scores.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["student"])
        writer.writeheader()
        writer.writerows(rows)
    feedback = out / "feedback"
    feedback.mkdir(exist_ok=True)
    for r in grades.results:
        (feedback / f"{r.student}.md").write_text(feedback_markdown(grades, r))
        (feedback / f"{r.student}.html").write_text(feedback_html(grades, r))


def _sections(grades: Grades, r: SubmissionResult) -> list[tuple[str, list[str]]]:
    return [(f"{q}: {num(r.scores.get(q, 0))} / {num(pts)} points",
             r.feedback.get(q) or ["not graded"]) for q, pts in grades.questions.items()]


def feedback_markdown(grades: Grades, r: SubmissionResult) -> str:
    """The feedback a teacher returns to one student, as Markdown."""
    lines = [f"# {grades.name}: feedback for {r.student}", "",
             f"Total: {num(r.total)} / {num(grades.max_total)}", ""]
    if r.status != "graded" or r.message:
        lines += [f"Status: {r.status} — {STATUSES.get(r.status, '')}", ""]
        if r.message:
            lines += [f"Note: {r.message}", ""]
    for title, messages in _sections(grades, r):
        lines += [f"## {title}", ""]
        for text in messages:
            lines += ["```", text.strip(), "```", ""]
    return "\n".join(lines)


def feedback_html(grades: Grades, r: SubmissionResult) -> str:
    """The same feedback as a small self-contained HTML page."""
    esc = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{esc(grades.name)}: {esc(r.student)}</title></head><body>",
             f"<h1>{esc(grades.name)}: feedback for {esc(r.student)}</h1>",
             f"<p>Total: {num(r.total)} / {num(grades.max_total)}</p>"]
    if r.status != "graded" or r.message:
        parts.append(f"<p>Status: {esc(r.status)} — {esc(STATUSES.get(r.status, ''))}"
                     + (f"<br>Note: {esc(r.message)}" if r.message else "") + "</p>")
    for title, messages in _sections(grades, r):
        parts.append(f"<h2>{esc(title)}</h2>")
        parts += [f"<pre>{esc(text.strip())}</pre>" for text in messages]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
