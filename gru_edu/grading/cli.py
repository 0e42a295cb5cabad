"""The teacher's subcommands of ``python -m gru_edu``: list, generate, release, grade, autograder-env.

Each is a thin layer over its module (:mod:`.otter`, :mod:`.release`,
:mod:`.containers`) that turns a user's mistake into a one-line error and
exit code 2 instead of a traceback.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

__all__ = ["add_teacher_parsers"]


def _fail(err: BaseException) -> int:
    print(f"error: {err}", file=sys.stderr)
    return 2


def _list(args: argparse.Namespace) -> int:
    from .otter import list_assignments

    print("\n".join(list_assignments()))
    return 0


def _generate(args: argparse.Namespace) -> int:
    from .otter import generate, masters

    try:
        for name in args.names or list(masters()):
            generate(name, args.out, run_tests=args.run_tests)
    except (ValueError, RuntimeError) as err:
        return _fail(err)
    return 0


def _grade(args: argparse.Namespace) -> int:
    from .otter import grade

    try:
        grade(args.name, args.submissions, args.out, args.autograder, args.cell_timeout,
              args.timeout, args.workers, test_timeout=args.test_timeout,
              memory_mb=args.memory or None, cpu_seconds=args.cpu_seconds)
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        return _fail(err)
    return 0


def _release(args: argparse.Namespace) -> int:
    from .release import release

    try:
        release(args.out, args.student_repo, force=args.force)
    except (FileExistsError, RuntimeError, ValueError) as err:
        return _fail(err)
    return 0


def _autograder_env(args: argparse.Namespace) -> int:
    from .containers import GRADING_PACKAGES, add_grading_environment

    try:
        path = add_grading_environment(args.autograder, args.package, args.out, args.python)
    except (ValueError, OSError, zipfile.BadZipFile) as err:
        return _fail(err)
    print(f"wrote {path}: environment.yml now installs {args.package} and "
          f"{', '.join(GRADING_PACKAGES)}")
    return 0


def add_teacher_parsers(sub: argparse._SubParsersAction) -> None:
    """Register the teacher's subcommands on ``python -m gru_edu``'s parser."""
    from .otter import (CELL_TIMEOUT, MEMORY_MB, SUBMISSION_TIMEOUT, TEST_TIMEOUT,
                        default_workers)

    p = sub.add_parser("list", help="list the assignments, their questions and points")
    p.set_defaults(run=_list)
    p = sub.add_parser("generate", help="write each assignment's student notebook and "
                                        "autograder from its master (otter assign)")
    p.add_argument("names", nargs="*", help="assignments (default: all)")
    p.add_argument("--out", default=None, help="output folder (default: dist/assignments)")
    p.add_argument("--run-tests", action="store_true",
                   help="also let otter execute the master against the autograder")
    p.set_defaults(run=_generate)
    p = sub.add_parser("release", help="write the tree students receive: notebooks, student "
                                       "assignments, package; no solutions")
    p.add_argument("--out", type=Path, required=True, help="folder to write (empty or new)")
    p.add_argument("--student-repo", required=True,
                   help="URL of the students' repository the tree is pushed to "
                        "(the Colab cell installs from it)")
    p.add_argument("--force", action="store_true", help="replace a non-empty --out")
    p.set_defaults(run=_release)
    g = sub.add_parser("grade", help="grade a folder of submissions (an LMS bulk download) "
                                     "into a gradebook and feedback files")
    g.add_argument("name", help="assignment name (see list)")
    g.add_argument("submissions", help="folder: STUDENT.ipynb|zip, Canvas or Moodle names, "
                                       "flat or one folder per student")
    g.add_argument("--out", default=None, help="output folder (default: dist/grades/NAME)")
    g.add_argument("--autograder", help="autograder.zip (default: the generated one)")
    g.add_argument("--workers", type=int, default=default_workers(),
                   help="submissions graded at once, each in its own process "
                        "(default: the CPU count, %(default)s here)")
    g.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT,
                   help="seconds per notebook cell")
    g.add_argument("--timeout", type=int, default=SUBMISSION_TIMEOUT,
                   help="seconds per submission")
    g.add_argument("--test-timeout", type=int, default=TEST_TIMEOUT,
                   help="seconds for each question's tests")
    g.add_argument("--memory", type=int, default=MEMORY_MB,
                   help="address-space limit per submission in MiB, 0 for none")
    g.add_argument("--cpu-seconds", type=int, default=None,
                   help="CPU-time limit per submission (default: --timeout times the CPUs)")
    g.set_defaults(run=_grade)
    a = sub.add_parser("autograder-env", help="add gru_edu and its libraries to an "
                                              "autograder.zip (Gradescope, otter grade)")
    a.add_argument("autograder", type=Path, help="an autograder.zip from generate")
    a.add_argument("--package", required=True,
                   help='pip requirement for gru_edu, e.g. '
                        '"gru-edu @ git+https://github.com/you/gru-edu-students@v1.0"')
    a.add_argument("--out", type=Path, default=None, help="write a copy here (default: in place)")
    a.add_argument("--python", default=None,
                   help="Python of the grading environment (default: binder/runtime.txt)")
    a.set_defaults(run=_autograder_env)
