"""Settings for the Store Claims Portal.

Every value comes from the environment (or a `.env` file beside manage.py)
through django-environ; `.env.example` documents each variable. The embedded
defaults give a development setup: SQLite, local media and the sandbox API.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(os.environ.get("ENV_FILE", BASE_DIR / ".env"), overwrite=False)


def env_choice(name: str, *, choices: tuple[str, ...], default: str) -> str:
    value = env.str(name, default=default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of {', '.join(choices)}.")
    return value


def env_seconds(name: str, *, default: float, at_least: float, why: str) -> float:
    """A number of seconds, refused below `at_least` (the reason: `why`)."""
    value = env.float(name, default=default)
    if value < at_least:
        raise ImproperlyConfigured(f"{name}={value:g} is under {at_least:g} seconds: {why}")
    return value


def env_origin(name: str) -> str:
    """A scheme and host (and port) such as https://claims.example.com, or "" when unset."""
    value = env.str(name, default="").rstrip("/")
    parts = urlsplit(value)
    if value and (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.path
        or parts.query
        or parts.fragment
    ):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a scheme and host such as https://claims.example.com."
        )
    return value


DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="development-only-not-secret")
else:
    SECRET_KEY = env.str("SECRET_KEY")
# Earlier keys, still accepted while they are rotated out: sessions, links, PINs' hashes.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The portal's own address, for links in emails (password reset). Never taken from the
# request's Host header, which the sender chooses. Unset: no password reset by email.
PORTAL_BASE_URL = env_origin("PORTAL_BASE_URL")

INSTALLED_APPS = [
    "kiosk.apps.DeskAdminConfig",  # django.contrib.admin with the desk's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks_db",
    "axes",
    "kiosk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "kiosk.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "kiosk.middleware.TabletMiddleware",
    # From the headers, before anything reads the body (request.user and request.tablet
    # come from cookies); CSRF's check reads the form later, in process_view.
    "kiosk.body_limits.RequestBodyLimitMiddleware",
    # After the tablet and the user are known: the associate's, the manager's or the
    # store's language, else the browser's (Accept-Language).
    "kiosk.middleware.LanguageMiddleware",
    "kiosk.middleware.KioskLoginRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out user or device
    "django.contrib.auth.backends.ModelBackend",
    "kiosk.auth_backends.TabletPinBackend",
]

ROOT_URLCONF = "claims_portal.urls"
WSGI_APPLICATION = "claims_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kiosk.context_processors.api_target",
                "kiosk.context_processors.tablet",
                "kiosk.context_processors.kiosk_strings",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work at once; IMMEDIATE avoids "database is locked"
    # when two requests upgrade a read to a write at the same time.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
