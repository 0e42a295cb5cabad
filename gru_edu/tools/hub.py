"""Links that open a notebook of the collection on a JupyterHub (nbgitpuller).

A teacher posts one link per lesson. When a student clicks it, the hub logs
them in and starts their server, and `nbgitpuller
<https://nbgitpuller.readthedocs.io>`_ (installed in the hub's image) clones
the repository into their home folder — or, if they have it already, pulls
the teacher's new commits while keeping the student's own edits — and opens
the notebook. ``python -m gru_edu hub-link`` prints such a link::

    python -m gru_edu hub-link --hub https://hub.example.edu \\
        --repo https://github.com/example/gru-edu \\
        --notebook notebooks/04_gate_explorer.ipynb

The link has the form
``<hub>/hub/user-redirect/git-pull?repo=…&branch=…&targetpath=…&urlpath=…``;
``urlpath`` is where the browser goes after the pull:
``lab/tree/<folder>/<notebook>`` (JupyterLab), ``tree/…`` (classic
notebook), ``notebooks/…`` (Notebook 7's editor) or ``voila/render/…`` (the
notebook as an app, no code cells).

nbgitpuller clones into ``targetpath`` or, without it, into
``repo.split('/')[-1]`` (its ``handlers.py``): ``gru-edu.git`` for a ``.git``
URL, the home folder itself for a URL that ends in ``/``. The link therefore
always names the folder (``targetpath``), and ``urlpath`` points into it.
"""

from __future__ import annotations

import argparse
from pathlib import PurePosixPath
from urllib.parse import quote, urlencode, urlparse

__all__ = ["nbgitpuller_link", "clone_folder", "nbgitpuller_default_folder", "prefetch_imdb",
           "INTERFACES"]

#: How each interface opens a notebook, relative to the user's server.
INTERFACES = {"lab": "lab/tree", "tree": "tree", "notebook": "notebooks",
              "voila": "voila/render"}


def nbgitpuller_default_folder(repo: str) -> str:
    """Where nbgitpuller clones ``repo`` when no ``targetpath`` is given (its own rule)."""
    return repo.split("/")[-1]


def clone_folder(repo: str) -> str:
    """The folder a link clones into: the repository's name, without ``.git`` or ``/``."""
    name = PurePosixPath(urlparse(repo).path.rstrip("/")).name
    return name.removesuffix(".git")


def nbgitpuller_link(hub: str, repo: str, notebook: str, branch: str = "main",
                     interface: str = "lab", folder: str | None = None) -> str:
    """The nbgitpuller link that opens ``notebook`` of ``repo`` on ``hub``.

    ``notebook`` is a path inside the repository (``notebooks/04_…ipynb``);
    ``folder`` is where the clone goes in the student's home (default:
    :func:`clone_folder`, the repository's name); it is always passed as
    ``targetpath``, so a ``.git`` URL or a trailing slash opens the same
    folder. ``interface`` is one of :data:`INTERFACES`. Raises ``ValueError`` with a plain message on a hub or
    repository that is not an http(s) URL, an absolute notebook path, or an
    unknown interface.
    """
    for label, url in (("hub", hub), ("repo", repo)):
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"--{label} must be an http(s) URL, got {url!r}")
    if interface not in INTERFACES:
        raise ValueError(f"interface must be one of {sorted(INTERFACES)}, got {interface!r}")
    path = PurePosixPath(notebook)
    if path.is_absolute() or ".." in path.parts:
        raise ValueError(f"notebook must be a path inside the repository, got {notebook!r}")
    target = (folder or clone_folder(repo)).strip("/")
    if not target or ".." in PurePosixPath(target).parts:
        raise ValueError(f"cannot tell the clone folder from {repo!r}; pass --folder")
    query = {"repo": repo, "branch": branch, "targetpath": target,
             "urlpath": f"{INTERFACES[interface]}/{target}/{path.as_posix()}"}
    return (f"{hub.rstrip('/')}/hub/user-redirect/git-pull?"
            + urlencode(query, quote_via=quote, safe="/"))


def prefetch_imdb(progress: bool = False) -> dict[str, object]:
    """Fetch the IMDB archive and build its tokenized cache, as a notebook would.

    For an image build (``binder/postBuild``): the project's own loader finds
    the archive (``GRU_EDU_IMDB_ARCHIVE``, the Keras cache, else it downloads
    it, 84 MB, into ``$KERAS_HOME/datasets``) and reads it once into the
    cache (``GRU_EDU_CACHE``, else ``artifacts/cache``): the token ids every
    notebook loads and the raw texts notebook 04 and A3 show. Afterwards a
    load takes well under two seconds and never touches the network. Returns
    the archive's path and the cache files with their sizes.
    """
    from gru_edu import imdb

    archive = imdb.find_archive(download=True)
    imdb.load_imdb(archive=archive, progress=progress)
    for split in ("train", "test"):
        imdb.load_texts(archive=archive, split=split, progress=progress)
    cache = imdb.default_cache_dir()
    files = {f.name: f.stat().st_size for f in sorted(cache.glob("imdb-*.npz"))}
    return {"archive": str(archive), "archive_bytes": archive.stat().st_size,
            "cache": str(cache), "files": files}


def _run(args: argparse.Namespace) -> int:
    import sys

    try:
        print(nbgitpuller_link(args.hub, args.repo, args.notebook, args.branch,
                               args.interface, args.folder))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def _prefetch(args: argparse.Namespace) -> int:
    import sys

    from gru_edu.imdb import ArchiveError

    try:
        found = prefetch_imdb(progress=not args.quiet)
    except (ArchiveError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"archive {found['archive']} ({found['archive_bytes'] / 2**20:.0f} MiB)")
    for name, size in found["files"].items():
        print(f"cache   {found['cache']}/{name} ({size / 2**20:.0f} MiB)")
    return 0


def add_hub_link_parser(sub: argparse._SubParsersAction) -> None:
    """The ``hub-link`` subcommand of ``python -m gru_edu``."""
    p = sub.add_parser("hub-link", help="print an nbgitpuller link that opens a "
                                        "notebook on a JupyterHub")
    p.add_argument("--hub", required=True, help="the hub's URL, e.g. https://hub.example.edu")
    p.add_argument("--repo", required=True,
                   help="the student repository's URL (what `release` wrote and you "
                        "pushed; never the teacher's repository, which holds the masters)")
    p.add_argument("--branch", default="main", help="the branch students pull")
    p.add_argument("--notebook", default="notebooks/01_gru_equations.ipynb",
                   help="path inside the repository (default %(default)s)")
    p.add_argument("--interface", choices=sorted(INTERFACES), default="lab",
                   help="open in JupyterLab (lab), the file tree (tree), Notebook 7 "
                        "(notebook) or Voila (voila)")
    p.add_argument("--folder", default=None,
                   help="clone into this folder of the student's home, passed as "
                        "targetpath (default: the repository's name without .git)")
    p.set_defaults(run=_run)
    f = sub.add_parser("fetch-data", help="fetch the IMDB archive and build its "
                                          "tokenized cache (for an image build)")
    f.add_argument("--quiet", action="store_true", help="no progress bars")
    f.set_defaults(run=_prefetch)
