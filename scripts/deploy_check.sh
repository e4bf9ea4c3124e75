#!/usr/bin/env bash
# Exercises the steps of docs/deploy.md on this machine, with production settings from the
# environment, against the system PostgreSQL (PGHOST/PGPORT/PGUSER, default 127.0.0.1:5432
# postgres, trust auth) and, when one answers, Redis as the Celery broker:
#   1. without DJANGO_SECRET_KEY the production settings refuse to start; with it,
#      manage.py check --deploy is clean (warnings fail it)
#   2. migrate + demo data into a scratch database
#   3. collectstatic, then granian (the settings of docs/deploy.md §3) serves a page and a hashed
#      static file (WhiteNoise)
#   4. a Celery worker on the real broker answers a ping (skipped without Redis)
#   5. pg_dump (custom format) + pg_restore into a second scratch database, and every table's
#      row count is the same in both
# Scratch databases and files are removed at the end, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
BIN=$(dirname "$PY")

export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
SRC_DB=interzafra_deploy_check
RESTORED_DB=interzafra_deploy_check_restored
WORK=$(mktemp -d)
PORT=${DEPLOY_CHECK_PORT:-18765}
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  dropdb --if-exists "$SRC_DB" 2>/dev/null || true
  dropdb --if-exists "$RESTORED_DB" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { echo "== deploy check: $*"; }

# Production settings, exactly as docs/deploy.md lists them.
export DJANGO_SECRET_KEY
DJANGO_SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
export DJANGO_DEBUG=0
export DJANGO_ALLOWED_HOSTS=interzafra.example.gob.ar,127.0.0.1
export DJANGO_CSRF_TRUSTED_ORIGINS=https://interzafra.example.gob.ar
export DJANGO_SECURE_COOKIES=1 DJANGO_SECURE_SSL_REDIRECT=1 DJANGO_SECURE_HSTS_SECONDS=31536000
export DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS=1 DJANGO_SECURE_HSTS_PRELOAD=1
export DJANGO_STATIC_MANIFEST=1 DJANGO_STATIC_ROOT="$WORK/static" DJANGO_MEDIA_ROOT="$WORK/media"
export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$SRC_DB"
export DATABASE_CONN_MAX_AGE=0 DATABASE_DISABLE_SERVER_SIDE_CURSORS=1
export DJANGO_LOG_LEVEL=WARNING
if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  export CELERY_BROKER_URL=redis://127.0.0.1:6379/14
else
  unset CELERY_BROKER_URL
fi

step "production settings without DJANGO_SECRET_KEY refuse to start"
# An empty value hides any key in the checkout's .env, as a production environment would.
if refused=$(DJANGO_SECRET_KEY="" "$PY" manage.py check 2>&1); then
  echo "started without a secret key"; exit 1
fi
grep -q "DJANGO_SECRET_KEY is not set" <<<"$refused" || { echo "$refused"; exit 1; }

step "manage.py check --deploy"
"$PY" manage.py check --deploy --fail-level WARNING

step "scratch database, migrate, demo data"
dropdb --if-exists "$SRC_DB"; dropdb --if-exists "$RESTORED_DB"
createdb "$SRC_DB"
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py seed_demo >/dev/null

step "collectstatic"
"$PY" manage.py collectstatic --noinput -v 0
test -f "$WORK/static/staticfiles.json"

step "granian serves the login page and a static file"
"$BIN/granian" --interface wsgi config.wsgi:application --host 127.0.0.1 --port "$PORT" --workers 2 \
  --blocking-threads 4 --respawn-failed-workers --workers-max-rss 1024 --access-log >"$WORK/granian.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 60); do
  curl -fsS -o /dev/null -H "X-Forwarded-Proto: https" -H "Host: interzafra.example.gob.ar" \
    "http://127.0.0.1:$PORT/ingresar/" 2>/dev/null && break
  sleep 0.5
done
page=$(curl -fsS -D "$WORK/headers" -H "X-Forwarded-Proto: https" -H "Host: interzafra.example.gob.ar" \
  "http://127.0.0.1:$PORT/ingresar/")
grep -q 'name="username"' <<<"$page" || { echo "login page not served"; exit 1; }
grep -qi '^strict-transport-security: max-age=31536000' "$WORK/headers" || { echo "no HSTS header"; exit 1; }
grep -qiE "^content-security-policy:.*(^|[ ;])default-src 'self'" "$WORK/headers" || { echo "no Content-Security-Policy"; exit 1; }
css=$(grep -o '/static/css/app\.[0-9a-f]*\.css' <<<"$page" | head -n1)
test -n "$css" || { echo "static files are not hashed by the manifest storage"; exit 1; }
curl -fsS -o /dev/null -H "X-Forwarded-Proto: https" -H "Host: interzafra.example.gob.ar" "http://127.0.0.1:$PORT$css"
# The vendored chart library is collected, hashed and served too (the dashboards need no CDN).
chart=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['paths']['vendor/chartjs/chart.umd.min.js'])" \
  "$WORK/static/staticfiles.json")
curl -fsS -o /dev/null -H "X-Forwarded-Proto: https" -H "Host: interzafra.example.gob.ar" \
  "http://127.0.0.1:$PORT/static/$chart"
# Plain HTTP is redirected to HTTPS.
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: interzafra.example.gob.ar" "http://127.0.0.1:$PORT/ingresar/")
test "$code" = 301 || { echo "plain HTTP answered $code instead of 301"; exit 1; }

if [ -n "${CELERY_BROKER_URL:-}" ]; then
  step "Celery worker on $CELERY_BROKER_URL answers a ping"
  "$BIN/celery" -A config worker -n "deploycheck@%h" --concurrency 1 --without-gossip --without-mingle \
    --loglevel WARNING >"$WORK/celery.log" 2>&1 &
  PIDS+=($!)
  ok=""
  for _ in $(seq 30); do
    if "$BIN/celery" -A config inspect ping -d "deploycheck@$(hostname)" --timeout 2 >/dev/null 2>&1; then ok=1; break; fi
    sleep 1
  done
  test -n "$ok" || { echo "celery worker did not answer"; cat "$WORK/celery.log"; exit 1; }
else
  step "no Redis on 127.0.0.1:6379: Celery step skipped"
fi

step "pg_dump, then pg_restore into a scratch database"
pg_dump --format=custom --no-owner --file "$WORK/interzafra.dump" "$SRC_DB"
createdb "$RESTORED_DB"
pg_restore --no-owner --exit-on-error --dbname "$RESTORED_DB" "$WORK/interzafra.dump"

count_rows() {
  psql -X -At -d "$1" -c "
    SELECT table_name || '=' || (xpath('/row/c/text()',
      query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text
    FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
    ORDER BY table_name"
}
count_rows "$SRC_DB" >"$WORK/src.counts"
count_rows "$RESTORED_DB" >"$WORK/restored.counts"
diff -u "$WORK/src.counts" "$WORK/restored.counts" || { echo "row counts differ after restore"; exit 1; }
tables=$(wc -l <"$WORK/src.counts")
workers=$(grep '^enrollment_worker=' "$WORK/src.counts" | cut -d= -f2)
test "${workers:-0}" -gt 0 || { echo "the demo data did not reach the dump"; exit 1; }
# The restored copy is usable by the application: migrations are all applied there.
DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$RESTORED_DB" "$PY" manage.py migrate --check -v 0

echo "deploy check passed: $tables tables with equal row counts after restore ($workers workers)"
