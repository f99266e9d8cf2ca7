"""Test settings: the real ones, with a fast password hasher."""
from orderloop.config.settings import *  # noqa: F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405  (the live server's request threads must not keep connections)
HUEY = {"huey_class": "huey.MemoryHuey", "name": "orderloop-test", "immediate": False}
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
