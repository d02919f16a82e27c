#!/usr/bin/env bash
# One GPU benchmark, at most 8 minutes: MMS-300M-shaped random SSHR and the plain-CTC baseline in
# bf16 (no download; the architecture of facebook/mms-300m with random weights). Reports step
# time, audio-s/s, MFU (6 * trainable non-conv params * encoder frames / step time / peak bf16
# FLOP/s), peak memory (torch.cuda.max_memory_allocated) and greedy decode RTF, then the
# SSHR/baseline step-cost ratio as a RESULT line (bench/run_all.py's convention).
#
# Usage: bash bench/gpu.sh [--tiny] [options of bench/_gpu.py: --batch 8 --seconds 15 --steps 10 ...]
#   --tiny   a 4-layer encoder on CPU in fp32, seconds long: checks that the script works
# If bench/gpu_train.sh exists (the finetune developer's end-to-end training bench), it runs
# afterwards within the same 8-minute budget.
set -euo pipefail

budget_s=480
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${PYTHON:-python}
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"

case "${1:-}" in -h|--help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;; esac

start=$(date +%s)
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
echo "+ $python bench/_gpu.py $*" >&2
timeout "$budget_s" "$python" "$root/bench/_gpu.py" "$@"

left=$(( budget_s - ($(date +%s) - start) ))
if [ -f "$root/bench/gpu_train.sh" ] && [ "$left" -gt 30 ]; then
  echo "+ bash bench/gpu_train.sh (${left} s left)" >&2
  timeout "$left" bash "$root/bench/gpu_train.sh"
fi
