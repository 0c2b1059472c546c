"""Settings for the test suite: the defaults, made fast and self-contained."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("ORDERPROTECTION_API_TOKEN", "sandbox-token")

from claims_portal.settings import *  # noqa: F403

# live_server serves only unhashed static names.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="claims-portal-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="claims-portal-test-static-")
SERVE_MEDIA = True
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
