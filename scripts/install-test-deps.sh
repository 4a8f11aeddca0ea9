#!/usr/bin/env bash
# Installs the system packages the wire-proxy tests and bench need (idempotent, quiet).
# pgbouncer (bench baseline), psycopg 3 / psycopg2 (client matrix), the PostgreSQL JDBC jar, psql/pgbench,
# chromium (the console's browser tests drive it headless with playwright-core), and Docker Compose
# (test/ops/compose.test.ts runs `docker compose config`; best effort: the test checks the file itself
# when no compose can be installed).
set -euo pipefail
want=(pgbouncer python3-psycopg python3-psycopg2 libpostgresql-jdbc-java postgresql-client chromium)
missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
compose_missing=false
if ! docker compose version >/dev/null 2>&1 && ! docker-compose version >/dev/null 2>&1; then compose_missing=true; fi
if [ ${#missing[@]} -eq 0 ] && [ "$compose_missing" = false ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# the Compose plugin where Docker's apt repository is configured, else Debian's docker-compose
if [ "$compose_missing" = true ]; then
  $SUDO apt-get install -y -qq --no-install-recommends docker-compose-plugin >/dev/null 2>&1 ||
    $SUDO apt-get install -y -qq --no-install-recommends docker-compose >/dev/null 2>&1 ||
    echo "install-test-deps: no Docker Compose package; test/ops/compose.test.ts checks docker-compose.yml without it" >&2
fi
# the Debian package starts a pgbouncer service on 6432; the bench starts its own, so stop it
if [ ${#missing[@]} -gt 0 ] && printf '%s\n' "${missing[@]}" | grep -qx pgbouncer; then
  (command -v service >/dev/null && $SUDO service pgbouncer stop >/dev/null 2>&1) || true
fi
