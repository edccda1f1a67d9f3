"""Debian's nginx on loopback, running the repository's ``deploy/nginx.conf``, for the proxy tests."""

from __future__ import annotations

import os
from pathlib import Path

from render_nginx import render  # deploy/ is on pytest's pythonpath (pytest.ini)
from support.process import ManagedProcess, port_open

#: The nginx binary (Debian's nginx-light, from scripts/install-system-deps.sh).
NGINX = "/usr/sbin/nginx"


def nginx_available() -> bool:
    """True when Debian's nginx is installed."""
    return os.access(NGINX, os.X_OK)


class NginxServer(ManagedProcess):
    """``nginx -p PREFIX -c CONF -g 'daemon off;'`` with the rendered ``deploy/nginx.conf``.

    Args:
        prefix: an empty folder for the rendered config, pid, logs and temp files.
        upstreams: the gunicorn instances, ``127.0.0.1:PORT``.
        read_timeout: seconds before nginx gives up on an instance (the template's 35 by default).

    Listens on a free 127.0.0.1 port with one worker process (round robin is then exactly
    alternating). As root the workers run as root too, so they can use the test's
    private temp folder. ``start()`` waits (bounded, 10 s) for the port; ``stop()``
    sends SIGTERM (fast shutdown), then SIGKILL after 10 s. Failure messages carry the
    tail of nginx's ``error.log``.
    """

    name = "nginx"

    def __init__(self, prefix: Path, upstreams: list[str], read_timeout: int = 35):
        super().__init__(start_timeout=10.0, stop_timeout=10.0)
        self.prefix = prefix
        self.conf = prefix / "nginx.conf"
        self.conf.write_text(
            render(
                f"{self.host}:{self.port}",
                upstreams,
                str(prefix),
                worker_processes="1",
                read_timeout=read_timeout,
                user="root" if os.geteuid() == 0 else None,
            )
        )

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def error_log(self) -> str:
        """The whole of nginx's ``error.log`` ("" before it exists)."""
        path = self.prefix / "error.log"
        return path.read_text() if path.exists() else ""

    def argv(self) -> list[str]:
        """``nginx -p PREFIX -c CONF -g 'daemon off;'`` (in the foreground, a child of the test)."""
        return [NGINX, "-p", str(self.prefix), "-c", str(self.conf), "-g", "daemon off;"]

    def ready(self) -> bool:
        """True when the listening port accepts a TCP connection."""
        return port_open(self.port, self.host, timeout=1)

    def failure_log(self) -> str:
        """The last 2000 characters of ``error.log``."""
        return self.error_log[-2000:]
