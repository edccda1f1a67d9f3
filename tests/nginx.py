"""Debian's nginx on loopback, running the repository's ``deploy/nginx.conf``, for the proxy tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from servers import free_port

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy"))

from render_nginx import render  # noqa: E402

#: The nginx binary (Debian's nginx-light, from scripts/install-system-deps.sh).
NGINX = "/usr/sbin/nginx"


def nginx_available() -> bool:
    """True when Debian's nginx is installed."""
    return os.access(NGINX, os.X_OK)


class NginxServer:
    """``nginx -p PREFIX -c CONF -g 'daemon off;'`` with the rendered ``deploy/nginx.conf``.

    Args:
        prefix: an empty folder for the rendered config, pid, logs and temp files.
        upstreams: the gunicorn instances, ``127.0.0.1:PORT``.
        read_timeout: seconds before nginx gives up on an instance (the template's 35 by default).

    Listens on a free 127.0.0.1 port with one worker process (round robin is then exactly
    alternating). As root the workers run as root too, so they can use the test's
    private temp folder. ``start()`` waits (bounded, 10 s) for the port; ``stop()``
    sends SIGTERM (fast shutdown), then SIGKILL after 10 s.
    """

    def __init__(self, prefix: Path, upstreams: list[str], read_timeout: int = 35):
        self.prefix = prefix
        self.port = free_port()
        self.conf = prefix / "nginx.conf"
        self.conf.write_text(
            render(
                f"127.0.0.1:{self.port}",
                upstreams,
                str(prefix),
                worker_processes="1",
                read_timeout=read_timeout,
                user="root" if os.geteuid() == 0 else None,
            )
        )
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text() if path.exists() else ""

    def start(self) -> NginxServer:
        self.proc = subprocess.Popen(
            [NGINX, "-p", str(self.prefix), "-c", str(self.conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}: {self.error_log[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not listen on {self.port} within 10 s: {self.error_log[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def __enter__(self) -> NginxServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