# Keep connections open between requests and tasks, one per thread (checked before reuse):
# a new PostgreSQL connection per delivery task cost workers a fifth of their rate, and a
# new SQLite connection per request (the file, the PRAGMAs above) a fifth of a claim's CPU
# (python -m bench --only claim_cpu).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=600))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "kiosk:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# The portal's languages, US formats for both (claims_portal/formats/): locale/es holds the
# Spanish, which es-us finds by gettext's fallback from es_US to es. See docs/languages.md.
LANGUAGES = [("en-us", "English"), ("es-us", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and times as the desk shows them: times with seconds (claims_portal/formats/).
FORMAT_MODULE_PATH = ["claims_portal.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# Static files: our own under static/, Bootstrap, signature_pad, idb and the barcode
# decoder (barcode-detector on zxing-wasm) from the npm registry (installed into
# node_modules/ by `make`), all served by WhiteNoise; the .wasm as application/wasm.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/signature_pad", BASE_DIR / "node_modules" / "signature_pad" / "dist"),
    ("vendor/idb", BASE_DIR / "node_modules" / "idb" / "build"),
    ("vendor/barcode-detector", BASE_DIR / "node_modules" / "barcode-detector" / "dist" / "iife"),
    ("vendor/zxing-wasm", BASE_DIR / "node_modules" / "zxing-wasm" / "dist" / "reader"),
]

# Uploads. PUBLIC_MEDIA_BASE_URL is where OrderProtection's servers fetch them
# from; with S3 the storage's own absolute URLs are used.
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
PUBLIC_MEDIA_BASE_URL = env.str("PUBLIC_MEDIA_BASE_URL", default="").rstrip("/")
# Django serves the photos OrderProtection fetches (only those); off, a web server must.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=15 * 1024 * 1024)
# Refused from the image's header, before decoding: pixels (width × height) per photo.
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=40_000_000)
# Stored photos are at most this many pixels on their long side.
IMAGE_MAX_SIDE = env.int("IMAGE_MAX_SIDE", default=2048)
# Photos in one request, and photos (of every kind) on one claim.
UPLOAD_MAX_FILES = env.int("UPLOAD_MAX_FILES", default=10)
PHOTOS_PER_CLAIM = env.int("PHOTOS_PER_CLAIM", default=20)
# Quotas (docs/security.md#quotas), so that one associate cannot fill the disk or the
# database. The stored photos' bytes on one claim: stored photos are re-encoded at most
# IMAGE_MAX_SIDE px at JPEG quality 85, where the most detailed photograph measured takes
# 1.4 bits a pixel; so PHOTOS_PER_CLAIM square photos at 1.5 bits (15 MiB by default),
# and never less than one upload's worth.
PHOTOS_MAX_BYTES_PER_CLAIM = env.int(
    "PHOTOS_MAX_BYTES_PER_CLAIM",
    default=max(UPLOAD_MAX_BYTES, PHOTOS_PER_CLAIM * IMAGE_MAX_SIDE**2 * 3 // 16),
)
# Drafts one associate may have open (any store, any age until the purge): each can hold
# PHOTOS_MAX_BYTES_PER_CLAIM. A busy associate files 40 claims a day and leaves few behind;
# 100 is more than three left every day until DRAFT_PURGE_AFTER_DAYS deletes them.
DRAFTS_OPEN_MAX_PER_ASSOCIATE = env.int("DRAFTS_OPEN_MAX_PER_ASSOCIATE", default=100)
# Input that does not validate yet, kept on a draft for all its steps together: twice the
# longest value kept (a signature's data URL, 200,000 characters), and room for the rest.
PENDING_INPUT_MAX_BYTES = env.int("PENDING_INPUT_MAX_BYTES", default=512 * 1024)
# Django's own request limits must let the portal say what is wrong at the field.
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = UPLOAD_MAX_FILES * 4
# A body above this is refused (413) from its Content-Length, before it is read: for
# someone signed in, the largest legitimate request, the item step posted without script
# (UPLOAD_MAX_FILES item photos and the product image, each at most UPLOAD_MAX_BYTES, and
# the form's other fields, at most DATA_UPLOAD_MAX_MEMORY_SIZE). kiosk.body_limits.
REQUEST_MAX_BYTES = env.int(
    "REQUEST_MAX_BYTES",
    default=(UPLOAD_MAX_FILES + 1) * UPLOAD_MAX_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE,
)
# Image decodes larger than a stored photo (IMAGE_MAX_SIDE squared) at once per process:
# each holds up to IMAGE_MAX_PIXELS × 4 bytes (Pillow keeps RGB in 4) and a core. One per
# gunicorn worker, and `make run` has one worker per core of a 2-core machine. 0: no limit.
IMAGE_DECODE_CONCURRENCY = env.int("IMAGE_DECODE_CONCURRENCY", default=1)
# How long a photo waits for a decode slot before the answer is "busy, try again" (503):
# a request thread waiting longer is one the rest of the portal (/healthz) cannot have.
IMAGE_DECODE_WAIT_SECONDS = env.float("IMAGE_DECODE_WAIT_SECONDS", default=0.5)
# Requests carrying more than one photo's bytes (UPLOAD_MAX_BYTES and 1 MiB of form) handled
# at once per process; more are answered 503 "busy" from the header, so that parsing big
# bodies never takes every thread (the tablet's script sends one photo a request). 0: no limit.
REQUEST_LARGE_CONCURRENCY = env.int("REQUEST_LARGE_CONCURRENCY", default=1)
# The URLs OrderProtection fetches photos from are unguessable; signed, they also expire.
# The docs do not say when OrderProtection fetches them: too short an expiry could leave
# it unable to (see docs/tablet.md).
MEDIA_SIGNED_URLS = env.bool("MEDIA_SIGNED_URLS", default=False)
MEDIA_SIGNED_URL_MAX_AGE = env.int("MEDIA_SIGNED_URL_MAX_AGE", default=7 * 24 * 60 * 60)

MEDIA_STORAGE = env_choice("MEDIA_STORAGE", choices=("filesystem", "s3"), default="filesystem")
if MEDIA_STORAGE == "s3":
    default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default=None),
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default=None),
            "signature_version": env.str("AWS_S3_SIGNATURE_VERSION", default="s3v4"),
            "querystring_auth": env.bool("MEDIA_SIGNED_URLS", default=False),
            "querystring_expire": env.int("MEDIA_SIGNED_URL_MAX_AGE", default=7 * 24 * 60 * 60),
            "file_overwrite": False,
        },
    }
else:
    default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": default_storage,
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# OrderProtection API. The default target is the local sandbox (`make run`
# starts it); production is https://api.production.orderprotection.com.
ORDERPROTECTION_PRODUCTION_URL = "https://api.production.orderprotection.com"
ORDERPROTECTION_API_URL = env.str(
    "ORDERPROTECTION_API_URL", default="http://127.0.0.1:8100"
).rstrip("/")
# Credentials: a static bearer token, or OAuth client credentials (one token per
# store, from POST /v1/oauth/token). OAuth is chosen when a client id is set.
ORDERPROTECTION_OAUTH_CLIENT_ID = env.str("ORDERPROTECTION_OAUTH_CLIENT_ID", default="")
ORDERPROTECTION_AUTH = env_choice(
    "ORDERPROTECTION_AUTH",
    choices=("token", "oauth"),
    default="oauth" if ORDERPROTECTION_OAUTH_CLIENT_ID else "token",
)
if DEBUG or ORDERPROTECTION_AUTH == "oauth":
    ORDERPROTECTION_API_TOKEN = env.str("ORDERPROTECTION_API_TOKEN", default="sandbox-token")
else:
    ORDERPROTECTION_API_TOKEN = env.str("ORDERPROTECTION_API_TOKEN")
if ORDERPROTECTION_AUTH == "oauth":
    ORDERPROTECTION_OAUTH_CLIENT_SECRET = env.str("ORDERPROTECTION_OAUTH_CLIENT_SECRET")
