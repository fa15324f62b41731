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
# Recycle workers now and then, so that no slow leak lives long — but not often: a district's
# staff make ~200 requests a second on one machine (bench/district.py), at which 2,000 meant a
# fresh worker every few seconds, each starting again without its connections, its parsed
# templates and what it remembers of who its users are (governance/identity.py).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
# Load Django once in the master and fork the workers from it: a recycled worker is ready
# at once instead of spending a second or two of CPU importing the project while requests
# wait (bench/intake.py), and the workers share the loaded code's memory. Connections to
# PostgreSQL and Redis are opened lazily, in each worker, never in the master. New code
# needs a restart of the service (systemctl restart), not a HUP: a HUP forks the workers
# again from the code the master already holds.
preload_app = True
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
