# A look-alike of the official postgres image (Debian bookworm ships PostgreSQL 15): its entrypoint contract
# (POSTGRES_PASSWORD/USER/DB, PGDATA, initdb on first start only, listening on all interfaces), user postgres
# uid 999, pg_isready and psql on PATH. Built with host networking (apt-get).
FROM debian-local:bookworm
RUN echo 'postgres:x:999:' >> /etc/group \
  && echo 'postgres:x:999:999::/var/lib/postgresql:/bin/bash' >> /etc/passwd \
  && apt-get update -qq \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null \
  && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15 \
  && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
  && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