else:
    ORDERPROTECTION_OAUTH_CLIENT_SECRET = env.str("ORDERPROTECTION_OAUTH_CLIENT_SECRET", default="")
# read_claims lets the portal look a claim up after an unknown outcome, and follow its state.
ORDERPROTECTION_OAUTH_SCOPES = env.list(
    "ORDERPROTECTION_OAUTH_SCOPES", default=["write_claims", "read_claims"]
)
ORDERPROTECTION_OAUTH_TOKEN_URL = env.str(
    "ORDERPROTECTION_OAUTH_TOKEN_URL", default=ORDERPROTECTION_API_URL + "/v1/oauth/token"
)
# A cached token is replaced this many seconds before it expires.
ORDERPROTECTION_OAUTH_REFRESH_MARGIN = env.int("ORDERPROTECTION_OAUTH_REFRESH_MARGIN", default=60)
# Every call is bounded by connect + read timeout in wall-clock time (the counter by
# DELIVERY_COUNTER_DEADLINE); an answer that has begun to arrive is read to its end.
ORDERPROTECTION_CONNECT_TIMEOUT = env.float("ORDERPROTECTION_CONNECT_TIMEOUT", default=5.0)
ORDERPROTECTION_READ_TIMEOUT = env.float("ORDERPROTECTION_READ_TIMEOUT", default=15.0)
# GET /v1/claims: its query parameters are not documented (api-notes.md).
ORDERPROTECTION_LIST_SIZE_PARAM = env.str("ORDERPROTECTION_LIST_SIZE_PARAM", default="size")
ORDERPROTECTION_LIST_CURSOR_PARAM = env.str("ORDERPROTECTION_LIST_CURSOR_PARAM", default="cursor")
ORDERPROTECTION_LIST_PAGE_SIZE = env.int("ORDERPROTECTION_LIST_PAGE_SIZE", default=50)
# Webhooks: the shared secret OrderProtection sends as x-webhook-secret (empty: refuse all).
ORDERPROTECTION_WEBHOOK_SECRET = env.str("ORDERPROTECTION_WEBHOOK_SECRET", default="")
WEBHOOK_MAX_BYTES = env.int("WEBHOOK_MAX_BYTES", default=256 * 1024)
# A body above this from someone not signed in is refused (413) before it is read: the
# largest anonymous request is the webhook's (a login or a PIN is a few hundred bytes).
REQUEST_MAX_BYTES_ANONYMOUS = env.int("REQUEST_MAX_BYTES_ANONYMOUS", default=WEBHOOK_MAX_BYTES)
# Deepest nesting of objects and lists a webhook body may have; the documented events
# need about 8 (not documented as a limit; deeper bodies get 400).
WEBHOOK_MAX_DEPTH = env.int("WEBHOOK_MAX_DEPTH", default=32)
ORDERPROTECTION_SANDBOX = env.bool(
    "ORDERPROTECTION_SANDBOX",
    default=ORDERPROTECTION_API_URL != ORDERPROTECTION_PRODUCTION_URL,
)
# The docs show `state` both as a name and as a code ("NY"); the name is the default.
ORDERPROTECTION_STATE_VALUE = env_choice(
    "ORDERPROTECTION_STATE_VALUE", choices=("name", "code"), default="name"
)
# Audit rows keep at most this many characters of each response body.
AUDIT_BODY_MAX_CHARS = env.int("AUDIT_BODY_MAX_CHARS", default=20_000)

# What the form offers. A custom ISO-8601 duration is always accepted too.
WARRANTY_PERIOD_CHOICES = env.list(
    "WARRANTY_PERIOD_CHOICES", default=["P30D", "P90D", "P6M", "P1Y", "P2Y", "P3Y", "P5Y"]
)
# The longest warranty period accepted, in (average Gregorian) years: a longer one is a
# form error, so that no coverage is ever shown ending in a year no calendar reaches.
WARRANTY_PERIOD_MAX_YEARS = env.int("WARRANTY_PERIOD_MAX_YEARS", default=100)
# The issue types offered for each claim category (OrderProtection documents both lists,
# not which goes with which). By default a warranty claim is not offered the shipping-only
# ones (stolen, delivered but not received, returned to sender, tracking not moving, wrong
# address); a claim that already has one keeps it. The first ISSUE_TILES of a list are
# tiles, the others behind "Another problem…". See docs/tablet.md.
ISSUE_TYPES_BY_CATEGORY = {
    "WARRANTY": env.list(
        "WARRANTY_CLAIM_ISSUE_TYPES",
        default=["DEFECTIVE_ITEM", "DAMAGED", "MISSING_ITEM", "WRONG_ITEM", "MULTIPLE"],
    ),
    "SHIPPING": env.list(
        "SHIPPING_CLAIM_ISSUE_TYPES",
        default=[
            "ORDER_DELIVERED_NOT_RECEIVED",
            "DAMAGED",
            "STOLEN",
            "MISSING_ITEM",
            "WRONG_ITEM",
            "RETURNED_TO_SENDER",
            "TRACKING_NOT_MOVING",
            "WRONG_ADDRESS",
            "DEFECTIVE_ITEM",
            "MULTIPLE",
        ],
    ),
}
# A postal code that is not one of the chosen state's (a US ZIP code by the USPS list, any
# other by Google's address metadata): "confirm" asks the associate to correct it or confirm
# both are right; "refuse" has it corrected; "allow" does not check. See docs/tablet.md.
POSTAL_CODE_STATE_MISMATCH = env_choice(
    "POSTAL_CODE_STATE_MISMATCH", choices=("confirm", "refuse", "allow"), default="confirm"
)
# Only CONCIERGE is documented; the field also accepts any other value.
ADDRESS_ORIGIN_SUGGESTIONS = env.list("ADDRESS_ORIGIN_SUGGESTIONS", default=["CONCIERGE"])

