"""PgBouncer from Debian's package, with the repository's settings (docker/pgbouncer.ini:
transaction pooling), in front of one database of a PostgreSQL server; for the
deployment test and `bench/load.py --pgbouncer`."""

import configparser
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
BINARY = shutil.which("pgbouncer") or (
    "/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class PgBouncer:
    """Started in front of `database_url`'s database; `url` is the same database through
    PgBouncer. Trust authentication: for loopback tests and benchmarks only."""

    def __init__(self, database_url: str) -> None:
        assert BINARY, "pgbouncer is not installed (Debian package pgbouncer)"
        parts = urlsplit(database_url)
        name, user = parts.path.lstrip("/"), parts.username or "postgres"
        # PgBouncer refuses to run as root; as root, it runs as the `postgres` user (-u),
        # which must be able to read its files and write its log.
        self.dir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
        if as_user:
            shutil.chown(self.dir, "postgres")
        config = configparser.ConfigParser()
        config.read(ROOT / "docker" / "pgbouncer.ini")
        self.pool_mode = config["pgbouncer"]["pool_mode"]
        port = _free_port()
        config["databases"] = {
            name: f"host={parts.hostname or '127.0.0.1'} port={parts.port or 5432} dbname={name}"
        }
        config["pgbouncer"].update(
            listen_addr="127.0.0.1",
            listen_port=str(port),
            auth_type="trust",
            auth_file=str(self.dir / "users.txt"),
            unix_socket_dir="",
            logfile=str(self.dir / "pgbouncer.log"),
            pidfile=str(self.dir / "pgbouncer.pid"),
        )
        (self.dir / "users.txt").write_text(f'"{user}" ""\n')
        with open(self.dir / "pgbouncer.ini", "w") as file:
            config.write(file)
        self.process = subprocess.Popen([BINARY, *as_user, str(self.dir / "pgbouncer.ini")])
        deadline = time.monotonic() + 10
        while not _listening(port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = self.dir / "pgbouncer.log"
                said = log.read_text() if log.exists() else ""
                raise RuntimeError(f"pgbouncer did not start: {said}")
            time.sleep(0.1)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
        self.url = urlunsplit(parts._replace(netloc=netloc))

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
