# per-user-db: one image for the worker, the webhook receiver (with the demo page) and the Clerk stand-in.
#   docker build -t per-user-db .      then   node dist/cli.js worker | webhook | clerk-stand-in
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm ci` runs `prepare`, which bundles the Xata SDK into generated/ with scripts/bundle-xata.mjs.
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/generated ./generated
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
# The demo page; the app serves it from src/webhook/public whether it runs from src/ or dist/.
COPY src/webhook/public ./src/webhook/public
USER node
EXPOSE 3000 3100
CMD ["node", "dist/cli.js", "webhook"]