# Background delivery. The database backend (django-tasks-db) is the embedded
# default; "redis" uses RQ through django-tasks-rq. No code changes either way.
TASKS_BACKEND = env_choice("TASKS_BACKEND", choices=("database", "redis"), default="database")
if TASKS_BACKEND == "redis":
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# The database backend enqueues in the claim's own transaction; Redis cannot, so
# its enqueue waits for the commit.
TASKS_ENQUEUE_ON_COMMIT = TASKS_BACKEND != "database"

# The associate's request tries delivery at once, for at most this long (wall clock: token,
# connect, send and answer). Not shorter than the read timeout, so the counter never gives
# up on an answer a worker would have waited for (manage.py check warns otherwise).
DELIVERY_COUNTER_DEADLINE = env.float("DELIVERY_COUNTER_DEADLINE", default=15.0)
# Inline attempts at the counter waiting on the API at once, per process; a submit that
# finds none free hands its claim to the worker at once (0: always). Half of `make run`'s
# 4 gunicorn threads, so that an outage never holds the threads that serve pages and the
# photos OrderProtection fetches while it files a claim (docs/exactly-once.md).
DELIVERY_COUNTER_CONCURRENCY = env.int("DELIVERY_COUNTER_CONCURRENCY", default=2)
# After this many counter attempts the API did not answer within the window (seconds), a
# process sends submits straight to the worker until they are older (0: always try).
DELIVERY_COUNTER_OUTAGE_FAILURES = env.int("DELIVERY_COUNTER_OUTAGE_FAILURES", default=3)
DELIVERY_COUNTER_OUTAGE_WINDOW = env.float("DELIVERY_COUNTER_OUTAGE_WINDOW", default=30.0)
# Transient failures are retried after a random delay in [0, min(cap, base * 2**(n-1))].
DELIVERY_BACKOFF_BASE = env.float("DELIVERY_BACKOFF_BASE", default=2.0)
DELIVERY_BACKOFF_CAP = env.float("DELIVERY_BACKOFF_CAP", default=900.0)
# Claims that failed together must not come back together: the share of each retry delay
# drawn at random (1: full jitter, [0, backoff]); a Retry-After or lookup wait w becomes
# [w, (1 + share) w]. 0 turns jitter off.
DELIVERY_RETRY_JITTER = env.float("DELIVERY_RETRY_JITTER", default=1.0)
if not 0 <= DELIVERY_RETRY_JITTER <= 1:
    raise ImproperlyConfigured(f"DELIVERY_RETRY_JITTER={DELIVERY_RETRY_JITTER:g} is not in [0, 1].")
