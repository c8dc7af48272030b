"""Tactful settings: every knob is an environment variable with a safe embedded default."""

from pathlib import Path

import django_stubs_ext
import environ
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured

# Lets typed code subscript Django's generic classes (ModelAdmin[Model], QuerySet[Model]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DEV_SECRET_KEY = "django-insecure-tactful-development-key-do-not-use-in-production"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "testserver"}

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is off but DJANGO_SECRET_KEY is the development key: "
        "set a secret of your own."
    )
if DEBUG and set(ALLOWED_HOSTS) - LOCAL_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is on for a public host: "
        "turn it off (DJANGO_DEBUG=false) outside development."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "consent",
    "personalization",
]

MIDDLEWARE = [
    # First: probes by address, then the request id every later log line carries.
    "config.middleware.ProbeMiddleware",
    "config.middleware.RequestContextMiddleware",
    # Before anything that answers on its own (redirects, 413s), so browsers can read those too.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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
                "consent.context_processors.site",
            ],
        },
    },
]

VAR_DIR = Path(env.str("TACTFUL_VAR_DIR", default=str(BASE_DIR / "var")))
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'tactful.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets readers run while the admin writes; IMMEDIATE avoids "database is locked" upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_POOL", default=True
):
    DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 1, "max_size": 20}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache with one connection pool per process (see config/cache.py).
            "BACKEND": "config.cache.SharedPoolRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tactful",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    # Pub/sub, not the list-based RedisChannelLayer, by measurement (benchmarks/bench_push.py):
    # a group message is published once and fanned out in each process, where the core layer
    # queues one copy per socket; at 1,000 sockets p50/p99 were 91/177 ms against 199/447 ms,
    # and the core layer ran out of pooled connections when 100 sockets joined at once. Delivery
    # is at most once: a process that misses a revision finds it by its periodic check.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "tactful"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "personalization.layers.AmortizedInMemoryChannelLayer"}
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
STATIC_ROOT: Path | None = VAR_DIR / "static"
STATICFILES_DIRS = [p for p in [BASE_DIR / "static"] if p.exists()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = env.bool("TACTFUL_STATIC_FROM_SOURCE", default=DEBUG)

# Request bodies above this size are refused with 413 before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("TACTFUL_MAX_BODY_BYTES", default=64 * 1024)

SECURE = not DEBUG
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=SECURE)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=SECURE)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("DJANGO_BEHIND_PROXY", default=False) else None
)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["config.api.OrjsonRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.api.OrjsonParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.api.JsonNegotiation",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
# Storefronts on other origins (e.g. https://shop.example.com): exact origins, comma-separated.
# Empty: same-origin only. Only the APIs answer cross-origin requests (not the privacy center or
# the admin), and the websocket admits the same origins (config/origins.py).
CORS_ALLOWED_ORIGINS = env.list("TACTFUL_CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/(api/v1|ofrep/v1)/"
# The subject cookie may ride along where the browser sends it (same site, or SameSite=None).
CORS_ALLOW_CREDENTIALS = True
CORS_ALLOW_HEADERS = (
    *default_headers,
    "x-tactful-subject",
    "x-tactful-consent",
    "if-none-match",
)
# A change of the subject answers its new token in X-Tactful-Subject (consent.tokens), and a
# consent token for edges in X-Tactful-Consent (consent.edge_tokens).
CORS_EXPOSE_HEADERS = (
    "ETag",
    "Retry-After",
    "X-Request-ID",
    "X-Tactful-Subject",
    "X-Tactful-Consent",
)

SPECTACULAR_SETTINGS = {
    "TITLE": "Tactful API",
    "DESCRIPTION": "Consent-gated, real-time personalization decisions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc from this server's static files: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would otherwise ask validator.swagger.io to judge the schema.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# Tactful's own knobs.
TACTFUL = {
    # Subject tokens (signed cookie / header) stay valid this long; grants expire after 13 months.
    "SUBJECT_TOKEN_MAX_AGE": env.int("TACTFUL_SUBJECT_TOKEN_MAX_AGE", default=395 * 24 * 3600),
    "SUBJECT_COOKIE_SECURE": env.bool("TACTFUL_SECURE_COOKIES", default=SECURE),
    # Lax: sent to this site only (and to other origins of the same site). A storefront on
    # another site needs None (with Secure) or the SDK's header token (see README).
    "SUBJECT_COOKIE_SAMESITE": env.str("TACTFUL_SUBJECT_COOKIE_SAMESITE", default="Lax"),
    "CONSENT_CACHE_SECONDS": env.int("TACTFUL_CONSENT_CACHE_SECONDS", default=300),
    # The site the privacy center belongs to: its "Back to the site" link.
    "SITE_URL": env.str("TACTFUL_SITE_URL", default="/"),
    # Grants lapse after this many days (13 months); refusals are remembered.
    "CONSENT_GRANT_DAYS": env.int("TACTFUL_CONSENT_GRANT_DAYS", default=395),
    # After an erasure, keep the consent events as unlinked proof (false: delete them too).
    "ERASURE_KEEPS_CONSENT_PROOF": env.bool("TACTFUL_ERASURE_KEEPS_CONSENT_PROOF", default=True),
    # How long consent proof is kept after an erasure or after a subject's last event.
    "CONSENT_PROOF_DAYS": env.int("TACTFUL_CONSENT_PROOF_DAYS", default=1095),
    # The secret that seals consent chains, kept outside the database (empty: SECRET_KEY; the
    # seals use a key derived from it for this purpose only). Fallbacks verify older seals.
    "CHAIN_KEY": env.str("TACTFUL_CHAIN_KEY", default=""),
    "CHAIN_KEY_FALLBACKS": env.list("TACTFUL_CHAIN_KEY_FALLBACKS", default=[]),
    # Consent tokens for edges (Ed25519): lifetime, and the private key as PEM text or a PEM
    # file. Neither set: a development key in VAR_DIR when DEBUG is on, otherwise no tokens.
    "CONSENT_TOKEN_SECONDS": env.int("TACTFUL_CONSENT_TOKEN_SECONDS", default=300),
    "CONSENT_TOKEN_KEY": env.str("TACTFUL_CONSENT_TOKEN_KEY", default=""),
    "CONSENT_TOKEN_KEY_FILE": env.str("TACTFUL_CONSENT_TOKEN_KEY_FILE", default=""),
    # "Why am I seeing this": recent personalized decisions per subject, cache only (max 24 h).
    "DECISION_LOG_SECONDS": env.int("TACTFUL_DECISION_LOG_SECONDS", default=3600),
    "DECISION_LOG_SIZE": env.int("TACTFUL_DECISION_LOG_SIZE", default=20),
    # A process notices a newer revision within this many seconds even if a broadcast was lost.
    "REVISION_CHECK_SECONDS": env.float("TACTFUL_REVISION_CHECK_SECONDS", default=2.0),
    # Signal windows: where they live (a BaseSignalStore subclass), how long raw events are kept
    # at most (capped at 24 h in code), when a visit ends, and how many events a subject keeps.
    "SIGNAL_STORE": env.str(
        "TACTFUL_SIGNAL_STORE",
        default="personalization.signals.backends.redis.RedisSignalStore"
        if REDIS_URL
        else "personalization.signals.backends.memory.MemorySignalStore",
    ),
    "SIGNAL_RETENTION_SECONDS": env.int("TACTFUL_SIGNAL_RETENTION_SECONDS", default=4 * 3600),
    "SIGNAL_SESSION_IDLE_SECONDS": env.int("TACTFUL_SIGNAL_SESSION_IDLE_SECONDS", default=1800),
    "SIGNAL_MAX_EVENTS": env.int("TACTFUL_SIGNAL_MAX_EVENTS", default=200),
    # POST /api/v1/events: requests per subject (or per client address) per window.
    "EVENTS_RATE_LIMIT": env.int("TACTFUL_EVENTS_RATE_LIMIT", default=120),
    "EVENTS_RATE_WINDOW_SECONDS": env.int("TACTFUL_EVENTS_RATE_WINDOW_SECONDS", default=60),
    # New subjects (a first consent choice without a token) per client address per window.
    "NEW_SUBJECTS_RATE_LIMIT": env.int("TACTFUL_NEW_SUBJECTS_RATE_LIMIT", default=30),
    "NEW_SUBJECTS_RATE_WINDOW_SECONDS": env.int(
        "TACTFUL_NEW_SUBJECTS_RATE_WINDOW_SECONDS", default=60
    ),
    # /ws/v1/decisions: heartbeat period, largest client message, client message rate (burst).
    "WS_HEARTBEAT_SECONDS": env.float("TACTFUL_WS_HEARTBEAT_SECONDS", default=25.0),
    "WS_MAX_MESSAGE_BYTES": env.int("TACTFUL_WS_MAX_MESSAGE_BYTES", default=16 * 1024),
    "WS_MESSAGES_PER_SECOND": env.float("TACTFUL_WS_MESSAGES_PER_SECOND", default=2.0),
    "WS_MESSAGE_BURST": env.int("TACTFUL_WS_MESSAGE_BURST", default=20),
    # Sockets one process holds at most (about 45 KiB each); the next handshake is refused.
    "WS_MAX_SOCKETS": env.int("TACTFUL_WS_MAX_SOCKETS", default=10_000),
    # Observability. /metrics asks for `Authorization: Bearer <token>` when a token is set.
    "METRICS_TOKEN": env.str("TACTFUL_METRICS_TOKEN", default=""),
    # /readyz: which checks (database, snapshot, redis) decide 200 or 503, and each one's budget.
    "READY_CHECKS": env.list("TACTFUL_READY_CHECKS", default=["database", "snapshot", "redis"]),
    "HEALTH_TIMEOUT_SECONDS": env.float("TACTFUL_HEALTH_TIMEOUT_SECONDS", default=2.0),
    # The dashboard's counts: where they are shared, how often a process hands its own over,
    # and the smallest group (k) a report may show.
    "DECISION_STATS_STORE": env.str(
        "TACTFUL_DECISION_STATS_STORE",
        default="personalization.stats.backends.redis.RedisDecisionStatsStore"
        if REDIS_URL
        else "personalization.stats.backends.memory.MemoryDecisionStatsStore",
    ),
    "DECISION_STATS_FLUSH_SECONDS": env.float("TACTFUL_DECISION_STATS_FLUSH_SECONDS", default=10.0),
    "REPORT_MIN_GROUP": env.int("TACTFUL_REPORT_MIN_GROUP", default=50),
    # Outcomes: where per-visitor exposure marks live, how long a conversion is attributed to
    # an exposure (capped at 7 days in code), and how often a process hands its exposures over.
    "OUTCOME_STORE": env.str(
        "TACTFUL_OUTCOME_STORE",
        default="personalization.outcomes.backends.redis.RedisOutcomeStore"
        if REDIS_URL
        else "personalization.outcomes.backends.memory.MemoryOutcomeStore",
    ),
    "ATTRIBUTION_SECONDS": env.int("TACTFUL_ATTRIBUTION_SECONDS", default=24 * 3600),
    "OUTCOMES_FLUSH_SECONDS": env.float("TACTFUL_OUTCOMES_FLUSH_SECONDS", default=1.0),
    # The marketer's workspace: four eyes on sensitive change sets (experiments, segments on
    # behaviour or preferences, sensitive-adjacent subjects), and publish webhooks.
    "REQUIRE_APPROVAL": env.bool("TACTFUL_REQUIRE_APPROVAL", default=False),
}

if TACTFUL["SUBJECT_COOKIE_SAMESITE"] not in {"Lax", "Strict", "None"}:
    raise ImproperlyConfigured("TACTFUL_SUBJECT_COOKIE_SAMESITE is one of Lax, Strict or None.")
if TACTFUL["SUBJECT_COOKIE_SAMESITE"] == "None" and not TACTFUL["SUBJECT_COOKIE_SECURE"]:
    raise ImproperlyConfigured(
        "TACTFUL_SUBJECT_COOKIE_SAMESITE=None needs TACTFUL_SECURE_COOKIES=true: browsers drop "
        "a SameSite=None cookie that is not Secure."
    )

# After a database outage, psycopg's pool retries a lost connection with a backoff that doubles
# for up to 5 minutes, so a process could take minutes to see the database again. Giving up
# after a few seconds instead lets the next request that needs a connection open a fresh one at
# once; while the database is down, such a request waits at most this long for a connection
# before its 503. A pooled connection is checked before it is lent (one empty query; the hot
# path makes none), so one that died with the server is replaced, never handed to a request.
if "pool" in DATABASES["default"].get("OPTIONS", {}):
    _reconnect = env.float("TACTFUL_DATABASE_RECONNECT_SECONDS", default=2.0)
    DATABASES["default"]["OPTIONS"]["pool"].update(reconnect_timeout=_reconnect, timeout=_reconnect)
    # Django's pool then checks each connection it lends (psycopg's check_connection).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Probes and scrapes come over plain HTTP from inside the cluster (config/middleware.py).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# One JSON object a line (`TACTFUL_LOG_FORMAT=text` for people), with the request id and no
# personal data; repeats of a warning are held back for TACTFUL_LOG_REPEAT_SECONDS.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "config.logging.RequestIdFilter"},
        "repeat": {
            "()": "config.logging.RepeatFilter",
            "seconds": env.float("TACTFUL_LOG_REPEAT_SECONDS", default=10.0),
        },
        "connection_lines": {"()": "config.logging.ConnectionLineFilter"},
    },
    "formatters": {
        "json": {"()": "config.logging.JsonFormatter"},
        "text": {"()": "config.logging.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.str("TACTFUL_LOG_FORMAT", default="json"),
            "filters": ["request_id", "repeat"],
        },
        "metrics": {"class": "config.logging.MetricsHandler", "level": "WARNING"},
    },
    "loggers": {
        # Django's own records go through the same handlers, once.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # uvicorn's access log writes each client's address and query string: never, however
        # the server was started; its other records come here too, without connection lines.
        "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "uvicorn.error": {"filters": ["connection_lines"], "propagate": True},
        "uvicorn": {"handlers": [], "propagate": True},
    },
    "root": {
        "handlers": ["console", "metrics"],
        "level": env.str("DJANGO_LOG_LEVEL", default="INFO"),
    },
}
