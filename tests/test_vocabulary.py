"""One vocabulary for the gates, everywhere.

The update gate **keeps** the old state (z near 1) or **writes** the
candidate (z near 0); the reset gate lets the candidate **read** the old
state (r near 1) or **ignore** it (r near 0). "Open" and "closed" mean
opposite things in different books (z near 1 is an "open" memory path to
one author and a "closed" gate to another), so they are not used for a gate.

The test scans every notebook (markdown and code: prose, labels, colour
bars, widget text) and every module of ``gru_edu`` (docstrings, messages,
names), and fails on "open"/"close"/"shut" within a short distance of a
word that names a gate. "Close to" (a distance) and calls such as
``tarfile.open(`` or ``bar.close()`` are not gate words and pass.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").rglob("*.ipynb"))
MODULES = sorted((REPO / "gru_edu").rglob("*.py"))
DOCS = [REPO / "README.md", *sorted((REPO / "notebooks").rglob("*.md"))]

# open/opens/opened/opening/opener, close/closes/closed/closing, shut(s):
# not "close to", "closely", "closer"; not a call or a method (".open(").
BANNED = re.compile(
    r"(?<![.\w])(open(?:s|ed|ing)?|clos(?:e|es|ed|ing)|shut(?:s|ting)?)"
    r"(?![\w(])(?!\s+to\b)",
    re.IGNORECASE,
)
# words that name a gate or its value
GATE = re.compile(
    r"\b(gates?|gating|z|r|z_t|r_t|b_z|b_r|update|reset)\b|\$[zr]\$"
)
WINDOW = 80  # characters on either side of a banned word, within a sentence
SENTENCE_END = re.compile(r"[.!?;]\s|```|\n\s*\n")


def _texts(path: Path) -> list[tuple[str, str]]:
    """(where, text) pairs: one per notebook cell, or the whole file."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return [(f"cell {i} ({c.get('id')})", "".join(c["source"]))
                for i, c in enumerate(cells)]
    return [("file", path.read_text(encoding="utf-8"))]


def gate_words_near_banned(text: str) -> list[str]:
    """Snippets where "open"/"close"/"shut" sits next to a gate word."""
    hits = []
    for m in BANNED.finditer(text):
        before = text[max(0, m.start() - WINDOW):m.start()]
        after = text[m.end():m.end() + WINDOW]
        before = SENTENCE_END.split(before)[-1]  # same sentence only
        after = SENTENCE_END.split(after)[0]
        if GATE.search(before) or GATE.search(after):
            hits.append(re.sub(r"\s+", " ", before + m.group() + after))
    return hits


@pytest.mark.parametrize(
    "path", NOTEBOOKS + MODULES + DOCS,
    ids=lambda p: str(p.relative_to(REPO)))
def test_gates_keep_write_read_ignore(path):
    found = [f"{where}: ...{snippet}..."
             for where, text in _texts(path)
             for snippet in gate_words_near_banned(text)]
    assert not found, (
        f"{path.name} says open/closed about a gate; say keep / write (z) "
        "or read / ignore (r) instead:\n" + "\n".join(found))


def test_the_scan_finds_what_it_should():
    # the detector itself: flags gate talk, leaves other uses alone
    assert gate_words_near_banned("the update gate opens at 'but'")
    assert gate_words_near_banned("with the gate shut the signal is gone")
    assert gate_words_near_banned("$r$ closes and U_h stops mattering")
    assert gate_words_near_banned('print("z opens widest at:")')
    assert not gate_words_near_banned("z stays close to 1 for long")
    assert not gate_words_near_banned("the gate keeps; tarfile.open(path)")
    assert not gate_words_near_banned("Open the notebook you were given.")
    assert not gate_words_near_banned("It opens the model. Its gates: z, r.")
