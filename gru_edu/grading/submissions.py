"""What a learning-management system hands a teacher, sorted into one file per student.

A bulk download names each file after its student:

* plain: ``STUDENT.ipynb`` or ``STUDENT.zip`` (otter's export), or a folder
  ``STUDENT/`` holding the notebook (and, for A2, the files it saved);
* Canvas: ``<name>_<userid>_<submissionid>_<file>``, with ``_late`` after the
  name for a late hand-in (``doejane_late_12345_67890_a1.ipynb``) and ``-N``
  before the extension for a resubmitted file;
* Moodle: ``<Full Name>_<participantid>_assignsubmission_file_<file>``, flat or
  as one folder per student named ``<Full Name>_<participantid>_assignsubmission_file_``.

:func:`collect` reads a folder laid out any of these ways and returns one
:class:`Submission` per student — the student id taken from the name (Canvas's
user id, Moodle's participant id, else the file's stem); when a student handed
in several files the newest wins and the message says so — and screens the
file before anything runs it: an empty file, a file that is not a notebook,
a notebook that is not JSON, or a notebook of another assignment gets its own
status and is not graded.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Submission", "parse_name", "collect", "screen", "SCREEN_STATUSES"]

#: Statuses given before grading, each with what it means.
SCREEN_STATUSES = {
    "empty_file": "the file handed in is empty",
    "not_a_notebook": "the file handed in is not a notebook (.ipynb) or a zip holding one",
    "invalid_json": "the notebook is not valid JSON (damaged, or edited outside Jupyter)",
    "wrong_assignment": "the notebook belongs to another assignment",
}

_CANVAS = re.compile(r"^(?P<name>[a-z][a-z0-9]*)(?P<late>_late)?_(?P<uid>\d+)_(?P<sid>\d+)_(?P<file>.+)$")
_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<pid>\d+)_assign(?:submission|feedback)_\w+?_(?P<file>.*)$")
_RESUBMITTED = re.compile(r"-\d+(?=\.[^.]+$)")


@dataclass
class Submission:
    """One student's hand-in: the file to grade, or a status saying why not."""

    student: str
    path: Path
    status: str = "ok"
    message: str = ""
    late: bool = False
    ignored: list[Path] = field(default_factory=list)


def parse_name(name: str) -> tuple[str, str, bool]:
    """``(student id, original file name, late)`` from a bulk-download name.

    >>> parse_name("doejane_late_12345_67890_a1_gru_from_scratch.ipynb")
    ('12345', 'a1_gru_from_scratch.ipynb', True)
    >>> parse_name("Jane Doe_4242_assignsubmission_file_a1.zip")
    ('4242', 'a1.zip', False)
    >>> parse_name("s1234567.ipynb")
    ('s1234567', 's1234567.ipynb', False)
    """
    m = _CANVAS.match(name)
    if m:
        return m["uid"], _RESUBMITTED.sub("", m["file"]), bool(m["late"])
    m = _MOODLE.match(name)
    if m:
        return m["pid"], m["file"], False
    return Path(name).stem if "." in name else name, name, False


def _candidates(folder: Path) -> list[tuple[str, Path, bool]]:
    """(student, path, late) for every file or student folder in ``folder``."""
    found = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith(".") or p.name == "__MACOSX":
            continue
        student, _, late = parse_name(p.name)
        if p.is_dir():
            inner = [q for q in sorted(p.iterdir()) if not q.name.startswith(".")]
            notebooks = [q for q in inner if q.suffix == ".ipynb"]
            if len(notebooks) == 1 and len(inner) > 1 and not any(
                    q.suffix == ".zip" for q in inner):
                found.append((student, p, late))  # a notebook and its files: zipped
            else:
                found += [(student, q, late) for q in inner if q.is_file()]
        elif p.is_file():
            found.append((student, p, late))
    return found


def _gradable(path: Path) -> bool:
    """A notebook, a zip or a student's folder (not a PDF or Moodle's online text)."""
    return path.is_dir() or path.suffix in (".ipynb", ".zip")


def _mtime(path: Path) -> float:
    if path.is_dir():
        return max((q.stat().st_mtime for q in path.rglob("*")), default=path.stat().st_mtime)
    return path.stat().st_mtime


def collect(folder: Path | str, assignment: str | None = None) -> list[Submission]:
    """One screened :class:`Submission` per student found in ``folder``.

    ``assignment``: the name of the assignment being graded; a notebook whose
    otter metadata names another one gets the status ``wrong_assignment``.
    """
    folder = Path(folder)
    items = [(folder.stem, folder, False)] if folder.is_file() else _candidates(folder)
    by_student: dict[str, list[tuple[Path, bool]]] = {}
    for student, path, late in items:
        by_student.setdefault(student, []).append((path, late))
    out = []
    for student, files in sorted(by_student.items()):
        files.sort(key=lambda f: (_gradable(f[0]), _mtime(f[0]), f[0].name))
        path, late = files[-1]
        sub = Submission(student, path, late=late, ignored=[f[0] for f in files[:-1]])
        status, detail = screen(path, assignment)
        if status:
            sub.status, sub.message = status, SCREEN_STATUSES[status] + detail
        if sub.ignored:
            older = ", ".join(p.name for p in sub.ignored)
            note = (f"{len(files)} files handed in; graded the newest, {path.name}"
                    f" (not graded: {older})")
            sub.message = f"{note}; {sub.message}" if sub.message else note
        if late:
            sub.message = f"late; {sub.message}" if sub.message else "late"
        out.append(sub)
    return out


def _notebook_bytes(path: Path) -> bytes | str:
    """The notebook's bytes, or the status that says why there is none."""
    if path.is_dir():
        nbs = sorted(path.glob("*.ipynb"))
        return nbs[0].read_bytes() if nbs else "not_a_notebook"
    if path.stat().st_size == 0:
        return "empty_file"
    if path.suffix == ".ipynb":
        return path.read_bytes()
    if path.suffix == ".zip" and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist()
                     if n.endswith(".ipynb") and not n.startswith("__MACOSX")]
            return z.read(sorted(names, key=len)[0]) if names else "not_a_notebook"
    return "not_a_notebook"


def screen(path: Path, assignment: str | None = None) -> tuple[str | None, str]:
    """``(status, detail)`` that keeps ``path`` from being graded; ``(None, "")`` if it can be."""
    data = _notebook_bytes(path)
    if isinstance(data, str):
        return data, ""
    if not data.strip():
        return "empty_file", ""
    try:
        nb = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        return "invalid_json", ""
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return "not_a_notebook", ""
    meta = nb.get("metadata", {})
    otter_meta = meta.get("otter", {}) if isinstance(meta, dict) else {}
    named = otter_meta.get("assignment_name") if isinstance(otter_meta, dict) else None
    if assignment and named and named != assignment:
        return "wrong_assignment", f" ({named}, not {assignment})"
    return None, ""
