#!/usr/bin/env bash
# End-to-end tests of the web UI in headless Chromium against a live server:
# builds claimdb (unless CLAIMDB_BIN is given), starts `claimdb serve` on a
# free port with a throwaway data directory, loads the worked example plus
# the fixtures in tests/fixtures/, corrects one claim, then runs
# `node --test tests/` (playwright-core driving the system's Chromium).
# Screenshots land in tests/output/. The server is stopped on exit.
#
# Needs: node >= 20, npm, cargo (or CLAIMDB_BIN), grpcurl and jq (as the
# README's session does); installs Chromium with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")"
WEB=$(pwd)
ROOT=$(cd .. && pwd)
t0=$SECONDS
phase() { echo "== $1 ($((SECONDS - t0))s)"; }

phase "chromium"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$CHROMIUM" ]]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi

phase "npm ci"
if [[ ! -d node_modules/playwright-core || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

phase "claimdb binary"
if [[ -z "${CLAIMDB_BIN:-}" ]]; then
  (cd "$ROOT" && cargo build --quiet)
  CLAIMDB_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/claimdb"
fi
export CLAIMDB_BIN

phase "server"
PORT=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
DATA=$(mktemp -d -p /tmp claimdb-web-XXXXXX)
"$CLAIMDB_BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" >"$DATA.log" 2>&1 &
SERVER=$!
cleanup() {
  kill -TERM "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  rm -rf "$DATA"
  [[ "${KEEP_LOG:-}" ]] || rm -f "$DATA.log"
}
trap cleanup EXIT INT TERM
for _ in $(seq 1 240); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null; then break; fi
  if ! kill -0 "$SERVER" 2>/dev/null; then cat "$DATA.log" >&2; exit 1; fi
  sleep 0.5
done
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/"
export CLAIMDB_SERVER="127.0.0.1:$PORT"
export BASE_URL="http://127.0.0.1:$PORT"

phase "data"
"$CLAIMDB_BIN" ingest --server "$CLAIMDB_SERVER" "$ROOT/examples/worked_example.json" \
  tests/fixtures/harbour_times.json tests/fixtures/port_deadline.json >/dev/null
CLAIM=$(grpcurl -plaintext -d '{"speaker": {"name": "Tomas Ekwall"}, "query": "finish port"}' "$CLAIMDB_SERVER" \
  claimdb.v1.ClaimService/ListClaims | jq -er '.claims[0].id')
sleep 1.1
# "As of" this second (the picker's resolution) the claim stood uncorrected.
export BEFORE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1.1
jq -c --arg id "$CLAIM" '{id: $id, claim: ., update_mask: {paths: ["text", "spans"]}, expected_revision: 1,
  reason: "quote was cut short"}' tests/fixtures/correction.json |
  grpcurl -plaintext -H 'claimdb-actor: web-test-editor' -d @ "$CLAIMDB_SERVER" claimdb.v1.ClaimService/UpdateClaim >/dev/null
export CORRECTED_CLAIM=$CLAIM

phase "tests"
mkdir -p tests/output
node --test --test-concurrency=1 tests/
phase "done"