# At most this many claims "sending" at once (the counter's included) before a worker takes
# another, so that re-sends after an outage do not stampede the API (0: no cap). A worker
# that finds the cap reached puts its claim back DELIVERY_IN_FLIGHT_PAUSE (jittered) later.
DELIVERY_MAX_IN_FLIGHT = env.int("DELIVERY_MAX_IN_FLIGHT", default=4)
DELIVERY_IN_FLIGHT_PAUSE = env_seconds(
    "DELIVERY_IN_FLIGHT_PAUSE", default=2.0, at_least=0.1, why="a worker would spin on the cap"
)
# recover_deliveries spreads the claims it takes back over this many seconds, at random.
DELIVERY_RECOVERY_SPREAD = env.float("DELIVERY_RECOVERY_SPREAD", default=30.0)
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=20)
DELIVERY_MAX_AGE = env.float("DELIVERY_MAX_AGE", default=24 * 60 * 60)
# A Retry-After longer than this (or nonsense: inf, negative, a date long past) is bounded.
DELIVERY_RETRY_AFTER_MAX = env.float("DELIVERY_RETRY_AFTER_MAX", default=3600.0)
# After an unknown outcome, look the claim up at OrderProtection before sending it again.
# Off: it is sent again with the same key, which files it twice if the API ignores keys.
DELIVERY_RECONCILE = env.bool("DELIVERY_RECONCILE", default=True)
# Wait at least this long after an unknown outcome before the lookup, so that a request
# OrderProtection was still working on has been recorded.
DELIVERY_LOOKUP_DELAY = env.float("DELIVERY_LOOKUP_DELAY", default=30.0)
# OrderProtection's clock may differ from ours: search this much earlier than the attempt.
DELIVERY_LOOKUP_CLOCK_SKEW = env.float("DELIVERY_LOOKUP_CLOCK_SKEW", default=300.0)
# Pages of GET /v1/claims one lookup may read before it counts as failed.
DELIVERY_LOOKUP_MAX_PAGES = env.int("DELIVERY_LOOKUP_MAX_PAGES", default=20)
# One paging of a store's GET /v1/claims serves every lookup it is recent enough for, for
# this many seconds (kept in Django's cache; 0: every lookup pages on its own).
DELIVERY_LOOKUP_CACHE_TTL = env.float("DELIVERY_LOOKUP_CACHE_TTL", default=120.0)
# A claim still "sending" after this long was left by a sender that stopped.
DELIVERY_STUCK_AFTER = env.float("DELIVERY_STUCK_AFTER", default=120.0)
# OrderProtection failing to fetch one of our own stored photos is our fault (media serving,
# or a portal too busy to answer the fetch): retried for this many seconds from the first
# such refusal, then a manager is told to have media serving checked (0: at once).
DELIVERY_IMAGE_FETCH_GIVE_UP_AFTER = env.float("DELIVERY_IMAGE_FETCH_GIVE_UP_AFTER", default=900.0)
# /healthz/delivery answers 503 when an undelivered claim is older than this (0: never).
HEALTHZ_MAX_QUEUE_AGE = env.float("HEALTHZ_MAX_QUEUE_AGE", default=30 * 60)
# How far below its starting priority a delivery worker runs (os.nice, 0 to 19): when the
# CPU is short, the pages the tablets wait on go first, and the workers catch up after.
DELIVERY_WORKER_NICE = env.int("DELIVERY_WORKER_NICE", default=10)
# Each delivery worker records that it is alive this often (a row in WorkerHeartbeat).
WORKER_HEARTBEAT_SECONDS = env_seconds(
    "WORKER_HEARTBEAT_SECONDS", default=10.0, at_least=0.1, why="a heartbeat is a write."
)
# A worker whose last heartbeat is older than this is dead: /healthz/delivery answers 503
# when claims are due and no worker is alive (0: never), so a dead worker pages within it.
WORKER_HEARTBEAT_MAX_AGE = env.float("WORKER_HEARTBEAT_MAX_AGE", default=60.0)
if WORKER_HEARTBEAT_MAX_AGE and WORKER_HEARTBEAT_MAX_AGE < 2 * WORKER_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        f"WORKER_HEARTBEAT_MAX_AGE={WORKER_HEARTBEAT_MAX_AGE:g} is under twice "
        f"WORKER_HEARTBEAT_SECONDS={WORKER_HEARTBEAT_SECONDS:g}: one late beat would fail "
        "/healthz/delivery."
    )

# Following a filed claim's state at OrderProtection, for merchants without webhooks:
# `manage.py poll_claim_states` asks GET /v1/orders/{sourceOrderId}/claims.
CLAIM_STATE_POLL_FIRST = env.float("CLAIM_STATE_POLL_FIRST", default=10 * 60)
CLAIM_STATE_POLL_MAX_INTERVAL = env.float("CLAIM_STATE_POLL_MAX_INTERVAL", default=24 * 60 * 60)
CLAIM_STATE_POLL_BATCH = env.int("CLAIM_STATE_POLL_BATCH", default=50)
# Seconds between two calls of one polling run: at most 60 a minute by default.
CLAIM_STATE_POLL_PAUSE = env.float("CLAIM_STATE_POLL_PAUSE", default=1.0)
CLAIM_STATE_POLL_MAX_AGE = env.float("CLAIM_STATE_POLL_MAX_AGE", default=180 * 24 * 60 * 60)
# The claim states OrderProtection documents (webhook reference). A state not listed is kept
# in the timeline, flagged for managers, and never replaces the claim's state: add a state
# OrderProtection introduces here.
CLAIM_KNOWN_STATES = env.list(
    "CLAIM_KNOWN_STATES",
    default=[
        "APPROVED",
        "ARCHIVED",
        "CLOSED",
        "COMMUNICATING",
        "DENIED",
        "DISMISSED",
        "NEW",
        "OPEN",
        "RESOLVED",
        "RESOLVED_BY_BRAND",
        "TEMPORARILY_DISMISSED",
        "WAITING_FOR_BRAND",
        "WAITING_FOR_CUSTOMER",
        "WAITING_FOR_OP",
    ],
)
# A state is applied only if it is newer than the claim's last one, by the event's own time
# (created_at; else its arrival). A time more than this many seconds ahead of its arrival
# counts as its arrival, so that one wrong clock cannot freeze a claim's state.
CLAIM_STATE_CLOCK_SKEW = env.float("CLAIM_STATE_CLOCK_SKEW", default=300.0)
# States after which OrderProtection decides nothing more (not documented; configurable).
CLAIM_FINAL_STATES = env.list(
    "CLAIM_FINAL_STATES",
    default=["DENIED", "RESOLVED", "RESOLVED_BY_BRAND", "CLOSED", "ARCHIVED", "DISMISSED"],
)

