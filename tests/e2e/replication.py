"""A PostgreSQL primary and its streaming replica, built for a test from Debian's
PostgreSQL binaries (`initdb`, `pg_basebackup -R`) on free ports, run as user postgres.

Both load pg_stat_statements, so a test can count the statements each server ran.
Used by tests/e2e/test_read_replicas.py and by `bench/load.py --replica`.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2

BIN = Path("/usr/lib/postgresql/15/bin")
DATABASE = "talks"
SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sockets}'
wal_level = replica
max_wal_senders = 4
hot_standby = on
shared_preload_libraries = 'pg_stat_statements'
fsync = off
full_page_writes = off
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def available() -> bool:
    return (BIN / "initdb").exists() and (BIN / "pg_basebackup").exists()


def _as_postgres(*command: str) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)


class Server:
    def __init__(self, directory: Path, port: int) -> None:
        self.directory, self.port = directory, port

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def start(self) -> None:
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(self.directory), "-l",
                     str(self.directory / "server.log"), "-w", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(self.directory), "-m", mode, "-w", "stop")

    def sql(self, query: str, params=(), database: str = DATABASE):
        """The first row of `query` (None for none), run in autocommit."""
        connection = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, connect_timeout=3
        )
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(query, params)
                return cursor.fetchone() if cursor.description else None
        finally:
            connection.close()

    def statements(self) -> int:
        """How many statements this server ran since its statistics were reset."""
        (calls,) = self.sql(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements"
            " WHERE query NOT LIKE '%%pg_stat_statements%%'"
        )
        return int(calls)

    def statements_on(self, table: str) -> int:
        """How many statements this server ran that read or wrote `table`."""
        (calls,) = self.sql(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE %s",
            [f'%"{table}"%'],
        )
        return int(calls)


class StreamingPair:
    """A primary and a replica streaming from it, in a directory of their own."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="talks-replication-"))
        shutil.chown(self.root, "postgres", "postgres")
        self.primary = Server(self.root / "primary", free_port())
        self.replica = Server(self.root / "replica", free_port())

    def start(self) -> None:
        primary, replica = self.primary, self.replica
        _as_postgres(str(BIN / "initdb"), "-D", str(primary.directory), "-U", "postgres",
                     "--auth=trust", "-E", "UTF8", "--locale=C")  # fmt: skip
        with open(primary.directory / "postgresql.conf", "a") as conf:
            conf.write(SETTINGS.format(port=primary.port, sockets=primary.directory))
        primary.start()
        primary.sql(f"CREATE DATABASE {DATABASE}", database="postgres")
        primary.sql("CREATE EXTENSION pg_stat_statements")
        _as_postgres(str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
                     "-U", "postgres", "-D", str(replica.directory), "-R", "-X", "stream",
                     "-c", "fast")  # fmt: skip
        with open(replica.directory / "postgresql.conf", "a") as conf:
            conf.write(f"port = {replica.port}\nunix_socket_directories = '{replica.directory}'\n")
        replica.start()

    def caught_up(self, seconds: float = 30) -> None:
        """Wait until the replica has replayed everything the primary wrote so far."""
        (target,) = self.primary.sql("SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            (done,) = self.replica.sql("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if done:
                return
            time.sleep(0.05)
        raise AssertionError(f"the replica did not catch up with {target} in {seconds} s")

    def close(self) -> None:
        for server in (self.replica, self.primary):
            with contextlib.suppress(subprocess.CalledProcessError):  # not running
                server.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
