"""The tree students receive: ``python -m gru_edu release --out DIR --student-repo URL``.

A teacher's checkout holds the assignment masters (solutions, hidden tests)
and the answer key; students must never receive them. :func:`release` writes
what students get, to be pushed to a separate student repository that
``hub-link``, Binder and Colab then point at:

* every numbered notebook ``notebooks/NN_*.ipynb``;
* the **student** version of each assignment, generated from its master by
  ``otter assign`` (stubs, public checks), at the master's path;
* the package ``gru_edu/`` (the notebooks and the public checks import it),
  ``pyproject.toml``, ``requirements.txt``, ``binder/`` (repo2docker; its
  ``postBuild`` fetches the data) and a short student ``README.md``.

Every notebook gets a first cell (:func:`colab_cell_source`) that, on Colab
only, installs the package from the student repository and fetches the data
once; anywhere else it does nothing. Nothing else is copied: no master, no
answer key, no autograder zip, no benchmark, no test. :func:`leaks` scans
every file of the tree for each master's solution lines and hidden tests'
source; :func:`release` refuses to finish while it finds any.

Visible by design: notebook 02 builds a NumPy GRU step and forward pass in
the open, and the package's ``gru_edu.cell`` is the reference the checks
compare against. A submission that calls it or execs its source is caught
by ``gru_edu.grading.guard`` and scores nothing for that question; the scan
finds no run of three solution lines of any master in either.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..config import repo_root

__all__ = ["release", "leaks", "secret_lines", "colab_cell_source", "Released",
           "COLAB_CELL_ID"]

COLAB_CELL_ID = "gru-edu-colab-setup"

_PACKAGE_SKIP = ("__pycache__", ".pyc", ".ipynb_checkpoints")
_MIN_LINE = 24  # shorter lines ("return h", "else:") are not a solution's fingerprint
_WINDOW = 3  # consecutive code lines that fingerprint a solution


def colab_cell_source(student_repo: str) -> str:
    """The first cell of every released notebook: set-up on Colab, nothing elsewhere."""
    spec = f"gru-edu @ git+{student_repo.rstrip('/')}"
    return "\n".join([
        "# Colab only: install gru-edu from the course repository and fetch the IMDB",
        "# data once (about 2 minutes). Anywhere else this cell does nothing.",
        "import importlib.util, subprocess, sys",
        "if 'google.colab' in sys.modules and not importlib.util.find_spec('gru_edu'):",
        "    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q',",
        f"                    {spec!r}, 'otter-grader~=7.0', 'ipympl'], check=True)",
        "    subprocess.run([sys.executable, '-m', 'gru_edu', 'fetch-data', '--quiet'],",
        "                   check=True)",
    ])


def _with_colab_cell(src: Path, dest: Path, student_repo: str) -> None:
    nb = json.loads(src.read_text())
    cell = {"cell_type": "code", "execution_count": None, "id": COLAB_CELL_ID,
            "metadata": {"tags": ["colab-setup"]}, "outputs": [],
            "source": colab_cell_source(student_repo).splitlines(keepends=True)}
    nb["cells"] = [c for c in nb["cells"] if c.get("id") != COLAB_CELL_ID]
    nb["cells"].insert(0, cell)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def _student_readme(student_repo: str, notebooks: list[str], assignments: list[str]) -> str:
    lines = ["# GRUs, hands on: the course notebooks", "",
             "Read the notebooks in order; each uses what the one before built.", ""]
    lines += [f"- [`{n}`](notebooks/{n}.ipynb)" for n in notebooks]
    lines += ["", "Assignments (hand in the file the last cell writes):", ""]
    lines += [f"- [`{a}`](notebooks/assignments/{a}/{a}.ipynb)" for a in assignments]
    lines += ["", "## Open them", "",
              "- On your course's JupyterHub: the links your teacher posts.",
              "- On your computer (Python 3.11+):", "",
              "  ```bash",
              "  python3 -m venv .venv && .venv/bin/pip install -r requirements.txt",
              "  .venv/bin/python -m gru_edu fetch-data && .venv/bin/jupyter lab notebooks/",
              "  ```", "",
              "- On Colab: open a notebook from this repository "
              f"(`{student_repo}`) and run its first cell; it installs",
              "  the package and fetches the data once, and does nothing anywhere else.", ""]
    return "\n".join(lines)


@dataclass
class Released:
    """What :func:`release` wrote: the tree's root and its notebooks."""

    root: Path
    notebooks: list[Path]
    assignments: list[Path]


def _copy_package(root: Path, out: Path) -> None:
    def ignore(_dir: str, names: list[str]) -> list[str]:
        return [n for n in names if any(n.endswith(s) or n == s for s in _PACKAGE_SKIP)]

    shutil.copytree(root / "gru_edu", out / "gru_edu", ignore=ignore)
    for name in ("pyproject.toml", "requirements.txt", "LICENSE"):
        if (root / name).exists():
            shutil.copy2(root / name, out / name)
    shutil.copytree(root / "binder", out / "binder")


