"""A real gunicorn serving the app on loopback, for multi-process and browser tests.

Named so it is not confused with ``appointease/live.py`` (the widget's live updates);
it was ``tests/live.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from support.process import ManagedProcess

ROOT = Path(__file__).resolve().parents[2]
#: The suite's SECRET_KEY: every server and worker process the tests start, and every test
#: app (``support.helpers.TEST_CONFIG``), share it, as the instances of one deployment do;
#: hashes and encrypted secrets written by one are readable by the others.
SECRET_KEY = "test-suite-secret-key-not-for-production-3f9a1c"


class GunicornServer(ManagedProcess):
    """``gunicorn -c gunicorn.conf.py wsgi:app`` (or another ``app``) on 127.0.0.1 with its own environment.

    Args:
        env: extra environment (``DATABASE_URL``, ``REDIS_URL``, TTLs, …); None values are dropped.
        workers: worker processes.
        log_path: file for gunicorn's output (access and error logs), or None to discard it.
        port: fixed port, or None for a free one.
        app: the WSGI application, as gunicorn's ``module:variable`` (default
            ``wsgi:app``; the benchmark also serves ``bench.bare_app:app``, the nginx
            tests ``probe_app:app``).

    Outside ``TESTING`` the app needs a real ``SECRET_KEY`` (SPEC §8): one is set unless
    ``env`` gives its own.

    ``start()`` waits (bounded, 30 s) until ``/healthz`` answers 200; ``stop()`` sends
    SIGTERM, then SIGKILL after 10 s. ``url`` is ``http://127.0.0.1:PORT``.
    """

    name = "gunicorn"

    def __init__(
        self, env: dict, workers: int = 4, log_path: Path | None = None, port: int | None = None, app: str = "wsgi:app"
    ):
        super().__init__(port=port, start_timeout=30.0, stop_timeout=10.0)
        self.env = {"SECRET_KEY": SECRET_KEY, **{k: v for k, v in env.items() if v is not None}}
        self.app = app
        self.workers = workers
        self.log_path = log_path

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    def argv(self) -> list[str]:
        """``python -m gunicorn -c gunicorn.conf.py APP`` with this interpreter."""
        return [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", self.app]

    def cwd(self) -> Path:
        """The repository root (where ``gunicorn.conf.py`` and ``wsgi.py`` are)."""
        return ROOT

    def environment(self) -> dict[str, str]:
        """This process's environment plus :attr:`env`, the worker count and the bind address."""
        return {
            **os.environ,
            **self.env,
            "WEB_CONCURRENCY": str(self.workers),
            "PORT": str(self.port),
            "GUNICORN_BIND": f"{self.host}:{self.port}",
            "GUNICORN_LOGLEVEL": "warning",
        }

    def ready(self) -> bool:
        """True when ``GET /healthz`` answers 200 within 1 s."""
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        """PIDs of the current worker processes (children of the master)."""
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]
