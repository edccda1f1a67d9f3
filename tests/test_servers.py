"""Self-tests for support/process.py and support/servers.py: the managed-process base, real Redis
and PostgreSQL, stopped and brought back.

They skip only when the binaries are missing *and* CI is not set; under CI=true a
missing binary is a failure (run scripts/install-system-deps.sh).
"""

import signal
import socket
import sys

import pytest

from support.helpers import need
from support.process import ManagedProcess, port_open
from support.servers import (
    PostgresServer,
    RedisCluster,
    RedisServer,
    postgres_available,
    redis_available,
    redis_cluster_available,
)

pytestmark = pytest.mark.engine_independent


class _Script(ManagedProcess):
    """A Python one-liner as a managed process; ready once it listens on its port."""

    name = "script"

    def __init__(self, tmp_path, code: str, start_timeout: float = 10.0):
        super().__init__(start_timeout=start_timeout, stop_timeout=0.5)
        self.code = code
        self.log_path = tmp_path / "script.log"

    def argv(self) -> list[str]:
        return [sys.executable, "-c", self.code]

    def environment(self) -> dict[str, str]:
        return {"PORT": str(self.port)}

    def ready(self) -> bool:
        return port_open(self.port)


#: Listens on $PORT and ignores SIGTERM: only the SIGKILL fallback stops it.
_STUBBORN = (
    "import os, signal, socket, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "s = socket.socket(); s.bind(('127.0.0.1', int(os.environ['PORT']))); s.listen()\n"
    "time.sleep(60)\n"
)


def test_managed_process_reports_an_early_exit_with_its_log(tmp_path):
    script = _Script(tmp_path, "print('no config here', flush=True); raise SystemExit(3)")
    with pytest.raises(RuntimeError, match="exited with code 3") as failed:
        script.start()
    assert "no config here" in str(failed.value)
    assert not script.running


def test_managed_process_gives_up_when_never_ready_and_stops_the_child(tmp_path):
    script = _Script(tmp_path, "import time; print('waiting', flush=True); time.sleep(60)", start_timeout=0.5)
    with pytest.raises(RuntimeError, match=r"not ready on 127\.0\.0\.1:\d+ within 0\.5 s") as failed:
        script.start()
    assert "waiting" in str(failed.value)
    assert script.proc is None


def test_managed_process_kills_a_child_that_ignores_sigterm_and_keeps_its_port(tmp_path):
    script = _Script(tmp_path, _STUBBORN)
    with script:
        port, proc = script.port, script.proc
        assert script.running and port_open(port)
        script.stop()  # SIGTERM ignored: SIGKILL after stop_timeout
        assert proc.returncode == -signal.SIGKILL
        assert not script.running and _refused(port)
        script.start()
        assert script.port == port and port_open(port)
    assert not script.running


def _raw_ping(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"PING\r\n")
        return s.recv(64)


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except OSError:
        return True


def test_redis_start_talk_stop_restart_same_port(tmp_path):
    need(redis_available(), "redis-server")
    with RedisServer(tmp_path) as redis:
        port = redis.port
        assert redis.url == f"redis://127.0.0.1:{port}/0"
        assert _raw_ping(port).startswith(b"+PONG")
        assert redis.command("SET", "k", "v1") == "OK"
        assert redis.command("GET", "k") == "v1"
        assert redis.command("GET", "missing") is None

        redis.stop()
        assert not redis.running
        assert _refused(port)
        redis.stop()  # idempotent

        redis.start()
        assert redis.port == port
        assert redis.url == f"redis://127.0.0.1:{port}/0"
        assert _raw_ping(port).startswith(b"+PONG")
        assert redis.command("GET", "k") is None  # no persistence across restarts
        assert redis.command("SET", "k", "v2") == "OK"
        assert redis.command("GET", "k") == "v2"

        redis.kill()  # crash, then recover on the same port
        assert _refused(port)
        redis.start()
        assert redis.ping()
    assert _refused(port)


