"""A minimal Django project whose only sign-in is Sigil (mozilla-django-oidc), run by the
relying-party tests; the Sigil part is :mod:`sigil_site.sigil_settings` and :mod:`sigil_site.backends`."""
import os
from pathlib import Path

from sigil_site.sigil_settings import *  # noqa: F403 - the README recipe

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "sigil_site.urls"
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
                  "mozilla_django_oidc"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware",
              "django.middleware.common.CommonMiddleware",
              "django.middleware.csrf.CsrfViewMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": os.environ.get("DJANGO_DB", str(Path(__file__).parent / "db.sqlite3"))}}
USE_TZ = True
LOGIN_REDIRECT_URL = "/whoami/"
LOGIN_URL = "/oidc/authenticate/"
