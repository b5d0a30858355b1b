# One image for every role: HOOKYARD_ROLE (api, worker or all) picks what a container runs.

# The dashboard is built with the dev dependencies (vite, svelte), which the image leaves out.
FROM node:24.21.0-slim AS dashboard
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:client

FROM node:24.21.0-slim
WORKDIR /app
# Listen on every interface (the default, 127.0.0.1, is unreachable from outside the
# container); production makes the webhook URL policy strict.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    HOOKYARD_DATA_DIR=/data
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY start.ts ./
COPY api api
COPY worker worker
COPY core core
COPY infra infra
COPY schema schema
COPY --from=dashboard /app/client/build client/build
# Without DATABASE_URL the embedded PostgreSQL keeps its data in /data; it refuses to
# run as root, so the image does not either.
RUN mkdir /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 4000 2525
# Hookyard stops cleanly on SIGTERM; docker-compose.yml adds an init as PID 1 to pass it on.
# The V8 flags are those of `npm start` (package.json; a test keeps them equal).
CMD ["node", "--max-semi-space-size=8", "start.ts"]