def release(out: Path | str, student_repo: str, force: bool = False,
            quiet: bool = False) -> Released:
    """Write the students' tree to ``out`` (see the module's docstring).

    ``student_repo`` is the URL of the repository the tree is pushed to (the
    Colab cell installs from it). ``out`` must be empty or absent unless
    ``force``. Raises ``RuntimeError`` naming the file and line if the scan
    finds a solution line or a hidden test in the tree.
    """
    from .otter import generate, masters

    out, root = Path(out), repo_root()
    if out.exists() and any(out.iterdir()):
        if not force:
            raise FileExistsError(f"{out} is not empty; pass --force to replace it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    _copy_package(root, out)
    numbered = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for nb in numbered:
        _with_colab_cell(nb, out / "notebooks" / nb.name, student_repo)
    handed = []
    with tempfile.TemporaryDirectory(prefix="gru-edu-release-") as tmp:
        for name in masters():
            gen = generate(name, Path(tmp), quiet=True)
            dest = out / "notebooks" / "assignments" / name
            for f in sorted(gen.student_dir.iterdir()):
                if f.suffix == ".ipynb":
                    _with_colab_cell(f, dest / f.name, student_repo)
                elif f.is_file():
                    dest.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(f, dest / f.name)
            handed.append(dest / f"{name}.ipynb")
    (out / "README.md").write_text(_student_readme(
        student_repo, [nb.stem for nb in numbered], list(masters())))
    found = leaks(out)
    if found:
        raise RuntimeError("the release holds solutions or hidden tests:\n  "
                           + "\n  ".join(found[:20]))
    if not quiet:
        print(f"wrote {out}: {len(numbered)} notebooks, {len(handed)} student assignments,"
              " the package, requirements and binder/; no master, answer key, hidden test"
              " or autograder; push it to " + student_repo)
    return Released(out, [out / "notebooks" / nb.name for nb in numbered], handed)


def _normalised(source: str) -> list[str]:
    """Code lines without indentation, blank lines, comments and ``# SOLUTION`` marks."""
    out = []
    for line in source.splitlines():
        line = re.sub(r"#\s*(BEGIN |END )?SOLUTION.*$", "", line).strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def _windows(lines: list[str]) -> set[str]:
    """Runs of :data:`_WINDOW` consecutive lines, or a lone line of a fingerprint's length."""
    if len(lines) < _WINDOW:
        return {"\n".join(lines)} if len("".join(lines)) >= _MIN_LINE else set()
    runs = ("\n".join(lines[i:i + _WINDOW]) for i in range(len(lines) - _WINDOW + 1))
    return {r for r in runs if len(r) >= 2 * _MIN_LINE}


def secret_lines(master: Path) -> dict[str, set[str]]:
    """``{"solution": fingerprints, "hidden test": fingerprints}`` of one master.

    Solutions: code between ``# BEGIN SOLUTION`` and ``# END SOLUTION``
    (raw cells around code cells, or comments inside one) and lines marked
    ``# SOLUTION``; each solution is fingerprinted by every run of
    :data:`_WINDOW` consecutive code lines (one line alone is often an idiom
    other code shares: ``batch, time, _ = x.shape``). Hidden tests: every code
    line (:data:`_MIN_LINE` characters or more) of the cells of a ``# BEGIN
    TESTS`` block whose config says ``hidden: true``.
    """
    nb = json.loads(master.read_text())
    solution: set[str] = set()
    hidden: set[str] = set()
    in_solution = in_tests = False
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        head = src.strip()
        if cell["cell_type"] == "raw":
            in_solution = head.startswith("# BEGIN SOLUTION") or (
                in_solution and not head.startswith("# END SOLUTION"))
            in_tests = head.startswith("# BEGIN TESTS") or (
                in_tests and not head.startswith("# END TESTS"))
            continue
        if cell["cell_type"] != "code":
            continue
        if in_solution:
            solution |= _windows(_normalised(src))
        elif in_tests and re.search(r"^\s*hidden:\s*true", src, re.M):
            hidden |= {line for line in _normalised(src) if len(line) >= _MIN_LINE}
        else:
            block: list[str] = []
            inside = False
            for line in src.splitlines():
                mark = line.strip()
                if mark.startswith("# BEGIN SOLUTION"):
                    inside, block = True, []
                elif mark.startswith("# END SOLUTION"):
                    inside = False
                    solution |= _windows(_normalised("\n".join(block)))
                elif inside:
                    block.append(line)
                elif re.search(r"#\s*SOLUTION", line):
                    solution |= _windows(_normalised(line))
    return {"solution": solution, "hidden test": hidden}


def leaks(tree: Path | str, masters_dir: Path | None = None) -> list[str]:
    """``"file: kind of master: first line"`` for each secret found in ``tree``.

    What the generated student notebook shows anyway (a signature, a prompt,
    a public test) is no secret. Every file that reads as text is scanned,
    notebooks as their cell sources and metadata.
    """
    from .otter import masters

    tree = Path(tree)
    secrets: list[tuple[str, str]] = []
    for name, master in masters(masters_dir).items():
        student = tree / "notebooks" / "assignments" / name / f"{name}.ipynb"
        public = "\n".join(_normalised(_notebook_text(student))) if student.exists() else ""
        for kind, prints in secret_lines(master).items():
            secrets += [(f"{kind} of {name}", p) for p in sorted(prints) if p not in public]
    found = []
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        rel = path.relative_to(tree).as_posix()
        text = _notebook_text(path) if path.suffix == ".ipynb" else _text(path)
        if text is None:
            continue
        lines = _normalised(text)
        joined = "\n".join(lines)
        for label, secret in secrets:
            if secret in joined:
                first = secret.splitlines()[0]
                found.append(f"{rel}: {label}: {first}")
    return found


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data[:4096]:
        return None
    try:
        return data.decode()
    except UnicodeDecodeError:
        return None


def _notebook_text(path: Path) -> str:
    try:
        nb = json.loads(path.read_text())
        cells = nb["cells"]
    except (ValueError, KeyError, UnicodeDecodeError):
        return _text(path) or ""
    meta = json.dumps(nb.get("metadata", {}))
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
               for c in cells]
    return "\n".join(sources) + "\n" + meta.replace("\\n", "\n")
