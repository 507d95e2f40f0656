# Shared by scripts/run and scripts/test: bring this machine to a state where the
# services can run. Every step is idempotent and cheap when already done.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON_BIN="${PYTHON_BIN:-python3.11}"
command -v "$PYTHON_BIN" >/dev/null 2>&1 || PYTHON_BIN=python3

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtualenv $VENV"
    "$PYTHON_BIN" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed"
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
    log "installing the project and its dev dependencies"
    "$VENV/bin/pip" install --quiet --upgrade "pip<27"
    "$VENV/bin/pip" install --quiet -e "$ROOT[dev]"
    touch "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
  ensure_node_packages
}

# The npm packages the gateway serves (services/gateway/package.json; the dashboard's chart
# library): `npm ci` from the lock file when it is newer than the copy the gateway serves,
# then Chart.js's bundle copied beside the page (services/gateway/static/chart.umd.js,
# not in git). Without npm, a warning: the system runs, the dashboard draws no charts.
ensure_node_packages() {
  local gateway="$ROOT/services/gateway"
  local served="$gateway/static/chart.umd.js"
  if [ -f "$served" ] && [ ! "$gateway/package-lock.json" -nt "$served" ]; then return 0; fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing: the dashboard (GET /dashboard) will draw no charts" >&2
    return 0
  fi
  log "installing the gateway's npm packages (npm ci: the dashboard's chart library)"
  npm ci --prefix "$gateway" --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
    >/dev/null
  cp "$gateway/node_modules/chart.js/dist/chart.umd.js" "$served"
}

ensure_redis() {  # the gateway's shared limits (REDIS_URL); started if installed but stopped
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then return; fi
  if command -v redis-server >/dev/null 2>&1; then
    log "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 >/dev/null
    for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return; sleep 0.5; done
  fi
  echo "Redis is not running on 127.0.0.1:6379 (the gateway's limits then count per process)" >&2
  return 1
}

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  log "starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  else
    echo "PostgreSQL is not running on 127.0.0.1:5432 and pg_ctlcluster is missing" >&2
    return 1
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return; sleep 1; done
  echo "PostgreSQL did not come up" >&2; return 1
}

rabbit_up() { rabbitmqctl -q status >/dev/null 2>&1; }

ensure_rabbitmq() {
  if ! rabbit_up; then
    log "starting RabbitMQ"
    rabbitmq-server -detached
    for _ in $(seq 1 60); do rabbit_up && break; sleep 1; done
    rabbit_up || { echo "RabbitMQ did not come up" >&2; return 1; }
    rabbitmqctl -q await_startup >/dev/null 2>&1 || true
  fi
  # the management API: nameko's test fixtures create a vhost per test through it
  if ! rabbitmq-plugins list -e -m 2>/dev/null | grep -qx rabbitmq_management; then
    log "enabling the RabbitMQ management plugin"
    rabbitmq-plugins enable rabbitmq_management >/dev/null
  fi
  for _ in $(seq 1 30); do
    curl -fsS -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1 && return
    sleep 1
  done
  echo "RabbitMQ management API did not answer on :15672" >&2; return 1
}

# ensure_packages PACKAGE...: Debian packages the scripts, benchmarks and tests use (wrk for
# bench/gateway_read.py, chromium for tests/browser), installed when missing and apt-get
# can; a warning otherwise
ensure_packages() {
  local missing=()
  for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing ${missing[*]}"
  if ! { apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
         || { apt-get update -qq >/dev/null 2>&1 \
              && apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; }; }; then
    echo "could not install ${missing[*]} (bench/ or tests/browser need them; the system" \
      "runs without)" >&2
  fi
}

