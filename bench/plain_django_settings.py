"""The baseline views (bench/baseline.py) as a plain Django project serves them: the
product's settings and pooled database, with the middleware `startproject` writes (Django's
own classes, each run on a thread under ASGI) instead of the product's edge."""

from bench.baseline_settings import *  # noqa: F403

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
SILENCED_SYSTEM_CHECKS = []
