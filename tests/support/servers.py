"""Throw-away Redis and PostgreSQL servers for the test suite.

Used by pytest fixtures and by the fault tests, which stop a server and bring it back on
the same port while the application keeps running. Both run on
:class:`support.process.ManagedProcess` (free loopback port kept across restarts, bounded
waits, SIGTERM-then-SIGKILL stops, log tails in every failure message).

* :class:`RedisServer` runs ``/usr/bin/redis-server`` (Debian's 7.0) as a child process
  bound to 127.0.0.1 on a free port, with persistence off; :meth:`RedisServer.command`
  talks to it through redis-py.
* :class:`RedisCluster` runs three (or more) such servers with ``--cluster-enabled yes``
  and joins them with ``redis-cli --cluster create`` into a cluster of masters.
* :class:`PostgresServer` runs PostgreSQL 15's ``postgres`` from ``/usr/lib/postgresql/15/bin``
  in a private data directory (trust auth, fsync off unless ``durable=True``). As root the
  binaries run as the ``postgres`` OS user (initdb refuses root).

Install the binaries with ``scripts/install-system-deps.sh``. Every wait is bounded; a
failure raises :class:`RuntimeError` carrying the tail of the server log.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from support.process import HOST, ManagedProcess, free_port, tail, track, untrack

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
#: Directory with the PostgreSQL 15 binaries (initdb, postgres, pg_isready, psql).
PG_BIN = "/usr/lib/postgresql/15/bin"


def redis_available() -> bool:
    """Return True if the Redis server binary is installed and executable."""
    return os.access(REDIS_SERVER, os.X_OK)


def redis_cluster_available() -> bool:
    """Return True if both ``redis-server`` and ``redis-cli`` are installed."""
    return redis_available() and os.access(REDIS_CLI, os.X_OK)


def postgres_available() -> bool:
    """Return True if the PostgreSQL 15 binaries this module needs are installed."""
    return all(os.access(os.path.join(PG_BIN, b), os.X_OK) for b in ("initdb", "postgres", "pg_isready", "psql"))


# --------------------------------------------------------------------------- Redis


class RedisServer(ManagedProcess):
    """A private ``redis-server`` on 127.0.0.1 for one test session or test.

    The port is picked once and kept, so :meth:`stop` followed by :meth:`start` brings the
    server back at the same :attr:`url` — which is what the fault tests rely on. Data does
    not survive a stop (``--save ""``, no AOF).

    Usage::

        with RedisServer(tmp_path) as redis:
            os.environ["REDIS_URL"] = redis.url

    Args:
        tmpdir: directory (str or Path, created if missing) used as Redis' ``--dir`` and
            for the log file ``redis-<port>.log``.
        port: fixed port to use; default ``None`` picks a free one.
        start_timeout: seconds to wait for ``PING`` to answer ``PONG`` (default 10).
        extra_args: more ``redis-server`` options appended to the command line, e.g.
            ``("--cluster-enabled", "yes")`` (used by :class:`RedisCluster`).
    """

    name = "redis-server"

    def __init__(
        self,
        tmpdir: str | os.PathLike,
        port: int | None = None,
        start_timeout: float = 10.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        super().__init__(port=port, start_timeout=start_timeout, stop_timeout=5.0)
        self.tmpdir = Path(tmpdir)
        self.extra_args = tuple(extra_args)
        self.log_path = self.tmpdir / f"redis-{self.port}.log"

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://{self.host}:{self.port}/0"

    def before_start(self) -> None:
        """Check the binary is installed and create :attr:`tmpdir`.

        Raises:
            RuntimeError: ``redis-server`` is not installed.
        """
        if not redis_available():
            raise RuntimeError(f"{REDIS_SERVER} not found; run scripts/install-system-deps.sh")
        self.tmpdir.mkdir(parents=True, exist_ok=True)

    def cwd(self) -> Path:
        """Redis runs in :attr:`tmpdir`."""
        return self.tmpdir

    def argv(self) -> list[str]:
        """``redis-server`` on 127.0.0.1:PORT, no persistence, logging to stdout, 16 databases."""
        return [
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

    def ready(self) -> bool:
        """True when ``PING`` answers ``PONG`` within 0.5 s."""
        return self.ping(timeout=0.5)

    # -- talking to it
    def ping(self, timeout: float = 1.0) -> bool:
        """Send ``PING``. Returns True on ``PONG``, False otherwise (refused, timed out, error)."""
        try:
            return self.command("PING", timeout=timeout) == "PONG"
        except (OSError, RuntimeError):
            return False

    def command(self, *args: str, timeout: float = 2.0):
        """Send one command on a fresh redis-py connection and return the raw reply.

        No redis-py response callbacks apply: the reply is what the server sent.

        Args:
            *args: command and arguments, e.g. ``("SET", "k", "v")``.
            timeout: connect and read timeout in seconds.

        Returns:
            str for simple/bulk strings, int for integers, None for nil, list for arrays.

        Raises:
            OSError: connection failed or timed out.
            RuntimeError: the server replied with an error (``-ERR …``, ``-MOVED …``); the
                redis-py ``ResponseError`` subclass is its ``__cause__``.
        """
        conn = redis.Connection(
            host=self.host,
            port=self.port,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            decode_responses=True,
            retry=Retry(NoBackoff(), 0),
        )
        try:
            conn.send_command(*args)
            return conn.read_response()
        except redis.ResponseError as exc:
            raise RuntimeError(f"redis error: {exc}") from exc
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise OSError(f"redis on {self.host}:{self.port}: {exc}") from exc
        finally:
            conn.disconnect()


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
        track(self)
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
                    f"output:\n{tail(self.log_path)}"
                ) from None
        if proc.returncode != 0:
            raise RuntimeError(
                f"redis-cli --cluster create failed (exit {proc.returncode}); output:\n{tail(self.log_path)}"
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
        untrack(self)

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
#: ``PostgresServer.stop`` modes and the postmaster signals for them (PostgreSQL 15 docs,
#: "Shutting Down the Server").
_SHUTDOWN_SIGNALS = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}


class PostgresServer(ManagedProcess):
    """A private PostgreSQL 15 server on 127.0.0.1 for one test session.

    ``postgres`` runs in the foreground as a child (as the ``postgres`` OS user when
    running as root). The cluster lives in a fresh ``tempfile.mkdtemp(prefix="ae-pg-")`` directory when
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

    name = "PostgreSQL"
    #: SIGINT is PostgreSQL's "fast" shutdown (SIGTERM would wait for every client to leave).
    stop_signal = signal.SIGINT

    def __init__(
        self,
        tmpdir: str | os.PathLike,
        port: int | None = None,
        timeout: float = 30.0,
        default_db: str = "appointease",
        durable: bool = False,
    ) -> None:
        super().__init__(port=port, start_timeout=timeout, stop_timeout=timeout)
        self.tmpdir = Path(tmpdir)
        self.durable = durable
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
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{name}"

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
                    f"server log tail:\n{tail(self._log_if_any())}"
                ) from None
            out.seek(0)
            output = out.read().decode(errors="replace")
        proc.stdout = output
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"PostgreSQL {what} failed (exit {proc.returncode}): {' '.join(cmd)}\n"
                f"{output}\nserver log tail:\n{tail(self._log_if_any())}"
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

    def before_start(self) -> None:
        """Check the binaries are installed and run initdb unless the cluster exists.

        Raises:
            RuntimeError: binaries missing, or initdb failed (message includes its output).
        """
        if not postgres_available():
            raise RuntimeError(f"PostgreSQL 15 binaries not found in {PG_BIN}; run scripts/install-system-deps.sh")
        self._initdb()

    def argv(self) -> list[str]:
        """``postgres -D DATA -h 127.0.0.1 -p PORT -k SOCKDIR`` with durability off unless
        ``durable``, and room for 200 connections."""
        speed = [] if self.durable else ["-F", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        return [
            os.path.join(PG_BIN, "postgres"),
            "-D",
            str(self.data_dir),
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-k",
            str(self.socket_dir),
            *speed,
            "-c",
            "max_connections=200",
        ]

    def environment(self) -> dict[str, str]:
        """This process's environment without libpq's ``PG*`` variables, in the C.UTF-8 locale."""
        return self._env()

    def cwd(self) -> Path:
        """The cluster's base folder (readable by the ``postgres`` user)."""
        return self._base()

    def run_as(self) -> str | None:
        """``postgres`` when running as root (the server refuses root), else None."""
        return "postgres" if self.as_root else None

    def ready(self) -> bool:
        """True when ``pg_isready`` reports that the server accepts connections."""
        cmd = [os.path.join(PG_BIN, "pg_isready"), "-h", self.host, "-p", str(self.port), "-U", "postgres"]
        return self._run([*cmd, "-d", "postgres", "-t", "1"], "pg_isready", timeout=10, check=False).returncode == 0

    def start(self) -> PostgresServer:
        """Start the server (initdb on first call) and wait until it accepts
        connections; on first start also create the default database.

        No-op if already running. Returns self.

        Raises:
            RuntimeError: binaries missing, initdb failed, or the server exited or did not
                come up within ``timeout`` seconds (message includes the log tail).
        """
        if self.running:
            return self
        first = not self._initialized
        super().start()
        if first:
            self.create_database(self.default_db, exist_ok=True)
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server with PostgreSQL's shutdown signal for ``mode`` (``fast``
        default: SIGINT; ``smart``: SIGTERM; ``immediate``: SIGQUIT, to simulate a crash),
        then SIGKILL after ``timeout`` seconds. Safe to call when not running; keeps port and data.

        Raises:
            ValueError: unknown ``mode``.
        """
        if mode not in _SHUTDOWN_SIGNALS:
            raise ValueError(f"unknown PostgreSQL shutdown mode {mode!r}")
        self._terminate(_SHUTDOWN_SIGNALS[mode], self.stop_timeout)

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
            untrack(self)

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