# Risk signals (kiosk.risk): ours alone, shown to managers, never sent to OrderProtection and
# never a refusal. Each signal adds its weight to a claim's score; a claim is high-risk only
# when its score reaches RISK_HIGH_SCORE with at least RISK_HIGH_MIN_SIGNALS different
# signals agreeing, medium from RISK_MEDIUM_SCORE. See docs/risk.md. RISK_WEIGHTS in the
# environment changes some, e.g. RISK_WEIGHTS="store_velocity=0;photo_copy=50" (0: shown,
# never counted); manage.py check refuses an unknown signal.
RISK_WEIGHTS = {
    "photo_copy": 40,
    "photo_lookalike": 25,
    "receipt_reuse": 50,
    "repeat_claimant": 15,
    "shared_identity": 30,
    "purchase_in_future": 30,
    "purchase_before_catalog": 25,
    "outside_warranty": 15,
    "price_mismatch": 20,
    "item_other_customer": 30,
    "associate_velocity": 15,
    "store_velocity": 10,
} | env.dict("RISK_WEIGHTS", cast={"value": int}, default={})
RISK_HIGH_SCORE = env.int("RISK_HIGH_SCORE", default=60)
RISK_HIGH_MIN_SIGNALS = env.int("RISK_HIGH_MIN_SIGNALS", default=2)
RISK_MEDIUM_SCORE = env.int("RISK_MEDIUM_SCORE", default=25)
# Two photos are alike when their 64-bit perceptual hashes (pHash) differ in at most this many
# bits, one as taken against any of the other's seven variants (turned, cropped; PhotoHash).
# A receipt that is alike is only a candidate: receipts printed from one template are close
# too, so it counts only with the same store and purchase date (and price, when known).
# Measured on real photographs (tests/test_risk_photos.py): re-encoded, resized, cropped 5% or
# turned 3°, at most 4 bits away; 50 different photos at least 16. Each step of 2 (pHash
# distances are even) lets about 20 times more chance matches in: at 10, about one in 50 new
# photos meets a chance lookalike among 1,000,000 stored hashes; at 12, one in 2.
RISK_PHOTO_DISTANCE = env.int("RISK_PHOTO_DISTANCE", default=10)
# The repeat claimant: other claims with the same email or phone over these windows (days),
# back from the claim's submission; a signal from RISK_REPEAT_MIN_CLAIMS other claims in the
# longest window.
RISK_REPEAT_WINDOWS = [int(days) for days in env.list("RISK_REPEAT_WINDOWS", default=[30, 90, 365])]
RISK_REPEAT_MIN_CLAIMS = env.int("RISK_REPEAT_MIN_CLAIMS", default=1)
# Emails are compared lower-cased; with this on, a "+tag" in the mailbox name is the same
# mailbox too (jane+shop@example.com is jane@example.com), as most mail providers deliver it.
RISK_EMAIL_IGNORE_PLUS_TAG = env.bool("RISK_EMAIL_IGNORE_PLUS_TAG", default=True)
# A price paid this far from the catalog's price (a fraction of it, either way).
RISK_PRICE_DEVIATION = env.float("RISK_PRICE_DEVIATION", default=0.5)
# Velocity: claims over the last RISK_VELOCITY_DAYS against the store's own rate over the
# RISK_VELOCITY_BASELINE_DAYS before; a signal from RISK_VELOCITY_FACTOR times that rate,
# and not below RISK_VELOCITY_MIN_CLAIMS claims.
RISK_VELOCITY_DAYS = env.int("RISK_VELOCITY_DAYS", default=7)
RISK_VELOCITY_BASELINE_DAYS = env.int("RISK_VELOCITY_BASELINE_DAYS", default=90)
RISK_VELOCITY_FACTOR = env.float("RISK_VELOCITY_FACTOR", default=3.0)
RISK_VELOCITY_MIN_CLAIMS = env.int("RISK_VELOCITY_MIN_CLAIMS", default=5)
# The most claims one assessment queues again (the newest it matched): a store phone or a
# reused receipt shared by thousands must not make each new claim cost thousands of runs.
RISK_REASSESS_MATCHES_MAX = env.int("RISK_REASSESS_MATCHES_MAX", default=50)
if RISK_REASSESS_MATCHES_MAX < 0:
    raise ImproperlyConfigured(
        f"RISK_REASSESS_MATCHES_MAX={RISK_REASSESS_MATCHES_MAX} is under 0: a number of claims."
    )

# The desk marks drafts older than this as abandoned; `manage.py purge_abandoned_drafts`
# deletes their photos and signatures.
DRAFT_ABANDONED_AFTER_DAYS = env.int("DRAFT_ABANDONED_AFTER_DAYS", default=7)
# `manage.py purge_personal_data` (daily, from cron): drafts untouched this long are
# deleted, and a claim's personal data goes this long after it was submitted.
DRAFT_PURGE_AFTER_DAYS = env.int("DRAFT_PURGE_AFTER_DAYS", default=30)
PERSONAL_DATA_RETENTION_DAYS = env.int("PERSONAL_DATA_RETENTION_DAYS", default=730)
# `manage.py purge_orphan_files` deletes stored photos and signatures that no row and no
# sent body names (left by a request that rolled back) once they are this old: longer
# than any request that writes a photo and then records it.
MEDIA_ORPHAN_GRACE_SECONDS = env.int("MEDIA_ORPHAN_GRACE_SECONDS", default=60 * 60)

# Email: the customer's copy of each claim, through Django's default mailer (MAILERS, which
# replaces the EMAIL_BACKEND family of settings in Django 6.1). Printed on the console unless
# SMTP is set up, by EMAIL_URL (e.g. smtp+tls://user:password@smtp.example.com:587) or by
# EMAIL_HOST and its companions. Every SMTP connection is bounded by EMAIL_TIMEOUT seconds.
# EMAIL_URL=filemail:///outbox writes each mail into a folder instead (`make run` does).
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
if env.str("EMAIL_URL", default="") or not env.str("EMAIL_HOST", default=""):
    parsed_email_url = env.email_url("EMAIL_URL", default="consolemail://")
    email_backend = parsed_email_url["EMAIL_BACKEND"]
    smtp_options = {
        "host": parsed_email_url["EMAIL_HOST"],
        "port": parsed_email_url["EMAIL_PORT"],
        "username": parsed_email_url["EMAIL_HOST_USER"] or "",
        "password": parsed_email_url["EMAIL_HOST_PASSWORD"] or "",
        "use_tls": parsed_email_url.get("EMAIL_USE_TLS", False),
        "use_ssl": parsed_email_url.get("EMAIL_USE_SSL", False),
    }
