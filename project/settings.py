"""Django settings: one module, every deployment-specific value from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment, or set DEBUG=1 for local use."
        )
    SECRET_KEY = "insecure-local-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# HTTPS. Production sits behind a TLS-terminating proxy that sets X-Forwarded-Proto;
# the probes stay reachable over plain HTTP from inside the container network.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
if env_bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every HTML page (GraphiQL, the admin) loads only what we serve, runs no inline script
# and cannot be framed (edge/security.py). GraphiQL's CSS embeds its fonts and icons
# as data: URLs.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# Browser frontends on other origins (django-cors-headers). Tokens travel in the
# Authorization header, so credentials (cookies) are not shared cross-origin.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/graphql/$"
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "x-request-id"]
# What a browser app may read of an answer: its id, its entity tag for revalidating,
# and where its client stands with the rate limit.
CORS_EXPOSE_HEADERS = [
    "etag",
    "retry-after",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-request-id",
]
CORS_PREFLIGHT_MAX_AGE = 86400

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "strawberry_django",
    "edge",  # GraphiQL's page and static files, register_operations
    "schema",  # snapshot_schema
    "talks",
]

# Django's middleware as edge.middleware runs it: on the event loop, not a thread each.
MIDDLEWARE = [
    "edge.logs.request_log_middleware",
    "edge.middleware.SecurityMiddleware",
    "edge.security.content_security_policy_middleware",
    "corsheaders.middleware.CorsMiddleware",
    # 304s and kept answers to public GETs, before what only sessions need.
    "edge.public.public_read_middleware",
    "edge.middleware.SessionMiddleware",
    "edge.middleware.CommonMiddleware",
    "edge.middleware.CsrfViewMiddleware",
    "edge.middleware.AuthenticationMiddleware",
    "edge.middleware.MessageMiddleware",
    "edge.middleware.XFrameOptionsMiddleware",
]

# Django's deploy checks look for its middleware by dotted path; edge.middleware's
# subclasses are checked by edge.security_W00x instead (edge/middleware.py).
SILENCED_SYSTEM_CHECKS = ["security.W001", "security.W002", "security.W003"]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Under ASGI each request runs its database work on a thread of its own, so a
        # connection Django keeps open would never be reused: on PostgreSQL the pool
        # below keeps them, and Django hands its connection back at each request's end.
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
# Connections to each PostgreSQL database, kept per process (project/pooled_postgresql).
# 0 turns the pool off: a connection per request, as behind PgBouncer in transaction mode
# if wanted (the pool works there too, each kept connection being one to PgBouncer).
DATABASE_POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE", "10"))
# How long a request waits for a free connection when all are in use (then 503).
DATABASE_POOL_TIMEOUT = float(os.environ.get("DATABASE_POOL_TIMEOUT", "5"))
# A connection older than this is closed when it comes back, and a new one opened later.
DATABASE_POOL_RECYCLE_SECONDS = int(os.environ.get("DATABASE_POOL_RECYCLE_SECONDS", "900"))


def postgres_options(database: dict) -> dict:
    """What every PostgreSQL connection of ours gets, primary or replica."""
    # Fail fast when the database is unreachable instead of hanging a worker.
    database.setdefault("OPTIONS", {})["connect_timeout"] = int(
        os.environ.get("DATABASE_CONNECT_TIMEOUT", "3")
    )
    # A ceiling on any one statement (the web entrypoint sets it; commands such as a
    # large import run without). PgBouncer drops startup options: set it on the role.
    if statement_timeout := int(os.environ.get("DATABASE_STATEMENT_TIMEOUT_MS", "0")):
        database["OPTIONS"]["options"] = f"-c statement_timeout={statement_timeout}"
    # Behind PgBouncer in transaction mode, server-side cursors cannot outlive a
    # transaction; Django's docs ask for this setting.
    database["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DISABLE_SERVER_SIDE_CURSORS", default=False)
    if DATABASE_POOL_SIZE > 0:
        database["ENGINE"] = "project.pooled_postgresql"
        database["POOL_OPTIONS"] = {
            "POOL_SIZE": DATABASE_POOL_SIZE,
            "MAX_OVERFLOW": 0,  # bounded: never more than POOL_SIZE connections
            "TIMEOUT": DATABASE_POOL_TIMEOUT,
            "RECYCLE": DATABASE_POOL_RECYCLE_SECONDS,
            "PRE_PING": True,  # a health check on every checkout
        }
    return database


# Read replicas of a PostgreSQL primary (edge/replicas.py): GraphQL queries read from
# them, everything else uses the primary. SQLite has none.
DATABASE_REPLICAS: list[str] = []
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    conn_max_age = DATABASES["default"]["CONN_MAX_AGE"]
    postgres_options(DATABASES["default"])
    for number, url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
        alias = f"replica-{number}"
        DATABASES[alias] = postgres_options(
            dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
        )
        # Tests read the replica's data through the primary's test database.
        DATABASES[alias]["TEST"] = {"MIRROR": "default"}
        DATABASE_REPLICAS.append(alias)
DATABASE_ROUTERS = ["edge.replicas.ReplicaRouter"] if DATABASE_REPLICAS else []
# A client that wrote reads from the primary for this long (read your writes).
DATABASE_REPLICA_PIN_SECONDS = float(os.environ.get("DATABASE_REPLICA_PIN_SECONDS", "5"))
# A replica replaying further behind than this is out of rotation.
DATABASE_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("DATABASE_REPLICA_MAX_LAG_SECONDS", "10"))
# How often each process checks each replica's health.
DATABASE_REPLICA_CHECK_SECONDS = float(os.environ.get("DATABASE_REPLICA_CHECK_SECONDS", "2"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The end-to-end tests serve the test database from a second process, which an
    # in-memory SQLite database cannot be shared with.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}
    # Under ASGI every request may run on another thread; SQLite connections are cheap.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A transaction takes the database's write lock when it begins, not at its first
    # write: a service's read of what it is about to change cannot go stale before it
    # writes (PostgreSQL locks the row instead, talks/services.py).
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# State shared between workers and app servers: persisted queries, cached answers, rate
# limits. Redis when REDIS_URL is set; otherwise each process keeps its own in memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "talks",
            "TIMEOUT": 24 * 3600,
            # A Redis that does not answer costs a request a fraction of a second, and
            # then the request goes on without it.
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "TIMEOUT": 24 * 3600,
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
SERVE_STATIC = env_bool("SERVE_STATIC", default=True)

# The GraphQL types describe their fields by the models' help texts and docstrings.
STRAWBERRY_DJANGO = {
    "FIELD_DESCRIPTION_FROM_HELP_TEXT": True,
    "TYPE_DESCRIPTION_FROM_MODEL_DOCSTRING": True,
}

# GraphQL API limits (see docs/contract.md, "Page sizes").
GRAPHQL_DEFAULT_PAGE_SIZE = int(os.environ.get("GRAPHQL_DEFAULT_PAGE_SIZE", "20"))
GRAPHQL_MAX_PAGE_SIZE = int(os.environ.get("GRAPHQL_MAX_PAGE_SIZE", "100"))
GRAPHIQL_ENABLED = env_bool("GRAPHIQL_ENABLED", default=True)
GRAPHQL_INTROSPECTION = env_bool("GRAPHQL_INTROSPECTION", default=True)

# Abuse limits, checked before any resolver runs (schema/limits.py).
# Depth counts introspection too: GraphiQL's full introspection query is 14 deep.
GRAPHQL_MAX_DEPTH = int(os.environ.get("GRAPHQL_MAX_DEPTH", "15"))
GRAPHQL_MAX_ALIASES = int(os.environ.get("GRAPHQL_MAX_ALIASES", "20"))
GRAPHQL_MAX_TOKENS = int(os.environ.get("GRAPHQL_MAX_TOKENS", "2000"))
# Fields an operation selects once its fragments are expanded (schema/documents.py).
GRAPHQL_MAX_FIELDS = int(os.environ.get("GRAPHQL_MAX_FIELDS", "1000"))
GRAPHQL_MAX_COST = int(os.environ.get("GRAPHQL_MAX_COST", "20000"))
GRAPHQL_MAX_BODY_BYTES = int(os.environ.get("GRAPHQL_MAX_BODY_BYTES", str(100 * 1024)))

# Rate limits per client, in query-cost points a minute (edge/ratelimit.py); 0: none.
GRAPHQL_RATE_LIMIT_ANONYMOUS = int(os.environ.get("GRAPHQL_RATE_LIMIT_ANONYMOUS", "20000"))
GRAPHQL_RATE_LIMIT_TOKEN = int(os.environ.get("GRAPHQL_RATE_LIMIT_TOKEN", "200000"))

# Persisted queries and HTTP caching (edge/persisted.py, edge/caching.py).
GRAPHQL_PERSISTED_ONLY = env_bool("GRAPHQL_PERSISTED_ONLY", default=False)
GRAPHQL_CACHE_MAX_AGE = int(os.environ.get("GRAPHQL_CACHE_MAX_AGE", "60"))
# The largest answer the shared response cache keeps; larger ones are executed each time.
GRAPHQL_CACHE_MAX_BYTES = int(os.environ.get("GRAPHQL_CACHE_MAX_BYTES", str(256 * 1024)))

# How long a search's spelling corrections are reused (talks.vocabulary); 0: never.
SEARCH_CORRECTIONS_SECONDS = float(os.environ.get("SEARCH_CORRECTIONS_SECONDS", "60"))

# The admin's login (edge/login.py): failed logins allowed per username and per
# address before further logins wait out the lockout.
# Who may scrape GET /metrics (edge.metrics): the bearer of this token, or these
# addresses; nobody when both are empty.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS")
# How long the change log keeps a change (talks.changes; `manage.py prune_changes`).
CHANGES_RETENTION_DAYS = int(os.environ.get("CHANGES_RETENTION_DAYS", "30"))
# Subscriptions (schema.subscriptions): how often each process reads the log when no
# wake-up comes, how many changes a subscriber may have waiting before it is ended as
# too slow, and how many subscriptions a connection and a client may hold.
CHANGES_POLL_SECONDS = float(os.environ.get("CHANGES_POLL_SECONDS", "1"))
SUBSCRIPTION_BUFFER = int(os.environ.get("SUBSCRIPTION_BUFFER", "1000"))
GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION = int(
    os.environ.get("GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION", "10")
)
GRAPHQL_MAX_SUBSCRIPTIONS_PER_CLIENT = int(
    os.environ.get("GRAPHQL_MAX_SUBSCRIPTIONS_PER_CLIENT", "20")
)
# Webhooks (talks.webhooks, `manage.py deliver_webhooks`): the waits between attempts
# (the last repeated), when a failing change is given up, each attempt's timeout, and
# whether URLs may point at private addresses (for development only).
WEBHOOK_RETRY_DELAYS = [
    float(delay) for delay in env_list("WEBHOOK_RETRY_DELAYS", "1,5,30,120,600,3600")
]
WEBHOOK_GIVE_UP_SECONDS = float(os.environ.get("WEBHOOK_GIVE_UP_SECONDS", str(24 * 3600)))
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE")
WEBSOCKET_KEEPALIVE_SECONDS = float(os.environ.get("WEBSOCKET_KEEPALIVE_SECONDS", "15"))
SSE_KEEPALIVE_SECONDS = float(os.environ.get("SSE_KEEPALIVE_SECONDS", "15"))
ADMIN_LOGIN_FAILURES = int(os.environ.get("ADMIN_LOGIN_FAILURES", "5"))
ADMIN_LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("ADMIN_LOGIN_FAILURES_PER_ADDRESS", "20"))
ADMIN_LOGIN_LOCKOUT_SECONDS = int(os.environ.get("ADMIN_LOGIN_LOCKOUT_SECONDS", "900"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "edge.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": os.environ.get("LOG_FORMAT", "json"),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # 4xx/5xx lines duplicate the request log.
        "django.request": {"level": "ERROR"},
    },
}
