"""The teacher's guide is true: every shell command in it runs, in order, on a copy
of the repository; its sizes, times and tool flags agree with the logs and the
installed tools."""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "teachers_guide.md"
STUDENT_REPO = "https://github.com/example/gru-edu-students"
A1 = "a1_gru_from_scratch"
DOCS = [ROOT / "README.md", ROOT / "deploy" / "README.md", GUIDE,
        ROOT / "notebooks" / "lesson_plan.md", ROOT / "notebooks" / "README.md"]


def guide_commands(path: Path = GUIDE) -> list[str]:
    """The shell commands of the ```bash blocks, in order (continuations joined)."""
    text = path.read_text()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if line:
                commands.append(line)
    return commands


def _copy_checkout(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for rel in files:
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def _lms_download(teacher: Path, home: Path) -> None:
    """What Canvas's "Download Submissions" gives for two students of A1."""
    dist = teacher / "dist" / "assignments" / A1
    (home / "Downloads").mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(home / "Downloads" / "submissions.zip", "w") as z:
        z.write(dist / "autograder" / f"{A1}.ipynb", f"doejane_1001_5001_{A1}.ipynb")
        z.write(dist / "student" / f"{A1}.ipynb", f"roesam_late_1002_5002_{A1}.ipynb")


def test_each_command_of_the_guide_appears_once():
    commands = guide_commands()
    subcommands = [re.match(r"python -m gru_edu (\S+)", c).group(1)
                   for c in commands if c.startswith("python -m gru_edu ")]
    assert len(subcommands) == len(set(subcommands)), subcommands
    assert {"list", "generate", "release", "hub-link", "grade", "autograder-env"} <= set(
        subcommands)


def test_every_shell_command_of_the_guide_runs(tmp_path):
    teacher, home, remote = tmp_path / "teacher", tmp_path / "home", tmp_path / "remote.git"
    teacher.mkdir()
    _copy_checkout(teacher)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    env = dict(os.environ, HOME=str(home), PYTHONPATH=str(teacher), GRU_EDU_FAST="1",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
               GIT_AUTHOR_NAME="Teacher", GIT_AUTHOR_EMAIL="t@example.edu",
               GIT_COMMITTER_NAME="Teacher", GIT_COMMITTER_EMAIL="t@example.edu")
    outputs = {}
    for command in guide_commands():
        if "submissions.zip" in command:
            _lms_download(teacher, home)
        run = command
        if "git push" in command:  # the example repository is a local bare one here
            run = command.replace(f"git push -q {STUDENT_REPO}", f"git push -q {remote}")
            assert run != command
        done = subprocess.run(["bash", "-c", run], cwd=teacher, env=env, capture_output=True,
                              text=True, timeout=900)
        assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
        outputs[command] = done.stdout
    # what each step was for
    assert A1 in next(o for c, o in outputs.items() if c.endswith("gru_edu list"))
    students = tmp_path / "gru-edu-students"
    assert (students / "notebooks" / "assignments" / A1 / f"{A1}.ipynb").exists()
    pushed = subprocess.run(["git", "--git-dir", str(remote), "ls-tree", "-r", "--name-only",
                             "main"], capture_output=True, text=True, check=True).stdout
    assert "README.md" in pushed and "answer_key" not in pushed
    link = next(o for c, o in outputs.items() if "hub-link" in c)
    assert "targetpath=gru-edu-students" in link
    with open(teacher / "grades" / "a1" / "gradebook.csv", newline="") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert rows["1001"]["score"] == rows["1001"]["max_score"] != "0"
    assert rows["1001"]["status"] == "graded"
    assert rows["1002"]["score"] == "0" and rows["1002"]["message"] == "late"
    assert (teacher / "grades" / "a1" / "feedback" / "1002.html").exists()
    with zipfile.ZipFile(teacher / "dist" / "assignments" / A1 / "autograder" /
                         "autograder.zip") as z:
        assert "gru-edu-students@main" in z.read("environment.yml").decode()


# ---------------------------------------------------------------- flags and names

def _help(cmd: list[str]) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300).stdout


def _flags(command: str) -> list[str]:
    try:
        words = shlex.split(command)
    except ValueError:  # a quote closed on the next line of the page
        words = command.split()
    return [w.split("=")[0] for w in words if w.startswith("-")]


