"""Throw-away Redis and PostgreSQL servers for the test suite (stdlib only).

Used by pytest fixtures and by the fault tests, which stop a server and bring it back on
the same port while the application keeps running.

* :class:`RedisServer` runs ``/usr/bin/redis-server`` (Debian's 7.0) as a child process
  bound to 127.0.0.1 on a free port, with persistence off.
* :class:`RedisCluster` runs three (or more) such servers with ``--cluster-enabled yes``
  and joins them with ``redis-cli --cluster create`` into a cluster of masters.
* :class:`PostgresServer` runs PostgreSQL 15 from ``/usr/lib/postgresql/15/bin`` in a
  private data directory (trust auth, fsync off unless ``durable=True``). As root the binaries run as the
  ``postgres`` OS user through ``runuser`` (initdb refuses root).

Install the binaries with ``scripts/install-system-deps.sh``. Every wait is bounded; a
failure raises :class:`RuntimeError` carrying the tail of the server log.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = [
    "REDIS_SERVER",
    "REDIS_CLI",
    "PG_BIN",
    "RedisServer",
    "RedisCluster",
    "PostgresServer",
    "free_port",
    "redis_available",
    "redis_cluster_available",
    "postgres_available",
]

#: Redis server binary.
REDIS_SERVER = "/usr/bin/redis-server"
#: Redis command-line client (Debian ``redis-tools``); builds clusters.
REDIS_CLI = "/usr/bin/redis-cli"
#: Directory with the PostgreSQL 15 binaries (initdb, pg_ctl, postgres, psql).
PG_BIN = "/usr/lib/postgresql/15/bin"

HOST = "127.0.0.1"

# Servers still running at interpreter exit are stopped (and temp dirs removed) so a
# crashed or interrupted test run does not leak daemons.
_LIVE: set = set()


@atexit.register
def _stop_all() -> None:  # pragma: no cover - exit path
    for server in list(_LIVE):
        with contextlib.suppress(Exception):
            server._atexit()  # type: ignore[attr-defined]


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


def redis_available() -> bool:
    """Return True if the Redis server binary is installed and executable."""
    return os.access(REDIS_SERVER, os.X_OK)


def redis_cluster_available() -> bool:
    """Return True if both ``redis-server`` and ``redis-cli`` are installed."""
    return redis_available() and os.access(REDIS_CLI, os.X_OK)


def postgres_available() -> bool:
    """Return True if the PostgreSQL 15 binaries this module needs are installed."""
    return all(os.access(os.path.join(PG_BIN, b), os.X_OK) for b in ("initdb", "pg_ctl", "postgres", "psql"))


def _tail(path: Path | None, lines: int = 30) -> str:
    if path is None:
        return "(no log)"
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as exc:
        return f"(log {path} unreadable: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(log empty)"


def _port_open(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _set_pdeathsig() -> None:  # runs in the child between fork and exec
    """Ask Linux to SIGTERM the child if the test process dies (best effort)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except Exception:
        pass


# --------------------------------------------------------------------------- Redis


