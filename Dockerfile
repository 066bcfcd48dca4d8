# per-user-db: one product image for the worker and the webhook receiver (with the demo page), and a separate
# dev-harness image for the Clerk stand-in (compose's offline mode). The product image holds no dev/ code.
#   docker build -t per-user-db .                          node dist/cli.js worker | webhook
#   docker build --target dev-harness -t per-user-db-dev .  node dev/cli.js clerk-stand-in
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm ci` runs `prepare`, which bundles the Xata SDK into generated/ with scripts/bundle-xata.mjs.
COPY scripts/bundle-xata.mjs ./scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle-workflows.ts ./scripts/
COPY src ./src
# tsc, then the prebuilt Temporal workflow bundle (dist/workflow-bundle.js), which the worker loads at start.
RUN npm run build

# The dev harness as one file: only the stand-in's code, with the runtime packages the product already has.
FROM build AS dev-bundle
COPY dev ./dev
RUN npx esbuild dev/cli.ts --bundle --platform=node --format=esm --target=node22 --packages=external \
      --external:./local/stack.js --outfile=dev-dist/cli.js

FROM build AS runtime-deps
# Only what the product runs with: no dev packages (the Xata platform SDK is bundled into generated/ at build
# time), not typescript (a types-only peer of @xata.io/client), no type declarations or source maps, and of the
# Temporal core bridge only this platform's binary (the package also ships four others and its Rust sources).
# Nor what only bundling workflow code uses (swc, its loaders, webpack's minimizer and browser targets): the worker
# runs the prebuilt bundles (dist/workflow-bundle*.js) and loads webpack's entry only because @temporalio/worker
# requires it at load. Of the GeoIP package, only the combined database the receiver opens.
RUN npm prune --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/typescript \
  && cd node_modules \
  && rm -rf @swc swc-loader source-map-loader terser minimizer-webpack-plugin jest-worker caniuse-lite browserslist \
       update-browserslist-db electron-to-chromium node-releases baseline-browser-mapping \
       @ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country-ipv4.mmdb \
       @ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country-ipv6.mmdb \
  && cd .. \
  && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete \
  && arch="$(node -p 'process.arch === "arm64" ? "aarch64" : "x86_64"')" \
  && cd node_modules/@temporalio/core-bridge \
  && find releases -mindepth 1 -maxdepth 1 ! -name "${arch}-unknown-linux-gnu" -exec rm -rf {} + \
  && rm -rf sdk-core src bridge-macros Cargo.toml Cargo.lock \
  && npm cache clean --force

FROM ${NODE_IMAGE} AS product
ENV NODE_ENV=production
# Leaner processes (README, "Memory"): V8's young generation at 2 × 2 MiB instead of 2 × 16 MiB (per isolate: the
# worker runs its workflows in a second one), and 2 glibc malloc arenas instead of 8 per core for the worker's
# threads. The bench runs the services with this line too (bench/service-process.ts).
ENV NODE_OPTIONS="--max-semi-space-size=2" MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=runtime-deps /app/package.json ./
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/generated ./generated
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
# The demo page; the app serves it from src/webhook/public whether it runs from src/ or dist/.
COPY src/webhook/public ./src/webhook/public
USER node
EXPOSE 3000
# The receiver's readiness (its default command); compose turns it off for the worker, which serves no HTTP.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/cli.js", "webhook"]

FROM product AS dev-harness
COPY --from=dev-bundle /app/dev-dist/cli.js ./dev/cli.js
USER root
# The stand-in's users live on a volume mounted here; a fresh named volume takes this owner.
RUN mkdir /data && chown node:node /data
USER node
EXPOSE 3100
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3100/v1/users').then((r) => process.exit(r.status === 401 ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dev/cli.js", "clerk-stand-in", "--host", "0.0.0.0", "--port", "3100", "--state-file", "/data/users.json"]

# The default target: the product.
FROM product
