#!/usr/bin/env bash
# Runs the claim extractor over a directory of articles (NAME.txt, with NAME.gold.jsonl beside
# them) and scores the predictions with the shared scorer.
#
#   scripts/eval-extractor.sh [ARTICLE_DIR] [-- extra score.py args, e.g. --json]
#
# ARTICLE_DIR defaults to tests/fixtures/eval. For PolNeAR pass /work/shared/eval/polnear-dev:
# its text is read in place and never copied into the project. The scorer is taken from
# $SCORER, else ../shared/eval/score.py or /work/shared/eval/score.py.
# $EXTRACT overrides the extractor command (default: the release build of this crate's CLI).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/tests/fixtures/eval}
shift || true
[ "${1:-}" = "--" ] && shift
scorer=${SCORER:-}
for cand in "$root/../shared/eval/score.py" /work/shared/eval/score.py; do
  [ -z "$scorer" ] && [ -f "$cand" ] && scorer=$cand
done
[ -n "$scorer" ] || { echo "score.py not found: set SCORER" >&2; exit 2; }
if [ -z "${EXTRACT:-}" ]; then
  (cd "$root" && cargo build --release --quiet)
  EXTRACT="$root/target/release/claimdb extract --format jsonl"
fi
pred=$(mktemp -d)
trap 'rm -rf "$pred"' EXIT
for f in "$dir"/*.txt; do
  name=$(basename "$f" .txt)
  $EXTRACT "$f" > "$pred/$name.pred.jsonl"
done
python3 "$scorer" --gold "$dir" --pred "$pred" "$@"
