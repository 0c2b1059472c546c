"""Settings for the test suite: the defaults, made fast and self-contained."""

import os
import tempfile

# Not the developer's .env: `make run` keeps its generated secrets there.
os.environ.setdefault("ENV_FILE", os.devnull)
os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("ORDERPROTECTION_API_TOKEN", "sandbox-token")

from claims_portal.settings import *  # noqa: F403

# live_server serves only unhashed static names.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PIN_HASH_ITERATIONS = 1_000
MEDIA_ROOT = tempfile.mkdtemp(prefix="claims-portal-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="claims-portal-test-static-")
SERVE_MEDIA = True
# Where the API fetches claim files; tests that deliver for real point it at a live server.
PUBLIC_MEDIA_BASE_URL = "http://testserver"
PORTAL_BASE_URL = "http://testserver"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# The test servers speak plain HTTP (tests/test_production.py checks the HTTPS settings).
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
# Retries come quickly in tests; the limits stay as configured unless a test changes them.
DELIVERY_BACKOFF_BASE = 0.05
DELIVERY_BACKOFF_CAP = 0.2
# The sandbox records a claim before it answers: a test need not wait before a lookup,
# unless the client may give up before the sandbox has read the request (tests/test_soak.py).
DELIVERY_LOOKUP_DELAY = 0.0
# The suite runs on whatever DATABASE_URL names: SQLite by default, PostgreSQL under
# `python -m tests.postgres_cluster -- pytest`. Worker processes started by tests reach
# the test database through tests.workers.database_url(): on SQLite a file (an in-memory
# database cannot be shared), on PostgreSQL the test_<NAME> database Django creates.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.mkdtemp(prefix="claims-portal-test-db-"), "test.sqlite3")
    }
# Claims taken back by recover_deliveries go out at once, and a claim put back by the cap
# on sends in flight comes back quickly.
DELIVERY_RECOVERY_SPREAD = 0.0
DELIVERY_IN_FLIGHT_PAUSE = 0.2
