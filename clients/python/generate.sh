#!/usr/bin/env bash
# Regenerates the Python protobuf/gRPC code in clients/python/claimdb/ from
# every .proto under proto/ (repository root) with grpcio-tools' bundled protoc.
# The output is committed; never edit it by hand (CI regenerates and diffs).
#
#   pip install -r requirements-dev.txt   # pins the grpcio-tools version
#   ./generate.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/claimdb"

rm -rf "$out"
mkdir -p "$out"
mapfile -t protos < <(cd "$root/proto" && find . -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)
if ((${#protos[@]} == 0)); then
  echo "generate.sh: no .proto files under $root/proto" >&2
  exit 1
fi
(cd "$root/proto" && python -m grpc_tools.protoc -I . \
  --python_out="$out/.." --pyi_out="$out/.." --grpc_python_out="$out/.." \
  "${protos[@]}")
# protoc emits modules, not packages: mark every generated directory as a
# package so that `import claimdb.v1.claim_pb2` works from an installed wheel.
find "$out" -type d | while read -r d; do
  : >"$d/__init__.py"
done
: >"$out/py.typed"
echo "generate.sh: generated $(find "$out" -name '*_pb2.py' | wc -l) modules from ${#protos[@]} .proto files into ${out#"$root"/}"
