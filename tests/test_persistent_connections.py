"""A request thread keeps its database connection for the next request, on SQLite too.

Gunicorn's threads (`make run`: 2 workers × 4 threads) each run request after request
through Django's WSGI handler, which closes the thread's connection at the end of each
request unless DATABASE_CONN_MAX_AGE keeps it. These requests go through that handler in
this thread, as a gunicorn thread runs them.
"""

import io

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection
from django.db.backends.signals import connection_created

pytestmark = pytest.mark.django_db(transaction=True)


def wsgi_get(handler: WSGIHandler, path: str) -> int:
    """GET `path` through the WSGI handler as a server thread does; the status code."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    statuses = []
    response = handler(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        b"".join(response)
    finally:
        response.close()  # request_finished: where a connection past its age is closed
    return int(statuses[0].split()[0])


@pytest.fixture
def connections_opened():
    opened = []

    def note(sender, connection, **kwargs):
        opened.append(connection)

    connection_created.connect(note)
    yield opened
    connection_created.disconnect(note)


def test_a_request_thread_reuses_its_database_connection(connections_opened):
    handler = WSGIHandler()
    connection.close()

    statuses = [wsgi_get(handler, "/healthz") for _ in range(5)]

    assert statuses == [200] * 5
    # One connection for all five requests (each of /healthz's checks queries the database).
    assert len(connections_opened) == 1
    assert connection.connection is not None


def test_a_kept_sqlite_connection_still_has_the_portals_pragmas(connections_opened):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's PRAGMAs")
    handler = WSGIHandler()
    connection.close()
    wsgi_get(handler, "/healthz")
    wsgi_get(handler, "/healthz")
    close_old_connections()  # what the delivery and risk workers do between tasks

    with connection.cursor() as cursor:
        journal_mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        synchronous = cursor.execute("PRAGMA synchronous").fetchone()[0]
        foreign_keys = cursor.execute("PRAGMA foreign_keys").fetchone()[0]

    assert len(connections_opened) == 1
    assert (journal_mode, synchronous, foreign_keys) == ("wal", 1, 1)  # 1: NORMAL