class RedisServer:
    """A private ``redis-server`` on 127.0.0.1 for one test session or test.

    The port is picked once (first :meth:`start`) and kept, so :meth:`stop` followed by
    :meth:`start` brings the server back at the same :attr:`url` — which is what the
    fault tests rely on. Data does not survive a stop (``--save ""``, no AOF).

    Usage::

        with RedisServer(tmp_path) as redis:
            os.environ["REDIS_URL"] = redis.url

    Args:
        tmpdir: existing directory (str or Path) used as Redis' ``--dir`` and for the
            log file ``redis-<port>.log``.
        port: fixed port to use; default ``None`` picks a free one on first start.
        start_timeout: seconds to wait for ``PING`` to answer ``+PONG`` (default 10).
        extra_args: more ``redis-server`` options appended to the command line, e.g.
            ``("--cluster-enabled", "yes")`` (used by :class:`RedisCluster`).
    """

    def __init__(
        self,
        tmpdir: str | os.PathLike,
        port: int | None = None,
        start_timeout: float = 10.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.tmpdir = Path(tmpdir)
        self.port: int | None = port
        self.extra_args = tuple(extra_args)
        self.host = HOST
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self.log_path: Path | None = None

    # -- properties
    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``. Raises RuntimeError before the first start."""
        if self.port is None:
            raise RuntimeError("RedisServer has no port yet; call start() first")
        return f"redis://{self.host}:{self.port}/0"

    @property
    def running(self) -> bool:
        """True while the child process is alive (it may still be starting up)."""
        return self.proc is not None and self.proc.poll() is None

    # -- lifecycle
    def start(self) -> RedisServer:
        """Start the server (no-op if already running) and wait until it answers PING.

        Returns:
            self, for chaining.

        Raises:
            RuntimeError: binary missing, process exited early, or no ``+PONG`` within
                ``start_timeout`` seconds; the message includes the log tail.
        """
        if self.running:
            return self
        if not redis_available():
            raise RuntimeError(f"{REDIS_SERVER} not found; run scripts/install-system-deps.sh")
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        if self.port is None:
            self.port = free_port(self.host)
        self.log_path = self.tmpdir / f"redis-{self.port}.log"
        cmd = [
            REDIS_SERVER,
            "--bind",
            self.host,
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.tmpdir),
            "--daemonize",
            "no",
            "--logfile",
            "",
            "--databases",
            "16",
            *self.extra_args,
        ]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.tmpdir,
                preexec_fn=_set_pdeathsig,
                close_fds=True,
            )
        _LIVE.add(self)
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                raise RuntimeError(
                    f"redis-server exited with code {rc} while starting on port "
                    f"{self.port}; log tail:\n{_tail(self.log_path)}"
                )
            if self.ping(timeout=0.5):
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"redis-server did not answer PING on {self.host}:{self.port} within "
                    f"{self.start_timeout:g} s; log tail:\n{_tail(self.log_path)}"
                )
            time.sleep(0.05)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server: SIGTERM, then SIGKILL after ``timeout`` seconds; waits.

        Safe to call when not running. The port is kept for the next :meth:`start`.
        """
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
        _LIVE.discard(self)

    def kill(self) -> None:
        """SIGKILL the server (a crash, for fault tests) and reap it."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        _LIVE.discard(self)

    def restart(self) -> RedisServer:
        """:meth:`stop` then :meth:`start` on the same port. Returns self."""
        self.stop()
        return self.start()

    # -- talking to it
    def ping(self, timeout: float = 1.0) -> bool:
        """Send ``PING`` on a raw socket. Returns True on ``+PONG``, False otherwise."""
        if self.port is None:
            return False
        try:
            return self.command("PING", timeout=timeout) == "PONG"
        except (OSError, RuntimeError):
            return False

    def command(self, *args: str, timeout: float = 2.0):
        """Send one command as RESP and return the parsed reply (minimal client).

        Args:
            *args: command and arguments, e.g. ``("SET", "k", "v")``.
            timeout: socket timeout in seconds.

        Returns:
            str for simple/bulk strings, int for integers, None for nil, list for arrays.

        Raises:
            OSError: connection failed or timed out.
            RuntimeError: the server replied with an error (``-ERR ...``).
        """
        if self.port is None:
            raise RuntimeError("RedisServer has no port yet; call start() first")
        payload = f"*{len(args)}\r\n".encode()
        for a in args:
            b = str(a).encode()
            payload += b"$%d\r\n%s\r\n" % (len(b), b)
        with socket.create_connection((self.host, self.port), timeout=timeout) as s:
            s.sendall(payload)
            f = s.makefile("rb")
            return _read_resp(f)

    # -- context manager / cleanup
    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _atexit(self) -> None:
        self.stop(timeout=2)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<RedisServer {self.host}:{self.port} {state}>"


def _read_resp(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise OSError("connection closed by redis")
    kind, rest = line[:1], line[1:-2].decode()
    if kind == b"+":
        return rest
    if kind == b"-":
        raise RuntimeError(f"redis error: {rest}")
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2].decode(errors="replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read_resp(f) for _ in range(n)]
    raise OSError(f"unexpected redis reply: {line!r}")


# -------------------------------------------------------------------- Redis Cluster


class RedisCluster:
    """A private Redis Cluster of ``masters`` master nodes (no replicas) on 127.0.0.1.

    Each node is a :class:`RedisServer` started with ``--cluster-enabled yes``, its own
    ``nodes.conf``, an explicit free cluster-bus port (``--cluster-port``, so the
    default ``port + 10000`` never collides) and persistence off. :meth:`start` then
    runs ``redis-cli --cluster create … --cluster-replicas 0 --cluster-yes`` (the 16384
    hash slots split evenly) and waits until every node reports ``cluster_state:ok``
    and all slots assigned (Redis Cluster specification, "CLUSTER INFO").

    Usage::

        with RedisCluster(tmp_path) as cluster:
            from redis.cluster import ClusterNode, RedisCluster
            client = RedisCluster(startup_nodes=[ClusterNode(h, p) for h, p in cluster.startup_nodes])

    Args:
        tmpdir: existing directory (str or Path); every node gets ``node-<i>/`` in it.
        masters: number of master nodes (Redis requires at least 3).
        timeout: bound in seconds for each node start, ``redis-cli --cluster create``
            and the wait for ``cluster_state:ok`` (default 30).
    """

    def __init__(self, tmpdir: str | os.PathLike, masters: int = 3, timeout: float = 30.0) -> None:
        if masters < 3:
            raise ValueError("a Redis Cluster needs at least 3 masters")
        self.tmpdir = Path(tmpdir)
        self.masters = masters
        self.timeout = timeout
        self.host = HOST
        self.nodes: list[RedisServer] = []
        self.log_path = self.tmpdir / "redis-cli-cluster-create.log"

    @property
    def ports(self) -> list[int]:
        """The client ports of the nodes, in start order."""
        return [n.port for n in self.nodes]

    @property
    def startup_nodes(self) -> list[tuple[str, int]]:
        """``[(host, port), …]`` of every node: redis-py's ``ClusterNode(host, port)`` arguments."""
        return [(self.host, p) for p in self.ports]

    @property
    def urls(self) -> list[str]:
        """``redis://127.0.0.1:PORT/0`` of every node (a cluster has only database 0)."""
        return [f"redis://{self.host}:{p}/0" for p in self.ports]

    def start(self) -> RedisCluster:
        """Start the nodes, create the cluster and wait for ``cluster_state:ok``.

        Returns:
            self, for chaining.

        Raises:
            RuntimeError: binaries missing, a node did not start, ``redis-cli --cluster
                create`` failed or timed out, or the cluster was not ``ok`` within
                ``timeout`` seconds. Every node started so far is stopped first.
        """
        if self.nodes:
            return self
        if not redis_cluster_available():
            raise RuntimeError(f"{REDIS_SERVER} or {REDIS_CLI} not found; run scripts/install-system-deps.sh")
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        _LIVE.add(self)
        try:
            for i in range(self.masters):
                folder = self.tmpdir / f"node-{i}"
                args = (
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    str(folder / "nodes.conf"),
                    "--cluster-port",
                    str(free_port(self.host)),
                    "--cluster-node-timeout",
                    "5000",
                )
                self.nodes.append(RedisServer(folder, start_timeout=self.timeout, extra_args=args))
                self.nodes[-1].start()
            self._create()
            self._wait_ok()
        except BaseException:
            self.stop()
            raise
        return self

    def _create(self) -> None:
        cmd = [
            REDIS_CLI,
            "--cluster",
            "create",
            *(f"{h}:{p}" for h, p in self.startup_nodes),
            "--cluster-replicas",
            "0",
            "--cluster-yes",
        ]
        with open(self.log_path, "wb") as log:
            try:
                proc = subprocess.run(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=self.timeout,
                    cwd=self.tmpdir,
                )
            except subprocess.TimeoutExpired:
                raise RuntimeError(
                    f"redis-cli --cluster create did not finish within {self.timeout:g} s; "
                    f"output:\n{_tail(self.log_path)}"
                ) from None
        if proc.returncode != 0:
            raise RuntimeError(
                f"redis-cli --cluster create failed (exit {proc.returncode}); output:\n{_tail(self.log_path)}"
            )

    def cluster_info(self, node: int = 0) -> dict[str, str]:
        """Return ``CLUSTER INFO`` of node ``node`` as a dict (``{"cluster_state": "ok", …}``)."""
        text = self.nodes[node].command("CLUSTER", "INFO") or ""
        return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)

    def _wait_ok(self) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            infos = []
            for i in range(len(self.nodes)):
                try:
                    infos.append(self.cluster_info(i))
                except (OSError, RuntimeError):
                    infos.append({})
            if all(
                i.get("cluster_state") == "ok"
                and i.get("cluster_slots_ok") == "16384"
                and i.get("cluster_known_nodes") == str(self.masters)
                for i in infos
            ):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Redis Cluster on ports {self.ports} not ok within {self.timeout:g} s: "
                    f"{[i.get('cluster_state') for i in infos]}"
                )
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop every node (SIGTERM, then SIGKILL after 5 s each). Safe to call twice."""
        nodes, self.nodes = self.nodes, []
        for node in nodes:
            node.stop()
        _LIVE.discard(self)

    def __enter__(self) -> RedisCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _atexit(self) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<RedisCluster {self.host} ports={self.ports}>"


# ----------------------------------------------------------------------- PostgreSQL

_DBNAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class PostgresServer:
    """A private PostgreSQL 15 server on 127.0.0.1 for one test session.

    The cluster lives in a fresh ``tempfile.mkdtemp(prefix="ae-pg-")`` directory when
    running as root (so the ``postgres`` user can reach it; pytest's tmp dirs are mode
    700 and owned by root) and under ``tmpdir/postgres`` otherwise. initdb runs on the
    first :meth:`start`; :meth:`stop` / :meth:`start` / :meth:`restart` keep the same
    port and data. Authentication is ``trust`` for user ``postgres``; durability is off
    (fsync, synchronous_commit, full_page_writes) for speed.

    Usage::

        with PostgresServer(tmp_path) as pg:
            url = pg.create_database("test_x")   # postgresql+psycopg://postgres@...

    Args:
        tmpdir: directory (str or Path) for the cluster when not running as root.
        port: fixed port; default ``None`` picks a free one on first start.
        timeout: bound in seconds for each initdb / start / stop / psql (default 30).
        default_db: database created on first start and used by :attr:`url`
            (default ``"appointease"``).
        durable: keep PostgreSQL's default durability (fsync, synchronous_commit,
            full_page_writes on) instead of turning it off; the benchmark uses this to
            measure what a production server does (default False: fast tests).
    """

    def __init__(
        self,
        tmpdir: str | os.PathLike,
        port: int | None = None,
        timeout: float = 30.0,
        default_db: str = "appointease",
        durable: bool = False,
    ) -> None:
        self.tmpdir = Path(tmpdir)
        self.durable = durable
        self.port: int | None = port
        self.host = HOST
        self.timeout = timeout
        self.default_db = default_db
        self.as_root = os.geteuid() == 0
        self.base_dir: Path | None = None
        self._owns_base = False
        self._initialized = False

    # -- paths / properties
    @property
    def data_dir(self) -> Path:
        """The cluster's data directory (PGDATA). Raises RuntimeError before start."""
        return self._base() / "data"

    @property
    def socket_dir(self) -> Path:
        """Directory of the server's Unix socket (``-k``)."""
        return self._base() / "sock"

    @property
    def log_path(self) -> Path:
        """The server log written by ``pg_ctl -l``."""
        return self._base() / "postgres.log"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the default database:
        ``postgresql+psycopg://postgres@127.0.0.1:PORT/appointease``."""
        return self.url_for(self.default_db)

    def url_for(self, name: str) -> str:
        """SQLAlchemy URL (``postgresql+psycopg://postgres@127.0.0.1:PORT/name``) of a
        database on this server; does not create it."""
        if self.port is None:
            raise RuntimeError("PostgresServer has no port yet; call start() first")
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{name}"

    @property
    def running(self) -> bool:
        """True if the postmaster accepts TCP connections on :attr:`port`."""
        return self.port is not None and _port_open(self.port, self.host)

    def _base(self) -> Path:
        if self.base_dir is None:
            if self.as_root:
                self.base_dir = Path(tempfile.mkdtemp(prefix="ae-pg-"))
                os.chmod(self.base_dir, 0o755)
            else:
                self.base_dir = self.tmpdir / "postgres"
                self.base_dir.mkdir(parents=True, exist_ok=True)
            self._owns_base = True
        return self.base_dir

    # -- running binaries
    def _cmd(self, binary: str, *args: str) -> list[str]:
        cmd = [os.path.join(PG_BIN, binary), *args]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return cmd

    def _run(
        self, cmd: list[str], what: str, timeout: float | None = None, check: bool = True
    ) -> subprocess.CompletedProcess:
        timeout = self.timeout if timeout is None else timeout
        # Output goes to a temp file, not a pipe: pg_ctl forks the postmaster and a
        # pipe inherited by it would keep communicate() waiting.
        with tempfile.TemporaryFile() as out:
            try:
                proc = subprocess.run(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=self._base(),
                    timeout=timeout,
                    env=self._env(),
                )
            except subprocess.TimeoutExpired:
                out.seek(0)
                raise RuntimeError(
                    f"PostgreSQL {what} did not finish within {timeout:g} s: "
                    f"{' '.join(cmd)}\n{out.read().decode(errors='replace')}\n"
                    f"server log tail:\n{_tail(self._log_if_any())}"
                ) from None
            out.seek(0)
            output = out.read().decode(errors="replace")
        proc.stdout = output
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"PostgreSQL {what} failed (exit {proc.returncode}): {' '.join(cmd)}\n"
                f"{output}\nserver log tail:\n{_tail(self._log_if_any())}"
            )
        return proc

    def _env(self) -> dict:
        env = dict(os.environ)
        for k in ("PGDATA", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "PGSERVICE", "PGOPTIONS"):
            env.pop(k, None)
        env["LC_ALL"] = "C.UTF-8"
        env["PGCONNECT_TIMEOUT"] = "5"
        return env

    def _log_if_any(self) -> Path | None:
        return self.log_path if self.base_dir is not None else None

    # -- lifecycle
    def _initdb(self) -> None:
        base = self._base()
        if (self.data_dir / "PG_VERSION").exists():
            self._initialized = True
            return
        self.socket_dir.mkdir(exist_ok=True)
        self.log_path.touch()
        if self.as_root:
            shutil.chown(base, "postgres", "postgres")
            shutil.chown(self.socket_dir, "postgres", "postgres")
            shutil.chown(self.log_path, "postgres", "postgres")
        self._run(
            self._cmd(
                "initdb",
                "-D",
                str(self.data_dir),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ),
            "initdb",
        )
        self._initialized = True

    def start(self) -> PostgresServer:
        """Start the server (initdb on first call) and wait until it accepts
        connections; on first start also create the default database.

        No-op if already running. Returns self.

        Raises:
            RuntimeError: binaries missing, initdb/pg_ctl failed, or the server did not
                come up within ``timeout`` seconds (message includes the log tail).
        """
        if not postgres_available():
            raise RuntimeError(f"PostgreSQL 15 binaries not found in {PG_BIN}; run scripts/install-system-deps.sh")
        if self.port is None:
            self.port = free_port(self.host)
        elif self._initialized and self.running:
            return self
        first = not self._initialized
        self._initdb()
        speed = "" if self.durable else "-F -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        opts = f"-h {self.host} -p {self.port} -k {shlex.quote(str(self.socket_dir))} {speed}-c max_connections=200"
        _LIVE.add(self)
        self._run(
            self._cmd(
                "pg_ctl",
                "start",
                "-w",
                "-t",
                str(int(self.timeout)),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_path),
                "-o",
                opts,
            ),
            "start",
            timeout=self.timeout + 5,
        )
        self._wait_ready()
        if first:
            self.create_database(self.default_db, exist_ok=True)
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            r = self._run(
                [
                    os.path.join(PG_BIN, "pg_isready"),
                    "-h",
                    self.host,
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                    "-d",
                    "postgres",
                    "-t",
                    "2",
                ],
                "pg_isready",
                timeout=10,
                check=False,
            )
            if r.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"PostgreSQL on {self.host}:{self.port} not ready within "
                    f"{self.timeout:g} s; server log tail:\n{_tail(self.log_path)}"
                )
            time.sleep(0.1)

    def _pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self, mode: str = "fast") -> None:
        """Stop the server with ``pg_ctl stop -m <mode>`` (``fast`` default,
        ``immediate`` to simulate a crash), bounded by ``timeout`` seconds; falls back to
        SIGKILL of the postmaster. Safe to call when not running; keeps port and data.
        """
        if self.base_dir is None or not (self.data_dir / "PG_VERSION").exists():
            return
        status = self._run(self._cmd("pg_ctl", "status", "-D", str(self.data_dir)), "status", timeout=10, check=False)
        if status.returncode == 0:  # 3 = not running
            r = self._run(
                self._cmd("pg_ctl", "stop", "-w", "-t", str(int(self.timeout)), "-m", mode, "-D", str(self.data_dir)),
                "stop",
                timeout=self.timeout + 5,
                check=False,
            )
            if r.returncode != 0:
                pid = self._pid()
                if pid:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 10
                while self._port_busy() and time.monotonic() < deadline:
                    time.sleep(0.1)
        _LIVE.discard(self)

    def _port_busy(self) -> bool:
        return self.port is not None and _port_open(self.port, self.host, timeout=0.2)

    def restart(self) -> PostgresServer:
        """:meth:`stop` then :meth:`start`, same port and data. Returns self."""
        self.stop()
        return self.start()

    def cleanup(self) -> None:
        """Stop the server if needed and delete its temporary directory (data and log).
        After this, :meth:`start` would initdb a fresh cluster."""
        try:
            self.stop()
        finally:
            if self.base_dir is not None and self._owns_base:
                shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None
            self._owns_base = False
            self._initialized = False
            _LIVE.discard(self)

    # -- databases
    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run SQL with ``psql -X -v ON_ERROR_STOP=1 -At`` over TCP as user postgres.

        Args:
            sql: one or more statements.
            dbname: database to connect to.

        Returns:
            psql's unaligned, tuples-only output (stripped), e.g. ``"1"`` for SELECT 1.

        Raises:
            RuntimeError: psql failed or timed out (message includes its output).
        """
        if self.port is None:
            raise RuntimeError("PostgresServer has no port yet; call start() first")
        # psql is a client: it needs no special user, but run it the same way as the
        # server binaries so a root-only cwd never matters.
        r = self._run(
            self._cmd(
                "psql",
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                dbname,
                "-c",
                sql,
            ),
            "psql",
        )
        return r.stdout.strip()

    def database_exists(self, name: str) -> bool:
        """Return True if database ``name`` exists."""
        _check_dbname(name)
        return self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"

    def create_database(self, name: str, exist_ok: bool = False) -> str:
        """Create database ``name`` (owner postgres, UTF8) and return its SQLAlchemy URL.

        Args:
            name: identifier ``[A-Za-z_][A-Za-z0-9_]*`` (max 63 chars).
            exist_ok: if True an existing database is kept and its URL returned;
                if False (default) an existing database raises RuntimeError.

        Returns:
            ``postgresql+psycopg://postgres@127.0.0.1:PORT/name``.

        Raises:
            ValueError: invalid name. RuntimeError: psql failed / database exists.
        """
        _check_dbname(name)
        if exist_ok and self.database_exists(name):
            return self.url_for(name)
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, terminating its connections first."""
        _check_dbname(name)
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # -- context manager
    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc) -> None:
        self.cleanup()

    def _atexit(self) -> None:
        self.cleanup()

    def __repr__(self) -> str:
        return f"<PostgresServer {self.host}:{self.port} data={self.base_dir}>"


def _check_dbname(name: str) -> None:
    if not _DBNAME_RE.match(name):
        raise ValueError(f"invalid database name {name!r}")
