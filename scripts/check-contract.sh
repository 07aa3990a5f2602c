#!/usr/bin/env bash
# Contract hygiene for proto/: buf lint, buf breaking against the main branch
# (or against the previous commit when HEAD is main), and docs/api.md
# regenerated from the protos must match the committed file.
#
# Needs: buf (pip install buf-bin, or npm's @bufbuild/buf), git, python3 with
# grpcio-tools. Override the breaking baseline with CONTRACT_AGAINST=<git ref>.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "contract: buf lint"
buf lint

# --- buf breaking ---------------------------------------------------------
# The baseline is read from git with subdir=proto so that file paths match
# the module (proto/) whether or not the baseline commit has a buf.yaml.
against_sha=""
against_desc=""
head_sha="$(git rev-parse -q --verify HEAD || true)"
if [[ -n "${CONTRACT_AGAINST:-}" ]]; then
  against_sha="$(git rev-parse -q --verify "${CONTRACT_AGAINST}^{commit}")" ||
    { echo "contract: CONTRACT_AGAINST=$CONTRACT_AGAINST is not a commit" >&2; exit 1; }
  against_desc="$CONTRACT_AGAINST"
else
  main_sha="$(git rev-parse -q --verify refs/heads/main || git rev-parse -q --verify refs/remotes/origin/main || true)"
  if [[ -n "$main_sha" && -n "$head_sha" && "$main_sha" != "$head_sha" ]]; then
    against_sha="$main_sha"
    against_desc="main"
  elif [[ -n "$head_sha" ]] && prev="$(git rev-parse -q --verify 'HEAD~1^{commit}')"; then
    against_sha="$prev"
    against_desc="HEAD~1 (HEAD is main)"
  fi
fi
if [[ -z "$against_sha" ]]; then
  echo "contract: buf breaking SKIPPED: no previous commit to compare against (shallow clone or first commit)"
elif [[ -z "$(git ls-tree -r --name-only "$against_sha" -- proto | grep '\.proto$' || true)" ]]; then
  echo "contract: buf breaking SKIPPED: $against_desc ($against_sha) has no proto/ yet"
else
  echo "contract: buf breaking against $against_desc ($against_sha)"
  buf breaking --against ".git#ref=${against_sha},subdir=proto"
fi

# --- docs/api.md ----------------------------------------------------------
echo "contract: docs/api.md is generated from proto/"
before="$(mktemp)"
trap 'rm -f "$before"' EXIT
if [[ -f docs/api.md ]]; then cp docs/api.md "$before"; fi
python3 scripts/gen-api-docs.py
if ! diff -u "$before" docs/api.md >/dev/null; then
  diff -u "$before" docs/api.md | head -40 || true
  echo "contract: docs/api.md was stale; it is regenerated now: review and commit it" >&2
  exit 1
fi
if git ls-files --error-unmatch docs/api.md >/dev/null 2>&1; then
  git diff --exit-code -- docs/api.md
elif [[ -n "${CI:-}" ]]; then
  echo "contract: docs/api.md is not committed (python3 scripts/gen-api-docs.py && git add docs/api.md)" >&2
  exit 1
else
  echo "contract: warning: docs/api.md is not committed yet"
fi
echo "contract: OK"