else:
    email_backend = SMTP_BACKEND
    smtp_options = {
        "host": env.str("EMAIL_HOST"),
        "port": env.int("EMAIL_PORT", default=587),
        "username": env.str("EMAIL_HOST_USER", default=""),
        "password": env.str("EMAIL_HOST_PASSWORD", default=""),
        "use_tls": env.bool("EMAIL_USE_TLS", default=True),
        "use_ssl": env.bool("EMAIL_USE_SSL", default=False),
    }
if email_backend == SMTP_BACKEND:
    smtp_options["timeout"] = env.float("EMAIL_TIMEOUT", default=10.0)
    MAILERS = {"default": {"BACKEND": SMTP_BACKEND, "OPTIONS": smtp_options}}
elif email_backend == FILE_BACKEND:
    # django-environ reads filemail:///outbox as "outbox", filemail:////srv/outbox as "/srv/outbox".
    if not parsed_email_url["EMAIL_FILE_PATH"]:
        raise ImproperlyConfigured(
            "EMAIL_URL=filemail:// needs a folder: filemail:///outbox (beside manage.py) or "
            "filemail:////var/spool/claims-outbox (absolute)."
        )
    outbox = BASE_DIR / parsed_email_url["EMAIL_FILE_PATH"]
    MAILERS = {"default": {"BACKEND": FILE_BACKEND, "OPTIONS": {"file_path": str(outbox)}}}
else:
    MAILERS = {"default": {"BACKEND": email_backend}}
if email_backend == SMTP_BACKEND and not DEBUG:
    # Customers see it: no made-up sender address in production.
    DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL")
else:
    DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="claims@localhost")

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)

# Shared store tablets. A manager signs a tablet in to a store for TABLET_SIGN_IN_DAYS;
# associates unlock it with their PINs. After KIOSK_IDLE_SECONDS without a touch, a
# countdown of KIOSK_IDLE_WARNING_SECONDS warns, then the tablet locks and the page
# forgets the customer. The associate can resume their draft for KIOSK_DRAFT_RESUME_SECONDS.
# The countdown gives at least 20 s to answer it with one tap (WCAG 2.2.1, Timing Adjustable).
TABLET_SIGN_IN_DAYS = env.int("TABLET_SIGN_IN_DAYS", default=14)
KIOSK_IDLE_SECONDS = env.float("KIOSK_IDLE_SECONDS", default=5 * 60)
KIOSK_IDLE_WARNING_SECONDS = env_seconds(
    "KIOSK_IDLE_WARNING_SECONDS",
    default=30,
    at_least=20,
    why="the idle warning gives at least 20 s to answer (WCAG 2.2.1).",
)
KIOSK_DRAFT_RESUME_SECONDS = env.float("KIOSK_DRAFT_RESUME_SECONDS", default=60 * 60)
# How long a claim kept on a tablet while it was offline can still be sent in the name of
# the associate who wrote it, without their PIN (kiosk/services/outbox.py): the token the
# tablet keeps with it is refused after this many seconds.
KIOSK_OUTBOX_TOKEN_SECONDS = env.float("KIOSK_OUTBOX_TOKEN_SECONDS", default=7 * 24 * 60 * 60)
# How long a filed claim's confirmation stays up before the tablet returns to the start.
KIOSK_CONFIRMATION_SECONDS = env.float("KIOSK_CONFIRMATION_SECONDS", default=60)
# Search as you type on the Item step: at most this many results, from this many characters.
KIOSK_CATALOG_RESULTS = env.int("KIOSK_CATALOG_RESULTS", default=20)
KIOSK_CATALOG_QUERY_MIN_CHARS = env.int("KIOSK_CATALOG_QUERY_MIN_CHARS", default=2)
# How often the result page of a claim still on its way reloads to show its claim number.
KIOSK_RESULT_REFRESH_SECONDS = env.float("KIOSK_RESULT_REFRESH_SECONDS", default=5)

