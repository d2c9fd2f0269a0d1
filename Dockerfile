# syntax=docker/dockerfile:1
# The terning image: the `terning` command (server, consumer, migrate, ...) on Node 24, compiled
# into dist/ with esbuild when the image is built (TERNING_COMPILED=1). docker-compose.yml runs it.

# --- deps: node_modules from the lockfile -----------------------------------------------------
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies only. The devDependencies (ava, typescript, testcontainers, and `node`,
# which would download a second Node 24) are for tests; the image runs on the base image's Node 24.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime: the sources, run as the unprivileged `node` user -------------------------------
FROM node:24-slim AS runtime
WORKDIR /app
# In a container the API must listen on every interface; core/platform/config.ts defaults to 127.0.0.1.
ENV HOST=0.0.0.0 \
    PORT=3000 \
    TERNING_COMPILED=1
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY cli ./cli
COPY core ./core
COPY server ./server
COPY consumer ./consumer
COPY migrations ./migrations
COPY infra ./infra
COPY console ./console
COPY scripts/build.ts ./scripts/build.ts
# Compiled once, here: each process then runs dist/terning.mjs, ~30 MB less than through tsx.
RUN node --import tsx scripts/build.ts
# The files stay owned by root: the app reads them and writes nothing here. The one place it writes:
# docker-compose.yml's `secrets` volume, which takes this directory's owner when first mounted.
RUN mkdir -p /var/lib/terning/secrets && chown node:node /var/lib/terning/secrets && chmod 700 /var/lib/terning/secrets
USER node
EXPOSE 3000
ENTRYPOINT ["node", "bin/terning.js"]
CMD ["server"]
