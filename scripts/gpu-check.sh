#!/usr/bin/env bash
# The project's GPU figures, in one run on a machine with an NVIDIA GPU; safe on any machine (what it cannot do, it
# skips and says why). Writes bench-results/gpu/*.json and bench-results/gpu/summary.json:
#   1. the worker's bench on CUDA: EP and dense-equivalent step time, EP/dense (bf16 autocast, channels_last);
#   2. the worker's tests with the GPU visible;
#   3. a 2-rank torchrun of the worker's tests if two GPUs are present;
#   4. the engine's WebGPU bench in Node (Dawn on the vendor's Vulkan driver) where Node and node_modules are present.
# Usage: bash scripts/gpu-check.sh        (PYTHON=... to pick the interpreter; it needs torch, websockets, jsonschema)
set -uo pipefail
cd "$(dirname "$0")/.."

OUT=bench-results/gpu
mkdir -p "$OUT"
# The first interpreter with torch: $PYTHON, else python3 on the PATH (a GPU image's), else Debian's.
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c 'import torch' 2>/dev/null; then PY=$candidate; break; fi
  done
  PY="${PY:-python3}"
fi
export PYTHONPATH="worker${PYTHONPATH:+:$PYTHONPATH}"
declare -a DONE=() SKIPPED=()
done_() { DONE+=("$1"); echo "== done: $1"; }
skip() { SKIPPED+=("$1: $2"); echo "== skipped: $1 ($2)"; }

echo "== machine: $(uname -srm), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
GPUS=0
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/nvidia-smi.txt"
  GPUS=$(nvidia-smi --list-gpus | wc -l)
fi

# What a bare GPU image may lack: the worker's own dependencies (docs/worker.md, "On a GPU machine").
if ! "$PY" -c 'import torch' 2>/dev/null; then
  skip "everything in Python" "$PY has no torch"
  PY_OK=0
else
  PY_OK=1
  missing=$("$PY" -c 'import importlib.util as u; print(" ".join(m for m in ("websockets", "jsonschema", "pytest") if u.find_spec(m) is None))')
  if [ -n "$missing" ]; then
    echo "== installing what the worker needs: $missing"
    "$PY" -m pip install --quiet $missing || skip "pip install $missing" "no package index reachable; the tests that need them are skipped"
  fi
  "$PY" -c 'import torch; print("== torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())'
fi
CUDA=0
if [ "$PY_OK" = 1 ] && "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then CUDA=1; fi

# 1. The worker's bench on CUDA.
if [ "$CUDA" = 1 ]; then
  for spec in "resnet20 1.0 128" "resnet18 1.0 128" "resnet20 0.5 256"; do
    set -- $spec
    if "$PY" -m supermask_worker bench --device cuda --model "$1" --width "$2" --batch "$3" --steps 20 --warmup 5 \
      --out "$OUT/worker-bench-$1-w$2-b$3.json"; then
      done_ "worker bench $1 width $2 batch $3 on CUDA"
    else
      skip "worker bench $1 width $2 batch $3" "it failed (output above)"
    fi
  done
else
  skip "worker bench on CUDA" "no CUDA device (torch.cuda.is_available() is false or torch is missing)"
fi

# 2. The worker's tests with the GPU visible (they pick their device as a user's run would).
if [ "$PY_OK" = 1 ] && "$PY" -c 'import pytest, websockets, jsonschema' 2>/dev/null; then
  if "$PY" -m pytest -q -x worker/tests/test_bench.py worker/tests/test_golden.py worker/tests/test_methods.py \
    2>&1 | tee "$OUT/worker-tests.txt" | tail -3; then
    done_ "worker tests (bench, golden, methods)"
  else
    skip "worker tests" "they failed (bench-results/gpu/worker-tests.txt)"
  fi
else
  skip "worker tests" "pytest, websockets or jsonschema missing"
fi

# 3. Two ranks under torchrun.
if [ "$CUDA" = 1 ] && [ "$GPUS" -ge 2 ]; then
  if "$PY" -m pytest -q -x worker/tests/test_torchrun.py 2>&1 | tee "$OUT/torchrun.txt" | tail -3; then
    done_ "2-rank torchrun"
  else
    skip "2-rank torchrun" "it failed (bench-results/gpu/torchrun.txt)"
  fi
else
  skip "2-rank torchrun" "fewer than two GPUs ($GPUS)"
fi

# 4. WebGPU in Node, through Dawn.
if command -v node >/dev/null 2>&1 && [ -d node_modules/webgpu ]; then
  # Without a GPU Dawn runs on SwiftShader (software): a small net, to show the path works, not to time it.
  size=(--ep-models conv4,resnet20 --steps 5)
  [ "$GPUS" -ge 1 ] || size=(--ep-models resnet20 --width 0.125 --batch 16 --steps 1)
  if npx tsx scripts/bench.ts --suite ep-dense --backends webgpu "${size[@]}" \
    --ep-out "$OUT/node-webgpu-ep-dense.json"; then
    done_ "Node WebGPU bench"
  else
    skip "Node WebGPU bench" "it failed (no Vulkan adapter, or see above)"
  fi
else
  skip "Node WebGPU bench" "no node or no node_modules here (run npm ci first)"
fi

{
  echo "{"
  echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
  echo "  \"host\": \"$(uname -srm)\","
  echo "  \"gpus\": $GPUS,"
  printf '  "done": ['; first=1; for d in "${DONE[@]+"${DONE[@]}"}"; do [ $first = 1 ] || printf ', '; printf '"%s"' "$d"; first=0; done; echo '],'
  printf '  "skipped": ['; first=1; for s in "${SKIPPED[@]+"${SKIPPED[@]}"}"; do [ $first = 1 ] || printf ', '; printf '"%s"' "${s//\"/\'}"; first=0; done; echo ']'
  echo "}"
} > "$OUT/summary.json"
echo "== summary: $OUT/summary.json"
cat "$OUT/summary.json"