# Wrong passwords and wrong PINs (django-axes; kiosk/throttling.py says how they count).
# Passwords: after AXES_FAILURE_LIMIT wrong ones for one person, or from one device (its
# address and browser, off a signed-in tablet), logins stop for AXES_COOLOFF_MINUTES.
# PINs, counted against the person guessed whatever succeeds in between and on whichever
# tablet (a password lockout leaves the PIN alone), in two tiers:
# - KIOSK_PIN_FAILURE_LIMIT wrong ones lock that person's PIN for KIOSK_PIN_COOLOFF_MINUTES;
#   the person's own right PIN resets this count (nobody else's, nor their password's).
# - KIOSK_PIN_WEEKLY_FAILURE_LIMIT wrong ones within 7 days, whatever succeeded in between,
#   lock it until the oldest of them is 7 days old, or until a manager clears the lockout
#   at the desk (kiosk/services/lockouts.py). So nobody gets more than that many guesses at
#   one PIN in any 7 days: with 9,688 allowed 4-digit PINs and 10 a week, at most
#   10 / 9,688 = 0.10% per associate, N x 0.10% for any of a store's N associates: under 1%
#   for up to 9 associates. With KIOSK_PIN_MIN_LENGTH=6 (998,900 allowed PINs), at most
#   0.001% per associate: under 1% for up to 998 (see docs/security.md).
# Each failure and each lockout is kept (AccessAttempt, AccessFailureLog) for the admin.
PASSWORD_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
PASSWORD_COOLOFF = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
KIOSK_PIN_FAILURE_LIMIT = env.int("KIOSK_PIN_FAILURE_LIMIT", default=5)
KIOSK_PIN_COOLOFF = timedelta(minutes=env.float("KIOSK_PIN_COOLOFF_MINUTES", default=15))
KIOSK_PIN_WEEKLY_FAILURE_LIMIT = env.int("KIOSK_PIN_WEEKLY_FAILURE_LIMIT", default=10)
# PBKDF2 rounds for a PIN, keyed with SECRET_KEY (kiosk/services/pin_hashing.py): the key,
# not the rounds, protects a PIN of a million values; Django's 1,500,000 cost 0.7 CPU-s an
# unlock. A change applies to each PIN at its next right unlock.
PIN_HASH_ITERATIONS = env.int("PIN_HASH_ITERATIONS", default=100_000)
# Shortest PIN accepted (4 to 6 digits); 6 for stores with many associates (docs/security.md).
KIOSK_PIN_MIN_LENGTH = env.int("KIOSK_PIN_MIN_LENGTH", default=4)
# The pad unlocks by itself at the PIN's last digit, as a phone does: so it shows how many
# digits the PIN has (as phones do). With the limits above a guesser gets 10 tries a week
# whatever they know of the length, so this costs nothing measurable (docs/security.md).
KIOSK_PIN_UNLOCK_AT_LAST_DIGIT = env.bool("KIOSK_PIN_UNLOCK_AT_LAST_DIGIT", default=True)
# Proxies in front of the portal that append the caller's address to X-Forwarded-For
# (0: none, the client address is REMOTE_ADDR). Set it only when there are: otherwise
# anyone could choose the address they are throttled by.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_FAILURE_LIMIT = "kiosk.throttling.failure_limit"
AXES_COOLOFF_TIME = "kiosk.throttling.cooloff"
AXES_USE_ATTEMPT_EXPIRATION = True  # the two cool-offs differ: each count expires on its own
AXES_LOCKOUT_PARAMETERS = "kiosk.throttling.lockout_parameters"
AXES_USERNAME_CALLABLE = "kiosk.throttling.attempt_username"
AXES_CLIENT_IP_CALLABLE = "kiosk.throttling.client_address"
AXES_RESET_ON_SUCCESS = False  # kiosk.services.lockouts resets only the person's own count
# A try refused during a lockout is not a failure: it was never compared, so it neither
# prolongs the lockout nor counts towards the weekly PIN limit (the person's right PIN
# tried while locked included).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "pin"]
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# --- Transport and browser security (see the production example in docs/operations.md) ---
# Cookies only over HTTPS, HTTPS enforced by redirect and by HSTS. Behind a proxy that
# terminates TLS, SECURE_PROXY_SSL_HEADER names the header it sets, e.g.
# "HTTP_X_FORWARDED_PROTO,https". `make run` serves a store network over plain HTTP and
# turns these off explicitly.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_PROXY_SSL_HEADER = (
    tuple(env.list("SECURE_PROXY_SSL_HEADER")) if env.str("SECURE_PROXY_SSL_HEADER", "") else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = env.str("SECURE_REFERRER_POLICY", default="same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Only the camera (photos of the item and the receipt), and only for the portal itself.
PERMISSIONS_POLICY = env.str(
    "PERMISSIONS_POLICY",
    default="camera=(self), microphone=(), geolocation=(), payment=(), usb=(), "
    "display-capture=(), fullscreen=(self)",
)
# Where the catalog's product pictures are (e.g. https://cdn.shopify.com): the tablet
# shows them in search results. Empty: only pictures the portal serves itself show.
CATALOG_IMAGE_HOSTS = env.list("CATALOG_IMAGE_HOSTS", default=[])
# Django's Content-Security-Policy: every script and style from the portal's own files,
# none inline. Photos previewed before upload are blob: URLs; the signature pad draws on
# a canvas.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:", *CATALOG_IMAGE_HOSTS],
    "connect-src": [CSP.SELF],
    # The service worker that keeps the portal answering offline (static/), ours alone.
    "worker-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# One JSON line per event on stdout (LOG_FORMAT=json, the default outside DEBUG), with
# request errors and their tracebacks; emails, phone numbers and secrets are masked
# (kiosk/logs.py).
LOG_FORMAT = env_choice("LOG_FORMAT", choices=("json", "text"), default="text" if DEBUG else "json")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "kiosk.logs.RedactingJsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {
            "()": "kiosk.logs.RedactingTextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["stdout"], "level": "WARNING"},
    "loggers": {
        "kiosk": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        # Request errors (500s with their traceback) and Django's own warnings.
        "django": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}