def test_otter_flags_in_the_docs_exist_in_the_installed_otter():
    otter = Path(sys.executable).parent / "otter"
    found = 0
    for doc in DOCS:
        for sub, rest in re.findall(r"`otter (grade|run|assign|generate) ([^`]*)`",
                                    doc.read_text()):
            text = _help([str(otter), sub, "--help"])
            for flag in _flags(rest):
                found += 1
                assert re.search(rf"(^|[\s,]){re.escape(flag)}[\s,]", text), (doc.name, flag)
    assert found  # the deploy guide quotes otter grade's flags


def test_gru_edu_flags_in_the_docs_exist():
    from gru_edu.__main__ import _parser

    sub = next(a for a in _parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    for doc in DOCS:
        text = doc.read_text().replace("\\\n", " ")
        for name, rest in re.findall(r"python -m gru_edu ([a-z][a-z-]*)([^`\n]*)", text):
            assert name in sub.choices, (doc.name, name)
            known = {o for a in sub.choices[name]._actions for o in a.option_strings}
            for flag in _flags(rest.split("#")[0].replace("\\", " ")):
                assert flag in known, (doc.name, name, flag)


def test_jupyter_server_settings_in_the_deploy_guide_exist():
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

    text = (ROOT / "deploy" / "README.md").read_text()
    block = text[text.index("MappingKernelManager:"):].split("\n")
    keys = []
    for line in block[1:]:
        m = re.match(r"\s+(\w+):", line)
        if not m:
            break
        keys.append(m.group(1))
    assert {"cull_idle_timeout", "cull_interval", "cull_connected"} <= set(keys)
    for key in keys:
        assert MappingKernelManager.class_traits().get(key) is not None, key


# ---------------------------------------------------------------- numbers from the logs

def _peaks() -> dict[tuple[str, str], dict]:
    log = json.loads((ROOT / "benchmarks" / "logs" / "kernel_resources.json").read_text())
    return {(Path(r["notebook"]).stem, r["setting"]): r for r in log["runs"] if r["ok"]}


def _mib(x: float) -> str:
    return f"{x:,.0f} MiB"


def expected_sizing(students: int = 300) -> str:
    """The guide's sizing lines, computed from kernel_resources.json."""
    log = json.loads((ROOT / "benchmarks" / "logs" / "kernel_resources.json").read_text())
    su = log["singleuser"]
    peaks = _peaks()
    heavy = Path(su["heaviest"]).stem
    full = sorted(((r["peak_rss_mib"], nb) for (nb, s), r in peaks.items() if s == "full"),
                  reverse=True)
    (p1, n1), (p2, n2) = full[0], full[1]
    at_once_full = students * peaks[(heavy, "full")]["peak_rss_mib"] / 1024
    at_once_fast = students * peaks[(heavy, "fast")]["peak_rss_mib"] / 1024
    return "\n".join([
        f"- One notebook: the heaviest is `{heavy}` in the full setting, "
        f"{_mib(su['heaviest_peak_mib'])} at its peak; the median notebook peaks at "
        f"{_mib(su['median_peak_mib'])}.",
        f"- Two kernels per student (the previous notebook still open): up to "
        f"{_mib(p1 + p2)} (`{n1}` and `{n2}`, full setting), above the "
        f"{su['mem_limit_gib']:g} G limit per student — ask students to shut the previous "
        "notebook's kernel down (Kernel → Shut Down Kernel) before opening the next, and let "
        "the culler stop forgotten ones.",
        f"- A whole class of {students} starting `{heavy}` at once: {at_once_full:,.0f} GiB "
        f"of memory at the peak in the full setting, {at_once_fast:,.0f} GiB in the fast "
        f"setting; with the guarantee of {su['mem_guarantee_gib']:g} G per student the hub "
        f"must hold {students * su['mem_guarantee_gib']:,.0f} GiB and "
        f"{students * su['cpu_guarantee']:,.0f} CPU cores for {students} students before "
        "anyone runs anything.",
    ])


def _between(text: str, start: str, end: str) -> str:
    return text[text.index(start) + len(start):text.index(end)].strip()


def test_guide_sizing_is_computed_from_the_log():
    text = GUIDE.read_text()
    assert _between(text, "<!-- sizing:start -->", "<!-- sizing:end -->") == expected_sizing()
    fits = sorted(nb for nb in {n for n, _ in _peaks()}
                  if all(_peaks()[(nb, s)]["peak_rss_mib"] <= 2048 for s in ("fast", "full")))
    assert _between(text, "<!-- binder-fits -->", "<!-- /binder-fits -->") == ", ".join(fits)


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def expected_times() -> dict[str, str]:
    """Notebook -> "fast / full" wall time, from notebook_times.json (last run of each)."""
    log = json.loads((ROOT / "benchmarks" / "logs" / "notebook_times.json").read_text())
    last = {(Path(r["notebook"]).stem, r["setting"]): r["seconds"] for r in log["runs"]
            if r["ok"]}
    names = sorted({n for n, _ in last})
    return {n: f"{_duration(last[(n, 'fast')])} / {_duration(last[(n, 'full')])}"
            for n in names}


def test_lesson_plan_quotes_the_timing_log():
    text = (ROOT / "notebooks" / "lesson_plan.md").read_text()
    for name, times in expected_times().items():
        assert f"| `{name}` | {times} |" in text, (name, times)


def expected_render_minutes() -> str:
    """The learner's path run top to bottom (what render executes), both logs, fast."""
    sums = []
    for log_name, key in (("notebook_times", "seconds"), ("kernel_resources", "wall_seconds")):
        log = json.loads((ROOT / "benchmarks" / "logs" / f"{log_name}.json").read_text())
        last = {Path(r["notebook"]).stem: r[key] for r in log["runs"]
                if r["setting"] == "fast" and re.match(r"\d\d_", Path(r["notebook"]).name)}
        sums.append(sum(last.values()) / 60)
    return f"{min(sums):.0f}–{max(sums):.0f} min"


def test_render_time_is_quoted_from_the_logs():
    deploy = (ROOT / "deploy" / "README.md").read_text()
    assert "a few minutes" not in deploy
    assert f"{expected_render_minutes()} in the fast setting" in deploy
    from gru_edu.__main__ import _parser

    sub = next(a for a in _parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    text = re.sub(r"\s+", " ", sub.choices["render"].format_help())
    assert f"({expected_render_minutes()} on 2 cores, measured)" in text


def test_every_notebook_exercise_has_an_answer():
    import nbformat

    key = (ROOT / "notebooks" / "assignments" / "answer_key.md").read_text()
    for nb_path in sorted((ROOT / "notebooks").glob("0[1-7]_*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        text = next(c.source for c in nb.cells if "## Exercises" in c.source)
        text = text[text.index("## Exercises"):].split("\n## ")[0]
        count = len(re.findall(r"^\d+\. ", text, re.M))
        section = key[key.index(f"## Notebook {nb_path.name[:2]}"):]
        section = section.split("\n## ")[0]
        answers = re.findall(r"^\*\*(\d+)\. ", section, re.M)
        assert answers == [str(i) for i in range(1, count + 1)], (nb_path.name, answers)


@pytest.mark.parametrize("page", ["README.md", "notebooks/README.md"])
def test_learners_pages_do_not_link_to_the_masters(page):
    text = (ROOT / page).read_text()
    for name in ("a1_gru_from_scratch", "a2_imdb_gru", "a3_reading_the_gates"):
        assert f"{name}/{name}.ipynb)" not in text, (page, name)
    assert "answer_key.md" not in (ROOT / "notebooks" / "README.md").read_text()


def test_guide_names_every_gradebook_status():
    from gru_edu.grading.gradebook import STATUSES

    table = GUIDE.read_text().split("| status | meaning | score |")[1].split("\n\n")[0]
    named = set(re.findall(r"`([a-z_]+)`", table))
    assert named == set(STATUSES)


def expected_grading_time() -> str:
    """The guide's sentence on grading a class, from benchmarks/logs/bench_grading.json."""
    log = json.loads((ROOT / "benchmarks" / "logs" / "bench_grading.json").read_text())
    run = log["runs"][-1]
    load = (log["machine"]["load_average_at_start"], log["machine"]["load_average_at_end"])
    return (f"{run['submissions']} A1 submissions took {run['wall_seconds'] / 60:.0f} min "
            f"with {run['workers']} workers on {log['machine']['cores']} cores "
            f"({run['seconds_per_submission_wall']:.1f} s each; load average "
            f"{load[0]:g} → {load[1]:g} from other work on the machine)")


def test_guide_quotes_the_grading_benchmark():
    text = re.sub(r"\s+", " ", GUIDE.read_text())
    assert expected_grading_time() in text