def _select_one(pg: PostgresServer, url: str) -> int:
    """SELECT 1 through psycopg when installed, else through psql."""
    try:
        import psycopg
    except ImportError:
        return int(pg.psql("SELECT 1", dbname=url.rsplit("/", 1)[1]))
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, connect_timeout=5) as conn:
        return conn.execute("SELECT 1").fetchone()[0]


def test_postgres_start_talk_stop_restart_same_port(tmp_path):
    need(postgres_available(), "PostgreSQL 15")
    with PostgresServer(tmp_path) as pg:
        port = pg.port
        base = pg.base_dir
        assert pg.url == f"postgresql+psycopg://postgres@127.0.0.1:{port}/appointease"
        assert pg.psql("SELECT 1") == "1"
        assert _select_one(pg, pg.url) == 1
        assert pg.psql("SHOW fsync") == "off"
        assert pg.psql("SHOW max_connections") == "200"
        assert pg.psql("SHOW server_encoding") == "UTF8"

        url = pg.create_database("ae_selftest")
        assert url == f"postgresql+psycopg://postgres@127.0.0.1:{port}/ae_selftest"
        assert pg.create_database("ae_selftest", exist_ok=True) == url
        with pytest.raises(RuntimeError):
            pg.create_database("ae_selftest")
        with pytest.raises(ValueError):
            pg.create_database("bad; name")
        pg.psql("CREATE TABLE t (x int); INSERT INTO t VALUES (42)", dbname="ae_selftest")

        pg.stop()
        assert not pg.running
        assert _refused(port)
        pg.stop()  # idempotent

        pg.start()
        assert pg.port == port
        assert _select_one(pg, url) == 1
        assert pg.psql("SELECT x FROM t", dbname="ae_selftest") == "42"  # data kept

        pg.restart()
        assert pg.port == port
        assert _select_one(pg, pg.url) == 1

        pg.stop(mode="immediate")  # crash-like stop, then recovery
        assert _refused(port)
        pg.start()
        assert pg.psql("SELECT x FROM t", dbname="ae_selftest") == "42"

        pg.drop_database("ae_selftest")
        assert not pg.database_exists("ae_selftest")
    assert _refused(port)
    assert base is not None and not base.exists()  # cleanup removed the temp dir


def test_redis_cluster_three_masters_spread_hash_tags(tmp_path):
    need(redis_cluster_available(), "redis-server and redis-cli")
    from redis.cluster import ClusterNode
    from redis.cluster import RedisCluster as ClusterClient
    from redis.exceptions import MovedError

    with RedisCluster(tmp_path) as cluster:
        ports = cluster.ports
        assert len(set(ports)) == 3
        assert cluster.urls == [f"redis://127.0.0.1:{p}/0" for p in ports]
        info = cluster.cluster_info()
        assert info["cluster_state"] == "ok"
        assert info["cluster_size"] == "3"  # three masters, each serving slots

        client = ClusterClient(startup_nodes=[ClusterNode(h, p) for h, p in cluster.startup_nodes], socket_timeout=5)
        try:
            # Keys of one (employee, day) share a hash tag, so they live on one node;
            # different tags spread over the masters (docs/production.md "Redis Cluster").
            owner: dict[str, int] = {}
            for employee in range(1, 200):
                tag = f"{{holds:{employee}:2030-01-07}}"
                client.set(f"{tag}:a", "1")
                client.set(f"{tag}:b", "2")
                owner[tag] = client.get_node_from_key(f"{tag}:a").port
                assert client.get_node_from_key(f"{tag}:b").port == owner[tag]
                if len(set(owner.values())) == 3:
                    break
            assert set(owner.values()) == set(ports)
            # Each key is really stored on the node redis-py routed it to: a plain
            # GET there answers, while another master refuses it with MOVED.
            for tag, port in owner.items():
                node = RedisServer(tmp_path, port=port)
                assert node.command("GET", f"{tag}:a") == "1"
                other = next(p for p in ports if p != port)
                with pytest.raises(RuntimeError) as refused:
                    RedisServer(tmp_path, port=other).command("GET", f"{tag}:a")
                assert isinstance(refused.value.__cause__, MovedError)
                assert refused.value.__cause__.port == port
        finally:
            client.close()
    for port in ports:
        assert _refused(port)
