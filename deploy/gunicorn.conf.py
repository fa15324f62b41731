"""gunicorn for production: `gunicorn governance.wsgi --config deploy/gunicorn.conf.py`.

Sync workers with threads: the views are short and database-bound; two workers per core
plus threads keep a 2-core machine busy without oversubscribing PostgreSQL connections.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers now and then: no slow leak lives long
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
