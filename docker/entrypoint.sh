#!/bin/sh
# The image's entrypoint.
#   web      gunicorn with uvicorn workers (WEB_CONCURRENCY of them) on $PORT
#   migrate  apply migrations (a separate, one-off step before a release is served);
#            with LOAD_DEMO=1 also load the demo catalogue
#   *        anything else runs as given, e.g. `python manage.py createsuperuser`
set -eu

case "${1:-web}" in
  web)
    # One statement may not run longer than this behind the public endpoint; commands
    # (imports, migrations) run without the ceiling. Not applied through PgBouncer,
    # which drops startup options: set it on the database role there instead.
    export DATABASE_STATEMENT_TIMEOUT_MS="${DATABASE_STATEMENT_TIMEOUT_MS:-10000}"
    # The workers' metrics, added up by any of them on a scrape; emptied at each start.
    export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/prometheus}"
    rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    exec gunicorn project.asgi:application \
      --worker-class uvicorn_worker.UvicornWorker \
      --workers "${WEB_CONCURRENCY:-4}" \
      --bind "0.0.0.0:${PORT:-8000}" \
      --graceful-timeout 30 \
      --timeout 60 \
      --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"
    ;;
  migrate)
    python manage.py migrate --no-input
    if [ "${LOAD_DEMO:-0}" = "1" ]; then python manage.py load_demo; fi
    ;;
  *)
    exec "$@"
    ;;
esac
