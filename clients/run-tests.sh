#!/usr/bin/env bash
# Client tests: the Python and TypeScript clients, generated from proto/,
# against a live claimdb (debug build) with its own PostgreSQL.
#
#   clients/run-tests.sh
#
# 1. installs the tools (pip: clients/python/requirements-dev.txt; npm ci);
# 2. checks the committed generated code matches proto/ (Python, TypeScript);
# 3. cargo build, then starts target/debug/claimdb serve on a free port with a
#    throwaway data directory, and waits until it answers (max 60 s);
# 4. runs pytest (clients/python/tests) and node --test (clients/typescript),
#    with CLAIMDB_SERVER=127.0.0.1:<port>;
# 5. always stops the server with SIGTERM and waits for it.
#
# CARGO_TARGET_DIR is honoured; CLAIMDB_BIN=<path> skips the build and runs
# that server binary instead; PYTHON picks the interpreter (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
py="${PYTHON:-python3}"
start=$SECONDS
phase_start=$SECONDS
timings=()
phase() { # name of the phase that just ended
  timings+=("$1: $((SECONDS - phase_start))s")
  phase_start=$SECONDS
}

echo "clients: installing Python tools"
"$py" -m pip install -q --disable-pip-version-check --root-user-action=ignore -r clients/python/requirements-dev.txt
echo "clients: npm ci (clients/typescript)"
(cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error)
phase "install"

echo "clients: generated code is up to date with proto/"
gen_tmp="$(mktemp -d)"
cp -r clients/python/claimdb "$gen_tmp/python"
cp -r clients/typescript/src/gen "$gen_tmp/typescript"
clients/python/generate.sh >/dev/null
(cd clients/typescript && npm run -s generate)
stale=0
diff -r -x __pycache__ "$gen_tmp/python" clients/python/claimdb >/dev/null || stale=1
diff -r "$gen_tmp/typescript" clients/typescript/src/gen >/dev/null || stale=1
rm -rf "$gen_tmp"
if ((stale)); then
  git status --short -- clients/python/claimdb clients/typescript/src/gen || true
  echo "clients: the generated code was stale and is regenerated now:" >&2
  echo "  review and commit clients/python/claimdb and clients/typescript/src/gen" >&2
  exit 1
fi
phase "generated-code check"

if [[ -n "${CLAIMDB_BIN:-}" ]]; then
  bin="$CLAIMDB_BIN" # a server binary built elsewhere (e.g. from another checkout)
  echo "clients: using CLAIMDB_BIN=$bin (no cargo build)"
else
  echo "clients: cargo build"
  cargo build --quiet
  bin="${CARGO_TARGET_DIR:-$root/target}/debug/claimdb"
fi
phase "cargo build"

port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
data_dir="$(mktemp -d -p /tmp claimdb-clients.XXXXXX)"
server_log="$(mktemp -p /tmp claimdb-clients-log.XXXXXX)"
server_pid=""
stop_server() {
  local rc=$?
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    echo "clients: stopping the server (SIGTERM to $server_pid)"
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if ((rc != 0)); then
    echo "clients: FAILED; server log tail ($server_log):" >&2
    tail -n 40 "$server_log" >&2 || true
  else
    rm -f "$server_log"
  fi
  rm -rf "$data_dir"
  echo "clients: timings: ${timings[*]}; total $((SECONDS - start))s"
  exit "$rc"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "clients: starting claimdb on 127.0.0.1:$port (data dir $data_dir)"
"$bin" serve --listen "127.0.0.1:$port" --data-dir "$data_dir" >"$server_log" 2>&1 &
server_pid=$!
export CLAIMDB_SERVER="127.0.0.1:$port"

# Ready when a real RPC answers (the database is up and migrated).
ready=0
for _ in $(seq 1 60); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "clients: the server exited during start-up" >&2
    exit 1
  fi
  if PYTHONPATH="$root/clients/python" "$py" - <<'PY' 2>/dev/null; then
import os, grpc
from claimdb.v1 import claim_pb2, claim_pb2_grpc
with grpc.insecure_channel(os.environ["CLAIMDB_SERVER"]) as ch:
    claim_pb2_grpc.ClaimServiceStub(ch).ListClaims(claim_pb2.ListClaimsRequest(page_size=1), timeout=2)
PY
    ready=1
    break
  fi
  sleep 1
done
if ((!ready)); then
  echo "clients: the server did not answer within 60 s" >&2
  exit 1
fi
phase "server start"

echo "clients: pytest (clients/python/tests)"
rc=0
"$py" -m pytest -q -p no:cacheprovider clients/python/tests || rc=$?
if ((rc == 5)); then
  echo "clients: pytest collected no tests" >&2
  exit 1
elif ((rc != 0)); then
  exit "$rc"
fi
phase "pytest"

echo "clients: node --test (clients/typescript)"
(
  cd clients/typescript
  rm -rf dist
  npx tsc -p .
  shopt -s nullglob
  tests=(dist/test/*.test.js)
  if ((${#tests[@]} == 0)); then
    echo "clients: no TypeScript tests were built" >&2
    exit 1
  fi
  node --test --test-reporter=spec "${tests[@]}"
  node dist/examples/worked_example.js grpc-web >/dev/null
)
phase "node --test"
echo "clients: OK"
