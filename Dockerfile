# relief: production image. Build: docker build -t relief .
# Run: migrate once per release (`relief db upgrade`), then serve; see README.md "Container".

# --- builder: a virtual environment with the hash-pinned dependencies and the relief package
FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Dependencies first, so this layer is rebuilt only when the lock file changes.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

# The package itself: no dependency resolution (all pinned above), built with the pinned setuptools.
COPY pyproject.toml ./
COPY service/ ./service/
RUN pip install --no-deps --no-build-isolation . \
    && relief --help > /dev/null


# --- runtime: the virtual environment, the code, migrations and shipped flows; no compilers
FROM python:3.11-slim AS runtime

# PYTHONPATH: the code under /app is the code that runs (it shadows the copy installed in the
# venv), so `relief db upgrade` finds alembic.ini and workflows/ next to the service package.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    RELIEF_ENV=production \
    RELIEF_HOST=0.0.0.0 \
    RELIEF_PORT=8000

# pg_dump and pg_restore for `relief backup` / `relief restore` on PostgreSQL: the base image's
# Debian client, which dumps a server of its own major version or older (docs/operations.md).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 relief \
    && useradd --system --uid 10001 --gid relief --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin relief

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
COPY service/ ./service/
COPY alembic/ ./alembic/
COPY alembic.ini ./
COPY workflows/ ./workflows/
RUN python -m compileall -q /app/service /app/alembic

# The SQLite database (default RELIEF_DATABASE_URL, ./var/relief.db) and uploaded documents
# (RELIEF_FILES_DIR, var/files) live in /app/var: the only place the service writes.
RUN mkdir -p /app/var/files && chown -R relief:relief /app/var
VOLUME ["/app/var"]

USER relief:relief
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('RELIEF_PORT', '8000'), timeout=4)"]

# RELIEF_SECRET_KEY must be supplied at run time: production refuses to start without it.
CMD ["relief", "serve"]
