#!/usr/bin/env bash
# Installs the system packages the wire-proxy tests and bench need (idempotent, quiet).
# pgbouncer (bench baseline), psycopg 3 / psycopg2 (client matrix), the PostgreSQL JDBC jar, psql/pgbench,
# chromium (the console's browser tests drive it headless with playwright-core).
set -euo pipefail
want=(pgbouncer python3-psycopg python3-psycopg2 libpostgresql-jdbc-java postgresql-client chromium)
missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# the Debian package starts a pgbouncer service on 6432; the bench starts its own, so stop it
if printf '%s\n' "${missing[@]}" | grep -qx pgbouncer; then
  (command -v service >/dev/null && $SUDO service pgbouncer stop >/dev/null 2>&1) || true
fi
