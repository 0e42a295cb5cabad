"""The hub path: repo2docker files, nbgitpuller links, data baked into the image,
autograders for containers."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from gru_edu.__main__ import main
from gru_edu.tools.hub import nbgitpuller_link

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"


def test_link_opens_the_notebook_in_jupyterlab_after_the_pull():
    link = nbgitpuller_link("https://hub.example.edu/", "https://github.com/example/gru-edu",
                            "notebooks/04_gate_explorer.ipynb", branch="spring")
    url = urlparse(link)
    assert (url.scheme, url.netloc, url.path) == ("https", "hub.example.edu",
                                                  "/hub/user-redirect/git-pull")
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query == {"repo": "https://github.com/example/gru-edu", "branch": "spring",
                     "targetpath": "gru-edu",
                     "urlpath": "lab/tree/gru-edu/notebooks/04_gate_explorer.ipynb"}


def test_link_for_voila_and_a_chosen_folder():
    link = nbgitpuller_link("https://hub.example.edu", "https://gitlab.example.edu/t/gru-edu.git",
                            "notebooks/04_gate_explorer.ipynb", interface="voila",
                            folder="course")
    query = {k: v[0] for k, v in parse_qs(urlparse(link).query).items()}
    assert query["urlpath"] == "voila/render/course/notebooks/04_gate_explorer.ipynb"
    assert query["targetpath"] == "course" and query["branch"] == "main"


@pytest.mark.parametrize("repo", [
    "https://github.com/example/gru-edu-students",
    "https://github.com/example/gru-edu-students.git",
    "https://github.com/example/gru-edu-students/",
    "https://gitlab.example.edu/course/gru-edu-students.git/",
])
@pytest.mark.parametrize("interface, prefix", [
    ("lab", "lab/tree"), ("tree", "tree"), ("notebook", "notebooks"), ("voila", "voila/render")])
def test_link_opens_where_nbgitpuller_clones(repo, interface, prefix):
    """A .git URL or a trailing slash would make nbgitpuller's own folder rule
    (``repo.split('/')[-1]``) give 'gru-edu-students.git' or ''; the link names
    the folder itself, so every form opens the same notebook."""
    from gru_edu.tools.hub import nbgitpuller_default_folder

    link = nbgitpuller_link("https://hub.example.edu", repo, "notebooks/01_gru_equations.ipynb",
                            branch="week-3", interface=interface)
    query = {k: v[0] for k, v in parse_qs(urlparse(link).query).items()}
    assert query["targetpath"] == "gru-edu-students" and query["branch"] == "week-3"
    assert query["urlpath"] == f"{prefix}/gru-edu-students/notebooks/01_gru_equations.ipynb"
    assert query["repo"] == repo
    # what nbgitpuller's handler does with these arguments: targetpath wins
    assert query.get("targetpath", nbgitpuller_default_folder(repo)) == "gru-edu-students"
    if repo.endswith((".git", "/")):
        assert nbgitpuller_default_folder(repo) != "gru-edu-students"


@pytest.mark.parametrize("hub, notebook, message", [
    ("hub.example.edu", "notebooks/01_gru_equations.ipynb", "--hub must be an http"),
    ("https://hub.example.edu", "/etc/passwd", "path inside the repository"),
    ("https://hub.example.edu", "../secret.ipynb", "path inside the repository"),
])
def test_link_errors_are_plain(hub, notebook, message, capsys):
    with pytest.raises(ValueError, match=message):
        nbgitpuller_link(hub, "https://github.com/example/gru-edu", notebook)
    code = main(["hub-link", "--hub", hub, "--repo", "https://github.com/example/gru-edu",
                 "--notebook", notebook])
    assert code == 2 and message in capsys.readouterr().err


def test_cli_prints_the_link(capsys):
    assert main(["hub-link", "--hub", "https://hub.example.edu", "--repo",
                 "https://github.com/example/gru-edu", "--notebook",
                 "notebooks/02_numpy_gru_cell.ipynb"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == nbgitpuller_link("https://hub.example.edu",
                                   "https://github.com/example/gru-edu",
                                   "notebooks/02_numpy_gru_cell.ipynb")


def test_repo2docker_files_agree_with_the_project():
    import tomllib

    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert runtime.startswith("python-")
    version = tuple(int(x) for x in runtime.removeprefix("python-").split("."))
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11" and version >= (3, 11)
    reqs = (BINDER / "requirements.txt").read_text().splitlines()
    assert "-r ../requirements.txt" in reqs  # the project's own, `-e .` included
    assert "-e ." in (ROOT / "requirements.txt").read_text().splitlines()
    for script in ("postBuild", "start"):
        mode = (BINDER / script).stat().st_mode
        assert mode & stat.S_IXUSR, f"binder/{script} is not executable"
    post, start = (BINDER / "postBuild").read_text(), (BINDER / "start").read_text()
    assert "python -m gru_edu fetch-data" in post
    # start points the notebooks where postBuild put the archive and the cache
    assert 'KERAS_HOME="$REPO_DIR/.data/keras"' in post
    assert "$REPO_DIR/.data/keras/datasets/aclImdb_v1.tar.gz" in start
    assert 'GRU_EDU_CACHE="$REPO_DIR/.data/cache"' in post
    assert "$REPO_DIR/.data/cache" in start and start.rstrip().endswith('exec "$@"')


def test_cache_folder_can_live_outside_the_artifacts(monkeypatch, tmp_path):
    from gru_edu import imdb

    monkeypatch.setenv("GRU_EDU_CACHE", str(tmp_path / "image-cache"))
    assert imdb.default_cache_dir() == tmp_path / "image-cache"
    monkeypatch.delenv("GRU_EDU_CACHE")
    assert imdb.default_cache_dir().name == "cache"


def test_fetch_data_builds_the_cache_the_notebooks_then_load(monkeypatch, tmp_path, capsys,
                                                            imdb_archive):
    """What postBuild runs, with the local archive (no download here)."""
    from gru_edu import imdb
    from gru_edu.imdb import cache as imdb_cache

    cache = tmp_path / "cache"
    monkeypatch.setenv("GRU_EDU_IMDB_ARCHIVE", str(imdb_archive))
    monkeypatch.setenv("GRU_EDU_CACHE", str(cache))
    assert main(["fetch-data", "--quiet"]) == 0
    out = capsys.readouterr().out
    files = sorted(p.name for p in cache.glob("imdb-*.npz"))
    assert len(files) == 2 and all(name in out for name in files)
    # a notebook's load now comes from that cache, never from the archive
    monkeypatch.setattr(imdb_cache, "read_archive", lambda *a, **k: pytest.fail("re-read"))
    (x_train, _), (x_test, _) = imdb.load_imdb(num_words=1000, maxlen=50, progress=False)
    assert x_train.shape == (25000, 50) and x_test.shape == (25000, 50)


@pytest.fixture(scope="module")
def a1_autograder(tmp_path_factory):
    from gru_edu.grading.otter import generate

    out = tmp_path_factory.mktemp("dist")
    generate("a1_gru_from_scratch", out_dir=out, quiet=True)
    return out / "a1_gru_from_scratch" / "autograder" / "autograder.zip"


def test_autograder_gets_the_package_and_its_libraries(a1_autograder, tmp_path):
    import yaml

    from gru_edu.grading.containers import add_grading_environment, grading_requirements

    spec = "gru-edu @ git+https://github.com/example/gru-edu@v1.0"
    first = add_grading_environment(a1_autograder, spec, out=tmp_path / "a.zip")
    second = add_grading_environment(a1_autograder, spec, out=tmp_path / "b.zip")
    assert first.read_bytes() == second.read_bytes()  # reproducible
    with zipfile.ZipFile(a1_autograder) as before, zipfile.ZipFile(first) as after:
        assert sorted(before.namelist()) == sorted(after.namelist())
        for name in before.namelist():
            if name != "environment.yml":
                assert before.read(name) == after.read(name), name
        env = yaml.safe_load(after.read("environment.yml"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip[-1] == spec and any(p.startswith("otter-grader") for p in pip)
    assert "tensorflow~=2.21.0" in pip and set(grading_requirements()) <= set(pip)
    assert "python=3.11" in env["dependencies"]


def test_autograder_tool_refuses_a_zip_that_is_not_one(tmp_path, capsys):
    bogus = tmp_path / "x.zip"
    with zipfile.ZipFile(bogus, "w") as z:
        z.writestr("hello.txt", "hi")
    assert main(["autograder-env", str(bogus), "--package", "gru-edu"]) == 2
    assert "not an otter autograder" in capsys.readouterr().err
