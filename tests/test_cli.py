"""The teacher's commands of python -m gru_edu (gru_edu.grading.cli): one command line, each default in its help."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


from gru_edu.__main__ import _parser, main
from gru_edu.grading import otter

ROOT = Path(__file__).resolve().parent.parent


def _options(parser):
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sub.choices


def test_every_command_is_a_subcommand_with_defaults_in_its_help():
    commands = _options(_parser())
    assert {"train", "render", "hub-link", "fetch-data", "list", "generate", "grade",
            "release", "autograder-env"} <= set(commands)
    for name, parser in commands.items():
        options = parser.format_help().split("options:", 1)[1]
        entries = {e.split()[0].rstrip(","): e for e in options.split("\n  -")[1:]}
        for action in parser._actions:
            if action.option_strings and action.default not in (None, False, "==SUPPRESS=="):
                flag = action.option_strings[0].lstrip("-")
                entry = entries["-" + flag] if "-" + flag in entries else entries[flag]
                assert "default" in entry, (name, flag, entry)


def test_old_entry_points_are_gone():
    for module in ("gru_edu.assign", "gru_edu.grading.otter", "gru_edu.grading.containers"):
        run = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True,
                             text=True, timeout=120)
        assert "usage:" not in run.stdout, module
    assert not (ROOT / "gru_edu" / "assign.py").exists()
    callers = [p for p in ROOT.rglob("*") if p.suffix in (".md", ".py", ".txt", ".ipynb")
               and ".git" not in p.parts and "dist" not in p.parts]
    old = re.compile(r"python -m gru_edu\.(assign|grading\.otter|grading\.containers)\b")
    stale = [p for p in callers if old.search(p.read_text(errors="replace"))]
    assert stale == [], stale


def test_list_names_every_assignment(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in otter.masters())

