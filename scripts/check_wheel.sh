#!/usr/bin/env bash
# Builds the release abi3 wheel with maturin and proves it installs and imports in a clean venv.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
maturin build --release --quiet --out "$out/dist" >/dev/null
wheel=$(ls "$out"/dist/awpo-*.whl)
case "$wheel" in
  *-cp310-abi3-manylinux*) ;;
  *) echo "unexpected wheel tag: $wheel" >&2; exit 1 ;;
esac
python3 -m venv "$out/venv"
"$out/venv/bin/python" -m pip install -q "$wheel"
cd "$out"
"$out/venv/bin/python" -c 'import awpo, awpo._native as n; assert awpo.__version__ == n.__version__; print("wheel ok:", awpo.__version__)'
"$out/venv/bin/awpo" --version
