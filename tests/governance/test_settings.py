"""Settings load from the environment, with safe defaults and a production guard."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'name': str(settings.DATABASES['default']['NAME']), 'broker': settings.CELERY_BROKER_URL, "
    "'debug': settings.DEBUG, 'lang': settings.LANGUAGE_CODE, 'tz': settings.TIME_ZONE, "
    "'hosts': settings.ALLOWED_HOSTS, 'cache': settings.CACHES['default']['BACKEND']}))"
)
CLEARED = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_ENV", "SECRET_KEY", "DEBUG")


def load(tmp_path, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in CLEARED}
    base.update(DJANGO_SETTINGS_MODULE="governance.settings", VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=base, capture_output=True, text=True
    )


def test_defaults_need_no_server(tmp_path):
    result = load(tmp_path)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["name"] == str(tmp_path / "db.sqlite3")
    assert loaded["broker"] == "filesystem://"
    assert (tmp_path / "broker" / "queue").is_dir()
    assert loaded["debug"] is True
    assert loaded["lang"] == "zh-hans"
    assert loaded["tz"] == "Asia/Shanghai"


def test_environment_selects_postgres_and_redis(tmp_path):
    result = load(
        tmp_path,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/governance",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["name"] == "governance"
    assert loaded["broker"] == "redis://127.0.0.1:6379/3"
    assert loaded["cache"] == "django.core.cache.backends.redis.RedisCache"


def test_production_refuses_an_insecure_secret_key(tmp_path):
    result = load(tmp_path, DJANGO_ENV="production")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    result = load(tmp_path, DJANGO_ENV="production", SECRET_KEY="short")
    assert result.returncode != 0


def test_production_with_a_real_key_turns_debug_off(tmp_path):
    real_key = "x9" * 20 + "abcdefghijk"
    result = load(tmp_path, DJANGO_ENV="production", SECRET_KEY=real_key, ALLOWED_HOSTS="a.b")
    assert result.returncode != 0 and "FIELD_ENCRYPTION_KEYS" in result.stderr
    result = load(
        tmp_path, DJANGO_ENV="production", SECRET_KEY=real_key, ALLOWED_HOSTS="a.b",
        FIELD_ENCRYPTION_KEYS="q9kFvJ3y3p6Zt2QkZ8m7xH1cN0bR5sW4uY6eA8dC2gE=",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["debug"] is False
    assert loaded["hosts"] == ["a.b"]
