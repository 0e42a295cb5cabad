"""Make an ``autograder.zip`` grade in a container (Gradescope, ``otter grade``).

``python -m gru_edu generate`` writes an autograder whose
tests call :mod:`gru_edu.grading`. Gradescope and ``otter grade`` build a
fresh container from the zip (its ``setup.sh`` creates the conda environment
``otter-env`` from the zip's ``environment.yml``), and otter's default
``environment.yml`` holds otter only: there ``import gru_edu`` fails. This
adds what grading needs to that file — the package itself (a pip
requirement: a git URL with a tag, or a wheel placed in the zip) and the
libraries it uses at grading time (TensorFlow, Keras, NumPy, …, the ranges of
the project's ``requirements.txt``), on the Python of ``binder/runtime.txt``::

    python -m gru_edu autograder-env dist/assignments/a2_imdb_gru/autograder/autograder.zip \\
        --package "gru-edu @ git+https://github.com/example/gru-edu-students@v1.0"

The zip is rewritten in place (``--out`` writes a copy), entries sorted and
dated as ``generate`` writes them, so the same inputs give the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from .. import config

__all__ = ["GRADING_PACKAGES", "grading_requirements", "add_grading_environment"]

#: What the tests import at grading time (the notebook-only and test-only
#: packages of requirements.txt — JupyterLab, ipympl, pytest, playwright,
#: voila — are not needed in a grading container).
GRADING_PACKAGES = ("tensorflow", "keras", "numpy", "matplotlib", "ipywidgets",
                    "tqdm", "threadpoolctl")


def grading_requirements(requirements: Path | None = None) -> list[str]:
    """The lines of ``requirements.txt`` for :data:`GRADING_PACKAGES`, ranges kept."""
    path = requirements or config.repo_root() / "requirements.txt"
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.match(r"([A-Za-z0-9_.\-]+)", line)
        if match and match.group(1).lower() in GRADING_PACKAGES:
            found[match.group(1).lower()] = line
    missing = [p for p in GRADING_PACKAGES if p not in found]
    if missing:
        raise ValueError(f"{path} does not list {', '.join(missing)}")
    return [found[p] for p in GRADING_PACKAGES]


def _python_version() -> str:
    runtime = config.repo_root() / "binder" / "runtime.txt"
    text = runtime.read_text().strip() if runtime.exists() else "python-3.11"
    return text.removeprefix("python-")


def _with_pip(env: dict[str, Any], extra: list[str]) -> dict[str, Any]:
    deps = list(env.get("dependencies") or [])
    for dep in deps:
        if isinstance(dep, dict) and "pip" in dep:
            pip_list = dep["pip"]
            break
    else:
        pip_list = []
        deps.append({"pip": pip_list})
    names = {re.match(r"[A-Za-z0-9_.\-]+", d).group(0).lower() for d in extra
             if re.match(r"[A-Za-z0-9_.\-]+", d)}
    pip_list[:] = [d for d in pip_list
                   if re.match(r"[A-Za-z0-9_.\-]+", d).group(0).lower() not in names] + extra
    env["dependencies"] = deps
    return env


def add_grading_environment(autograder: str | Path, package: str,
                            out: str | Path | None = None,
                            python: str | None = None) -> Path:
    """Add gru_edu and its grading libraries to the zip's ``environment.yml``.

    ``package`` is a pip requirement for gru_edu (``"gru-edu @
    git+https://…@TAG"``). Returns the path written. Raises ``ValueError``
    for a zip without ``environment.yml`` (not an otter autograder).
    """
    import yaml

    src = Path(autograder)
    with zipfile.ZipFile(src) as z:
        entries = {info.filename: z.read(info) for info in z.infolist()}
    if "environment.yml" not in entries:
        raise ValueError(f"{src} has no environment.yml: not an otter autograder zip")
    env = yaml.safe_load(entries["environment.yml"]) or {}
    py = python or _python_version()
    env["dependencies"] = [f"python={py}" if isinstance(d, str) and d.startswith("python")
                           else d for d in env.get("dependencies") or []]
    env = _with_pip(env, grading_requirements() + [package])
    entries["environment.yml"] = yaml.safe_dump(env, sort_keys=False).encode()
    dest = Path(out) if out else src
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if name in ("run_autograder", "setup.sh")
                                  else 0o644) << 16
            z.writestr(info, entries[name])
    dest.write_bytes(buf.getvalue())
    return dest
