# syntax=docker/dockerfile:1
# Airlock as a container: a build stage compiles the TypeScript and the console; the runtime stage
# holds only what `airlock serve` reads (dist, migrations, integrations, demo data, production
# node_modules) and runs as the unprivileged `node` user.
#   docker build -t airlock .
#   docker run -e AIRLOCK_UPSTREAM_URL=... -e AIRLOCK_STORE_URL=... -e AIRLOCK_MASTER_KEY=... -p 6432:6432 -p 8080:8080 airlock

FROM node:20-bookworm-slim AS build
WORKDIR /app
# a compiler for native modules (better-sqlite3) when no prebuilt binary fits the platform
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# dependencies in their own layer; their install scripts run below, once the sources are there
# (the package's own `prepare` script is the build, which needs them)
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm rebuild \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    AIRLOCK_CONFIG=/etc/airlock/airlock.yaml \
    AIRLOCK_STATE_DIR=/var/lib/airlock
WORKDIR /app
# the default config only makes both doors listen on every interface of the container; mount your
# own airlock.yaml over it (keep `host: 0.0.0.0`), settings from the environment still apply on top
RUN mkdir -p /etc/airlock /var/lib/airlock \
 && printf 'wire:\n  host: 0.0.0.0\nhttp:\n  host: 0.0.0.0\n' > /etc/airlock/airlock.yaml \
 && chown node:node /var/lib/airlock
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/integrations ./integrations
COPY --from=build /app/demo ./demo
USER node
# the audit journal and checkpoint key live here: keep it on a volume (replayed after a crash)
VOLUME ["/var/lib/airlock"]
EXPOSE 6432 8080
# slim images have no curl: node's own fetch asks the process-only liveness check
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) drains: no new connections, in-flight statements finish (shutdownGraceMs)
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/bin/airlock.js"]
CMD ["serve"]
