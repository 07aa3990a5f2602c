#!/usr/bin/env bash
# The long version of the reliability proof (tests/api/faults.rs): several
# clients write for SOAK_SECS while PostgreSQL is stopped and started and
# the server is SIGKILLed and restarted, over and over; then a SIGTERM under
# load. At the end, every acknowledged write must be stored and no article
# half-stored. Prints the figures line that docs/RELIABILITY.md quotes.
#
#   scripts/soak.sh                 # 10 minutes, 4 writers
#   SOAK_SECS=3600 SOAK_WRITERS=8 scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${SOAK_SECS:-600}"
writers="${SOAK_WRITERS:-4}"
echo "soak: ${writers} writers, ${secs} s of fault cycles (release build)"
CLAIMDB_SOAK_SECS="$secs" CLAIMDB_SOAK_WRITERS="$writers" \
  cargo test --release --test api -- --exact \
  faults::acknowledged_writes_survive_postgres_restarts_sigkill_and_sigterm \
  --nocapture 2>&1 | tee /tmp/claimdb-soak.log | grep -E "RELIABILITY|test result|panicked|FAILED" || true
grep -q "test result: ok" /tmp/claimdb-soak.log
