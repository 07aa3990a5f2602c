#!/usr/bin/env bash
# Builds the web UI into web/dist/ (index.html, app.js, app.css), which the
# claimdb binary embeds (src/web.rs). Reproducible: pinned packages from
# package-lock.json (npm ci), code generated from ../proto, one esbuild run.
# `web/build.sh --check` rebuilds and fails if dist/ differs from what is
# committed (CI).
set -euo pipefail
cd "$(dirname "$0")"
check=false
[[ "${1:-}" == "--check" ]] && check=true

npm ci --no-audit --no-fund --loglevel=error
npx buf generate                       # proto/ -> src/gen (protoc-gen-es)
npx tsc -p .                           # type-check only
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npx esbuild src/main.ts --bundle --format=esm --target=es2022 --minify \
  --legal-comments=none --charset=utf8 --log-level=warning --outfile="$out/app.js"
npx esbuild src/style.css --minify --log-level=warning --outfile="$out/app.css"
version() { sha256sum "$1" | cut -c1-16; }
sed -e "s/%JS_VERSION%/$(version "$out/app.js")/" -e "s/%CSS_VERSION%/$(version "$out/app.css")/" \
  src/index.html > "$out/index.html"

if $check; then
  if ! diff -r "$out" dist >/dev/null; then
    echo "web/dist is stale: run web/build.sh and commit web/dist" >&2
    diff -r "$out" dist | head -5 >&2 || true
    exit 1
  fi
  echo "web/dist is current"
else
  mkdir -p dist
  cp "$out/index.html" "$out/app.js" "$out/app.css" dist/
  ls -l dist
fi
