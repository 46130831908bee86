# syntax=docker/dockerfile:1
# Crossport container image. Multi-stage: compile with dev dependencies, run
# with production dependencies only, as the unprivileged `node` user.
#
#   docker build -t crossport .
#   docker run -p 8080:8080 -p 127.0.0.1:8081:8081 \
#     -v crossport-data:/var/lib/crossport -v /srv/assets:/srv/assets \
#     -e ADMIN_TOKEN=... --stop-timeout 35 crossport
#
# See docs/deploy.md for running several instances behind a CDN.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- install: every dependency, with the toolchain to compile native ones
FROM ${NODE_IMAGE} AS install
# better-sqlite3 compiles from source (node-gyp) when no prebuilt binary can be
# fetched for this platform and Node version (no network to GitHub, another
# libc or CPU). The slim image has no compiler, so bring the toolchain here; it
# stays in the build stages and never reaches the runtime image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# --- build: TypeScript -> dist/ (server and admin console)
FROM install AS build
COPY tsconfig.json tsconfig.build.json tsconfig.console.json tsconfig.api-types.json ./
COPY src ./src
COPY console ./console
RUN npx tsc -p tsconfig.build.json \
 && npx tsc -b tsconfig.console.json \
 && date -u +%FT%TZ > dist/.build-stamp

# --- deps: production dependencies only, pruned from the full install, so a
# better-sqlite3 compiled there is reused rather than compiled again.
FROM install AS deps
RUN npm prune --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime
FROM ${NODE_IMAGE} AS runtime
# ADMIN_HOST=0.0.0.0: inside a container the admin listener must bind all
# interfaces to be reachable through a published port at all. Publish it on the
# host's loopback only (-p 127.0.0.1:8081:8081) or on a private network: it
# serves the admin API and /metrics.
# WORKERS=1, not auto: Node 20 counts the host's cores, not the container's CPU
# limit (--cpus, a Kubernetes limit), so auto on a large host would start one
# worker per host core, each ~85 MB, all sharing the few cores the container
# may use. Scale with replicas, or set WORKERS to the container's CPU limit.
ENV NODE_ENV=production \
    WORKERS=1 \
    PORT=8080 \
    HOST=0.0.0.0 \
    ADMIN_PORT=8081 \
    ADMIN_HOST=0.0.0.0 \
    ASSETS_DIR=/srv/assets \
    DATABASE_PATH=/var/lib/crossport/crossport.db \
    CACHE_DIR=/var/cache/crossport
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY migrations ./migrations
COPY console/index.html console/styles.css ./console/
RUN mkdir -p /srv/assets /var/lib/crossport /var/cache/crossport \
 && chown node:node /srv/assets /var/lib/crossport /var/cache/crossport
USER node
VOLUME ["/var/lib/crossport", "/var/cache/crossport"]
EXPOSE 8080 8081

# Liveness through the public listener with Node's own fetch: the slim image has no curl.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node as PID 1 (not npm): SIGTERM reaches Crossport's handler, which finishes
# in-flight responses within SHUTDOWN_TIMEOUT_MS. Give `docker stop` more than that.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
