# One Dockerfile for every Shop image: a shared dependency + build stage (one `npm ci`, one
# `turbo run build` for all workspaces), then a small per-service runtime picked by build arguments,
# and the storefront (target `storefront`: the Vite build served by nginx).
# Build from the repository root:
#   DOCKER_BUILDKIT=1 docker build --build-arg SERVICE=order --build-arg PORT=8082 \
#     -t ghcr.io/shop-demo/shop-order .
# The load generator (@shop/loadgen) is the `loadgen` target of the same build:
#   DOCKER_BUILDKIT=1 docker build --target loadgen -t ghcr.io/shop-demo/shop-loadgen .
#   DOCKER_BUILDKIT=1 docker build --target storefront -t ghcr.io/shop-demo/shop-storefront .
# Building the four services in a row reuses every stage up to `prod-deps` from the BuildKit cache, so
# only the first build pays for `npm ci` and the TypeScript build.
# Base image: pin it by digest with --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:<digest>, or pin
# the `node-base` FROM line below (Dependabot keeps that line current; it cannot follow build args).
# Registry CA: an optional BuildKit secret `npm_ca` (--secret id=npm_ca,src=<ca.pem>) is mounted for the
# npm steps only; it never lands in a layer, an env var or a build arg.
ARG NODE_IMAGE=node-base
ARG NGINX_IMAGE=nginx-base

FROM node:24-bookworm-slim AS node-base
FROM nginx:1.27 AS nginx-base

# --- tools: turbo at the version the repository pins (only package.json is copied: cached until it changes)
FROM ${NODE_IMAGE} AS tools
ENV TURBO_TELEMETRY_DISABLED=1 NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /repo
COPY package.json ./
RUN --mount=type=secret,id=npm_ca,required=false \
    --mount=type=cache,target=/root/.npm,sharing=locked \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm install --global --no-save "turbo@$(node -p "require('./package.json').devDependencies.turbo")"

# --- prune: every deployable workspace and its workspace dependencies; the test and bench workspaces
# (and their heavy dependencies) are left out. `out/json` holds the manifests and the trimmed lockfile
# only, so the dependency layer below stays cached while no manifest changes.
FROM tools AS prune
ARG WORKSPACES="@shop/user-service @shop/product-service @shop/order-service @shop/payment-service @shop/loadgen @shop/storefront"
COPY . .
RUN turbo prune ${WORKSPACES} --docker --out-dir /out

# --- build: all dependencies once, then every workspace compiled once -------------------------------
FROM ${NODE_IMAGE} AS build
ENV TURBO_TELEMETRY_DISABLED=1 NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app
COPY --from=prune /out/json/ ./
RUN --mount=type=secret,id=npm_ca,required=false \
    --mount=type=cache,target=/root/.npm,sharing=locked \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci
COPY --from=prune /out/full/ ./
COPY tsconfig.base.json ./
RUN npx turbo run build --output-logs=errors-only

# --- prod-deps: the one service's production dependencies (its own pruned lockfile) --------------------
FROM prune AS prune-service
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "--build-arg SERVICE=<user|product|order|payment> is required" >&2; exit 1; }; \
    turbo prune "@shop/${SERVICE}-service" --docker --out-dir /out

FROM ${NODE_IMAGE} AS prod-deps
ARG SERVICE
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app
COPY --from=prune-service /out/json/ ./
RUN --mount=type=secret,id=npm_ca,required=false \
    --mount=type=cache,target=/root/.npm,sharing=locked \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci --omit=dev

# --- assemble: compiled output (and migrations, and @shop/contracts' .proto files) of the workspaces the
# service needs at run time. npm links
# every workspace even with --omit=dev; those the service does not depend on at run time (@shop/testing)
# are removed.
FROM prod-deps AS assemble
ARG SERVICE
COPY --from=build /app/packages/ /build/packages/
COPY --from=build /app/services/ /build/services/
RUN node -e ' \
      const fs = require("node:fs"); \
      const manifest = (dir) => JSON.parse(fs.readFileSync(dir + "/package.json", "utf8")); \
      const dirs = {}; \
      for (const root of ["packages", "services"]) { \
        if (!fs.existsSync(root)) continue; \
        for (const name of fs.readdirSync(root)) dirs[manifest(root + "/" + name).name] = root + "/" + name; \
      } \
      const keep = new Set(); \
      const visit = (name) => { \
        if (keep.has(name) || !dirs[name]) return; \
        keep.add(name); \
        for (const dep of Object.keys(manifest(dirs[name]).dependencies ?? {})) visit(dep); \
      }; \
      visit(process.argv[1]); \
      for (const [name, dir] of Object.entries(dirs)) { \
        if (!keep.has(name)) { \
          fs.rmSync(dir, { recursive: true, force: true }); \
          fs.rmSync("node_modules/" + name, { force: true }); \
          continue; \
        } \
        for (const part of ["dist", "migrations", "proto"]) { \
          if (fs.existsSync("/build/" + dir + "/" + part)) \
            fs.cpSync("/build/" + dir + "/" + part, dir + "/" + part, { recursive: true }); \
        } \
      }' "@shop/${SERVICE}-service" \
 && rm -rf /build package-lock.json

