"""Committed prose and code hold no stray control characters.

A backslash escape written into a non-raw Python string (``"\\approx"``,
``"\\tilde"``) lands in a Markdown file as a bell or a tab and breaks its math;
this scan finds any such character in the files a reader opens.
"""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def committed_text_files() -> list[Path]:
    files = subprocess.run(["git", "ls-files", "*.md", "*.py", "*.ipynb", "*.txt"],
                           cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / f for f in files.stdout.split()]


def test_the_scan_sees_the_docs():
    names = {p.name for p in committed_text_files()}
    assert {"README.md", "answer_key.md", "teachers_guide.md"} <= names


def test_no_control_characters():
    bad = []
    for path in committed_text_files():
        text = path.read_text(errors="replace")
        bad += [f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1} "
                f"{m.group()!r}" for m in CONTROL.finditer(text)]
    assert not bad, "control characters (an escape in a non-raw string?): " + ", ".join(bad)
