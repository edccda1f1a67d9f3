"""A real gunicorn serving the app on loopback, for multi-process and browser tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from servers import free_port

ROOT = Path(__file__).resolve().parent.parent
#: The suite's SECRET_KEY: every server and worker process the tests start, and every test
#: app (conftest.TEST_CONFIG), share it, as the instances of one deployment do; hashes and
#: encrypted secrets written by one are readable by the others.
SECRET_KEY = "test-suite-secret-key-not-for-production-3f9a1c"


class GunicornServer:
    """``gunicorn -c gunicorn.conf.py wsgi:app`` (or another ``app``) on 127.0.0.1 with its own environment.

    Args:
        env: extra environment (``DATABASE_URL``, ``REDIS_URL``, TTLs, …).
        workers: worker processes.
        log_path: file for gunicorn's output (access and error logs).
        port: fixed port, or None for a free one.
        app: the WSGI application, as gunicorn's ``module:variable`` (default
            ``wsgi:app``; the benchmark also serves ``bench.bare_app:app``, the nginx
            tests ``probe_app:app``).

    Outside ``TESTING`` the app needs a real ``SECRET_KEY`` (SPEC §8): one is set unless
    ``env`` gives its own.

    ``start()`` waits (bounded, 30 s) until ``/healthz`` answers; ``stop()`` sends
    SIGTERM, then SIGKILL after 10 s. ``url`` is ``http://127.0.0.1:PORT``.
    """

    def __init__(
        self, env: dict, workers: int = 4, log_path: Path | None = None, port: int | None = None, app: str = "wsgi:app"
    ):
        self.env = {"SECRET_KEY": SECRET_KEY, **{k: v for k, v in env.items() if v is not None}}
        self.app = app
        self.workers = workers
        self.port = port or free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> GunicornServer:
        env = {
            **os.environ,
            **self.env,
            "WEB_CONCURRENCY": str(self.workers),
            "PORT": str(self.port),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_LOGLEVEL": "warning",
        }
        # Open for the server's lifetime; stop() closes it.
        self._log = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115
        out = self._log or subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", self.app],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer on {self.url} within 30 s")

    def worker_pids(self) -> list[int]:
        """PIDs of the current worker processes (children of the master)."""
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> GunicornServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
