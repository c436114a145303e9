# syntax=docker/dockerfile:1
# Production image: psycopg2 built against libpq, non-root, uvicorn workers.
# Migrations are a separate step:  docker run --rm IMAGE python manage.py migrate

FROM python:3.11-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY project ./project
COPY schema ./schema
COPY talks ./talks
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir ".[postgres]"

FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /app app
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=app manage.py ./
COPY --chown=app project ./project
COPY --chown=app schema ./schema
COPY --chown=app talks ./talks
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
RUN SECRET_KEY=build-only python manage.py collectstatic --no-input -v0
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/graphql/?query=%7B__typename%7D', timeout=2)"
CMD ["uvicorn", "project.asgi:application", "--lifespan", "off", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--proxy-headers"]
