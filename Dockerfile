# syntax=docker/dockerfile:1
# Production image: psycopg2 built against libpq, non-root, gunicorn + uvicorn workers.
#   docker build -t talks-api .
#   docker run --rm --env-file .env talks-api migrate     (one-off, before each release)
#   docker run --env-file .env -p 8000:8000 talks-api      (serves; see compose.yaml)

FROM python:3.11-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md requirements.txt ./
# The locked versions, hashes checked; psycopg2 from source, linked against the libpq
# installed above (not the -binary wheel).
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir --require-hashes -r requirements.txt
COPY project ./project
COPY edge ./edge
COPY schema ./schema
COPY talks ./talks
COPY internals ./internals
RUN /venv/bin/pip install --no-cache-dir --no-deps .

FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /app app
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=app manage.py ./
COPY --chown=app project ./project
COPY --chown=app edge ./edge
COPY --chown=app schema ./schema
COPY --chown=app talks ./talks
COPY --chown=app internals ./internals
COPY --chown=app docker/entrypoint.sh /usr/local/bin/entrypoint
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PORT=8000
RUN SECRET_KEY=build-only python manage.py collectstatic --no-input -v0
USER app
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
ENTRYPOINT ["entrypoint"]
CMD ["web"]
