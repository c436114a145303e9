"""The catalogue version as public GETs read it: on PostgreSQL through one connection per
process kept open for that one statement.

Every 304 and every answer from the cache reads the version, and under ASGI each request
would otherwise open a database connection of its own for it: measured here, 11 ms for
Django's new connection against 1.2 ms for the read on an open one. The kept connection
is in autocommit, so each read sees the latest commit; it is opened again once when it
fails, and a second failure is the database being down (a Django OperationalError,
answered 503). Inside a transaction (tests, ATOMIC_REQUESTS) the request's own
connection reads it, so that the transaction's own writes count.
"""

import contextlib
import threading

from django.db import connection

from talks.selectors import catalogue_version

VERSION_SQL = "SELECT version FROM talks_catalogueversion WHERE id = 1"


class KeptConnection:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.raw = None

    def _close(self) -> None:
        if self.raw is not None:
            with contextlib.suppress(connection.Database.Error):  # already broken
                self.raw.close()
        self.raw = None

    def _read(self) -> int:
        if self.raw is None:
            self.raw = connection.get_new_connection(connection.get_connection_params())
            self.raw.autocommit = True
        with self.raw.cursor() as cursor:
            cursor.execute(VERSION_SQL)
            row = cursor.fetchone()
        return row[0] if row else 0

    def read(self) -> int:
        with self.lock, connection.wrap_database_errors:
            try:
                return self._read()
            except connection.Database.Error:
                self._close()  # dropped by the server (a restart): open it again, once
                return self._read()


_kept = KeptConnection()


def current_catalogue_version() -> int:
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return catalogue_version()
    return _kept.read()
