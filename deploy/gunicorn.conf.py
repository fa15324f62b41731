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
