"""Start JupyterLab or Voila on localhost for the browser tests, and stop them.

Every server runs on a free port of 127.0.0.1 with a random token, opens no
browser, and keeps its settings, runtime files and workspaces in a private
temporary folder, so a learner's ``~/.jupyter`` is neither read nor written.
JupyterLab serves a *copy* of ``notebooks/``: running cells makes a notebook
dirty and JupyterLab autosaves, which must never write outputs into the
repository's notebooks.

:meth:`Server.stop` ends the server and everything it started, kernels
included (Jupyter starts kernels in sessions of their own, so killing the
server's process group alone would leave them running). It is idempotent and
also registered with :mod:`atexit`, so the processes go whatever happens to
the test run.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

#: Environment variables the servers (and so the kernels) must not inherit:
#: the test run forces ``MPLBACKEND=Agg``; a learner's kernel draws inline.
_DROP_ENV = ("MPLBACKEND", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR",
             "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "JUPYTER_PATH")


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerError(RuntimeError):
    """The server did not come up; the message ends with its log."""


class Server:
    """One Jupyter server process (JupyterLab or Voila) and its private files.

    Use :func:`start_lab` or :func:`start_voila`; read :attr:`url` (base URL,
    ending in ``/``), :attr:`token`, :attr:`root` (the folder it serves) and
    :attr:`log_path`; call :meth:`stop` (or use it as a context manager).
    """

    def __init__(self, name: str, argv: list[str], tmp: Path, root: Path,
                 env: dict[str, str], port: int, token: str) -> None:
        self.name, self.argv, self.tmp, self.root = name, argv, tmp, root
        self.port, self.token = port, token
        self.url = f"http://127.0.0.1:{port}/"
        self.log_path = tmp / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop
        self.proc = subprocess.Popen(
            argv, cwd=root, env=env, stdout=self._log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, killed in stop
        )
        self._stopped = False
        atexit.register(self.stop)

    # --- life cycle ----------------------------------------------------------
    def wait_ready(self, path: str, timeout: float = 90.0) -> None:
        """Poll ``path`` (relative to :attr:`url`) until it answers 200."""
        deadline = time.monotonic() + timeout
        url = f"{self.url}{path}"
        while True:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.name} exited with code "
                                  f"{self.proc.returncode}\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise ServerError(f"{self.name} not ready after {timeout:.0f} s "
                                  f"at {url}\n{self.log_tail()}")
            time.sleep(0.3)

    def shutdown_kernels(self, timeout: float = 30.0) -> int:
        """Shut down every kernel the server runs now (REST API); return how many.

        A kernel that finished its notebook keeps its memory (TensorFlow,
        models, explorers) until the server stops. Waits until the server
        lists none.
        """
        def call(method: str, path: str) -> object:
            req = urllib.request.Request(
                f"{self.url}{path}", method=method,
                headers={"Authorization": f"token {self.token}"})
            with urllib.request.urlopen(req, timeout=timeout) as r:
                body = r.read()
            return json.loads(body) if body else None

        kernels = call("GET", "api/kernels") or []
        for k in kernels:
            try:
                call("DELETE", f"api/kernels/{k['id']}")
            except urllib.error.HTTPError as e:  # gone meanwhile
                if e.code != 404:
                    raise
        deadline = time.monotonic() + timeout
        while call("GET", "api/kernels") and time.monotonic() < deadline:
            time.sleep(0.2)
        return len(kernels)

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        """Stop the server and every process it started; remove its files.

        SIGTERM to the server's process group and to each descendant found
        (kernels run in sessions of their own), wait up to 10 s, then SIGKILL
        whatever is left. Safe to call twice.
        """
        if self._stopped:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        try:
            procs = [psutil.Process(self.proc.pid)]
            procs += procs[0].children(recursive=True)
        except psutil.NoSuchProcess:
            procs = []
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        for p in procs:
            try:
                p.terminate()
            except psutil.NoSuchProcess:
                pass
        _, alive = psutil.wait_procs(procs, timeout=10)
        for p in alive:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - killed above
            pass
        self._log.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _private_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"),
                     ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("IPYTHONDIR", "ipython")):
        (tmp / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(tmp / sub)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONUNBUFFERED"] = "1"
    # the kernels must import this checkout's gru_edu, even without `pip -e`
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                       if p])
    return env


def _root_flags() -> list[str]:
    # Jupyter refuses to run as root unless told; CI containers run as root.
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


def start_lab(tmp: Path, timeout: float = 90.0) -> Server:
    """JupyterLab serving a copy of ``notebooks/`` in ``tmp / "root"``.

    The app object is exposed as ``window.jupyterapp`` (what JupyterLab's own
    Galata tests use) so a test can read cell models and kernel status; news,
    update checks and the extension manager's PyPI look-ups are off.
    """
    tmp = Path(tmp)
    root = tmp / "root"
    shutil.copytree(REPO / "notebooks", root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = tmp / "lab-settings"
    notif = settings / "@jupyterlab" / "apputils-extension"
    notif.mkdir(parents=True)
    (notif / "notification.jupyterlab-settings").write_text(
        json.dumps({"checkForUpdates": False, "fetchNews": "false"}))
    port, token = free_port(), secrets.token_hex(24)
    argv = [
        str(BIN / "jupyter"), "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.extension_manager=readonly",
        "--ServerApp.terminals_enabled=False",
        *_root_flags(),
    ]
    server = Server("jupyterlab", argv, tmp, root, _private_env(tmp), port,
                    token)
    try:
        server.wait_ready(f"api/status?token={token}", timeout)
    except BaseException:
        server.stop()
        raise
    return server


def start_voila(tmp: Path, notebook: str, timeout: float = 90.0) -> Server:
    """Voila serving ``notebooks/<notebook>`` of the checkout as an app.

    The command is the README's ``voila notebooks/<notebook>`` plus the
    test's port, token and no browser; Voila serves the notebook at ``/``.
    """
    tmp = Path(tmp)
    port, token = free_port(), secrets.token_hex(24)
    argv = [
        str(BIN / "voila"), f"notebooks/{notebook}", "--no-browser",
        "--Voila.ip=127.0.0.1", f"--port={port}", f"--token={token}",
        f"--Voila.connection_dir_root={tmp}",
    ]
    server = Server("voila", argv, tmp, REPO, _private_env(tmp), port, token)
    try:
        # /voila/static is served without executing the notebook
        server.wait_ready("voila/static/favicon.ico", timeout)
    except BaseException:
        server.stop()
        raise
    return server
