"""One way to run a server as a child process for the tests: :class:`ManagedProcess`.

The Redis, PostgreSQL, gunicorn and nginx runners (``support.servers``,
``support.gunicorn_server``, ``support.nginx``) are subclasses. Each one says *what* to run
(:meth:`ManagedProcess.argv`, its environment, working folder and user) and *when it is
ready* (:meth:`ManagedProcess.ready`); the base does the rest the same way for all:

* the port is a free loopback port picked once and kept, so a stop followed by a start
  brings the server back at the same address (the fault tests rely on that);
* output goes to a log file (or nowhere), and every failure message carries its tail;
* :meth:`ManagedProcess.start` waits until ready, bounded by ``start_timeout`` seconds;
  an early exit or the time-out raises :class:`RuntimeError`;
* :meth:`ManagedProcess.stop` sends :attr:`ManagedProcess.stop_signal` (SIGTERM unless the
  server's graceful signal is another), then SIGKILL after ``stop_timeout`` seconds;
* the child gets SIGTERM if the test process dies (Linux ``PR_SET_PDEATHSIG``; only for
  children started from the main thread, since the kernel sends it when the *thread* that
  forked the child exits, and the fault tests restart servers from worker threads), and servers
  still running at interpreter exit are stopped (:func:`track` / ``atexit``), so an
  interrupted run does not leak daemons.
"""

from __future__ import annotations

import abc
import atexit
import contextlib
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

__all__ = ["HOST", "ManagedProcess", "free_port", "port_open", "tail", "track", "untrack"]

#: Every test server listens on loopback only.
HOST = "127.0.0.1"

# Objects with an ``_atexit()`` method still running at interpreter exit.
_LIVE: set = set()


@atexit.register
def _stop_all() -> None:  # pragma: no cover - exit path
    for server in list(_LIVE):
        with contextlib.suppress(Exception):
            server._atexit()


def track(server) -> None:
    """Remember ``server`` (any object with an ``_atexit()`` method) to stop at interpreter exit."""
    _LIVE.add(server)


def untrack(server) -> None:
    """Forget ``server`` (it was stopped); no-op if it was not tracked."""
    _LIVE.discard(server)


def free_port(host: str = HOST) -> int:
    """Return a TCP port that is free on ``host`` right now.

    Args:
        host: address to bind the probe socket to (default ``127.0.0.1``).

    Returns:
        A port number chosen by the kernel (bind to port 0). It is released before
        returning, so another process could in principle take it first.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    """Return True if a TCP connection to ``host:port`` succeeds within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def tail(path: Path | None, lines: int = 30) -> str:
    """The last ``lines`` lines of the log file ``path``, or a note why there are none."""
    if path is None:
        return "(no log)"
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as exc:
        return f"(log {path} unreadable: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(log empty)"


def _set_pdeathsig() -> None:  # runs in the child between fork and exec
    """Ask Linux to SIGTERM the child if the test process dies (best effort)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except Exception:
        pass


class ManagedProcess(abc.ABC):
    """A server run as a child process on a loopback port; subclasses say what and when ready.

    Subclasses implement :meth:`argv` and :meth:`ready`, and may override :meth:`environment`,
    :meth:`cwd`, :meth:`run_as`, :meth:`before_start` and :meth:`failure_log`.

    Subclasses set :attr:`log_path`: the file that receives the child's stdout and stderr
    (appended), or None to discard them.

    Args:
        port: fixed port, or None to pick a free one now (kept across restarts).
        start_timeout: seconds :meth:`start` waits for :meth:`ready`.
        stop_timeout: seconds :meth:`stop` waits after :attr:`stop_signal` before SIGKILL.
    """

    #: Short name used in error messages ("redis-server", "gunicorn", …).
    name = "server"
    #: The signal that asks the server to shut down cleanly.
    stop_signal = signal.SIGTERM
    #: The child's log file, or None (output discarded).
    log_path: Path | None = None

    def __init__(
        self,
        port: int | None = None,
        start_timeout: float = 10.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self.host = HOST
        self.port: int = port or free_port(self.host)
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.proc: subprocess.Popen | None = None

    # -- what subclasses say
    @abc.abstractmethod
    def argv(self) -> list[str]:
        """The command line to run (list of str)."""

    @abc.abstractmethod
    def ready(self) -> bool:
        """Return True once the server answers; called every 50 ms by :meth:`start`."""

    def environment(self) -> dict[str, str] | None:
        """The child's whole environment, or None to inherit this process's (default)."""
        return None

    def cwd(self) -> Path | None:
        """The child's working folder, or None for this process's (default)."""
        return None

    def run_as(self) -> str | None:
        """OS user name to run the child as (needs root), or None for this user (default)."""
        return None

    def before_start(self) -> None:
        """Prepare files before each start (default: nothing); may raise RuntimeError."""
        return

    def failure_log(self) -> str:
        """Text appended to every failure message: by default the tail of :attr:`log_path`."""
        return tail(self.log_path)

    # -- lifecycle
    @property
    def running(self) -> bool:
        """True while the child process is alive (it may still be starting up)."""
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        """Start the child (no-op if running) and wait until :meth:`ready`.

        Returns:
            self, for chaining.

        Raises:
            RuntimeError: the child exited while starting, or was not ready within
                ``start_timeout`` seconds (it is stopped then); the message carries
                :meth:`failure_log`.
        """
        if self.running:
            return self
        self.before_start()
        if self.log_path is not None:
            Path(self.log_path).parent.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(open(self.log_path, "ab")) if self.log_path else subprocess.DEVNULL
            user = self.run_as()
            self.proc = subprocess.Popen(
                self.argv(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.cwd(),
                env=self.environment(),
                user=user,
                group=user,
                extra_groups=[] if user else None,
                preexec_fn=_set_pdeathsig if threading.current_thread() is threading.main_thread() else None,
                close_fds=True,
            )
        track(self)
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                untrack(self)
                raise RuntimeError(
                    f"{self.name} exited with code {rc} while starting on {self.host}:{self.port}; "
                    f"log tail:\n{self.failure_log()}"
                )
            if self.ready():
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"{self.name} was not ready on {self.host}:{self.port} within {self.start_timeout:g} s; "
                    f"log tail:\n{self.failure_log()}"
                )
            time.sleep(0.05)

    def stop(self, timeout: float | None = None) -> None:
        """Stop the child: :attr:`stop_signal`, then SIGKILL after ``timeout`` seconds
        (default ``stop_timeout``); waits until it is gone.

        Safe to call when not running. The port is kept for the next :meth:`start`.
        """
        self._terminate(self.stop_signal, self.stop_timeout if timeout is None else timeout)

    def kill(self) -> None:
        """SIGKILL the child (a crash, for fault tests) and reap it."""
        self._terminate(signal.SIGKILL, 10)

    def _terminate(self, sig: int, timeout: float) -> None:
        """Send ``sig``, wait ``timeout`` seconds, then SIGKILL; no-op when not running."""
        proc, self.proc = self.proc, None
        untrack(self)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def restart(self):
        """:meth:`stop` then :meth:`start` on the same port. Returns self."""
        self.stop()
        return self.start()

    # -- context manager / cleanup
    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _atexit(self) -> None:
        self._terminate(self.stop_signal, 2)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {self.host}:{self.port} {state}>"