# --- storefront: the Vite build (from the shared build stage) served by nginx as a non-root user --------
# nginx, not Node: static files only, pre-compressed at build time (gzip_static), with the CSP and
# cache headers of services/storefront/deploy. The official image's entrypoint scripts rewrite config
# at start, which a read-only root filesystem forbids, so nginx is started directly.
FROM ${NGINX_IMAGE} AS storefront
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/shop-demo/shop
LABEL org.opencontainers.image.title="shop-storefront" \
      org.opencontainers.image.description="Shop storefront (static web app)" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}"
RUN rm -f /etc/nginx/conf.d/*.conf && rm -rf /usr/share/nginx/html/*
COPY services/storefront/deploy/nginx.conf /etc/nginx/nginx.conf
COPY services/storefront/deploy/default.conf /etc/nginx/conf.d/default.conf
COPY services/storefront/deploy/security-headers.conf /etc/nginx/snippets/storefront-security-headers.conf
COPY --from=build /app/services/storefront/dist/ /usr/share/nginx/html/
USER 10001:10001
EXPOSE 8080
# nginx finishes in-flight requests on SIGQUIT (SIGTERM would drop them).
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT []
CMD ["nginx", "-g", "daemon off;"]

# --- runtime: node, production node_modules and compiled output; nothing writable but /tmp -----------
# (`service` stays the last stage: a build without --target is a service image.)
FROM ${NODE_IMAGE} AS runtime-base
# npm is never run here; removing it also drops its bundled dependencies from the scan surface.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
ENV NODE_ENV=production \
    HOME=/tmp
# glibc malloc: a fixed 1 MiB mmap threshold, and transparent huge pages asked for on what it maps. By default
# the threshold grows to the size of each large block freed (up to 32 MiB), after which blocks of that size
# come from the per-thread arenas and stay there: every argon2 hash (19 MiB, on each libuv pool thread) left
# its memory behind, and the user service went from ~128 to ~220 MiB after a burst of logins. Mapped and
# unmapped per hash instead, RSS returns to within ~15 MiB of ready; huge pages (hugetlb=1: madvise, which
# the common THP setting `madvise` honours) make the fresh mapping ten faults instead of ~5,000, so logins
# keep their rate (4 KiB pages alone cost a quarter of it). `npm run bench`: login, rss-after-*.
ENV GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=1048576
# The probe of the HEALTHCHECK below and of the compose healthchecks: bash's /dev/tcp, ~1 ms of CPU per
# check where a `node -e "fetch(…)"` process took ~175 ms and 60 MiB (scripts/http-probe.sh).
COPY --chmod=0755 scripts/http-probe.sh /usr/local/bin/shop-probe

# --- loadgen: the load generator (`--target loadgen`; compose profile `load`, k8s/components/loadgen). It
# sits before `service` so that a build without --target still produces a service image.
FROM prune AS prune-loadgen
RUN turbo prune @shop/loadgen --docker --out-dir /out

FROM ${NODE_IMAGE} AS loadgen-deps
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app
COPY --from=prune-loadgen /out/json/ ./
RUN --mount=type=secret,id=npm_ca,required=false \
    --mount=type=cache,target=/root/.npm,sharing=locked \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci --omit=dev \
 && rm -f package-lock.json

FROM runtime-base AS loadgen
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/shop-demo/shop
LABEL org.opencontainers.image.title="shop-loadgen" \
      org.opencontainers.image.description="Shop load generator: open-model shopper journeys against the public API" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}"
WORKDIR /app
COPY --from=loadgen-deps /app/ ./
COPY --from=build /app/packages/loadgen/dist/ ./packages/loadgen/dist/
WORKDIR /app/packages/loadgen
USER 10001:10001
# Flags after the image name (or LOAD_* variables) configure the run; the exit code is the verdict.
ENTRYPOINT ["node", "dist/cli.js"]
CMD []

FROM runtime-base AS service
ARG SERVICE
ARG PORT
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/shop-demo/shop
LABEL org.opencontainers.image.title="shop-${SERVICE}" \
      org.opencontainers.image.description="Shop ${SERVICE} service" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}"
ENV SERVICE_PORT=${PORT}
WORKDIR /app
COPY --from=assemble /app/ ./
WORKDIR /app/services/${SERVICE}
# Numeric and non-root (no /etc/passwd entry needed); the files above stay root-owned and read-only.
USER 10001:10001
EXPOSE ${PORT}
# No curl in the image: shop-probe (bash) asks the liveness endpoint on SERVICE_PORT.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["shop-probe", "/healthz"]
# node is PID 1 (no npm, no shell): SIGTERM reaches the service's graceful shutdown directly.
ENTRYPOINT []
# Heap sized for the pods' memory (requests 256–512Mi, limits 512Mi–1Gi) instead of V8's defaults, which
# size it from the host's memory when no cgroup limit applies (compose, a large node): a young generation
# of up to 8 MiB per semi-space and an old space collected before 160 MiB keep RSS near 130 MiB at ready
# and within 1.3× of that under load, at no measurable throughput cost (`npm run bench`, README
# "Performance"). The service runs from its bundle (`npm run build` writes it after tsc, packages/service-kit
# scripts/bundle-service.mjs): the telemetry entry first, then the app, a few files instead of ~1,500 modules,
# which is most of the cold start. The bench and the e2e stack start the services from this line.
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=160", "--import", "./dist/telemetry.bundle.js", "dist/main.bundle.js"]

