"""A real PostgreSQL server for the store tests: Debian's postgresql (`make system-deps`), started on 127.0.0.1 at a
free port in a temporary folder, trust authentication from 127.0.0.1 only, stopped and removed afterwards.

Run as root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.app_server import free_port

START_TIMEOUT_S = 60


class PostgresError(RuntimeError):
    pass


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PostgresError(
            "PostgreSQL not found (/usr/lib/postgresql/*/bin/initdb): `make system-deps` (part of `make test`) "
            "installs Debian's postgresql"
        )
    return Path(found[-1]).parent


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(_as_server_user(command), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PostgresError(f"{what} failed ({result.returncode}): {result.stdout}{result.stderr}")


@contextlib.contextmanager
def running_postgres() -> Iterator[str]:
    """Start a throwaway server; yield the URL of its `postgres` database as the `postgres` superuser."""
    bindir = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="rightsize-pg-"))
    data, log = root / "data", root / "server.log"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    started = False
    try:
        _run(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"],
            "initdb",
        )
        (data / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\n")
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=100"
        )
        _run(
            [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t",
             str(START_TIMEOUT_S), "start"],
            "pg_ctl start",
        )  # fmt: skip
        started = True
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    except PostgresError as e:
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise PostgresError(f"{e}\n{detail}") from None
    finally:
        if started:
            subprocess.run(
                _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """A new empty database on the server; returns its URL."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"
