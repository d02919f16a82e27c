#!/usr/bin/env bash
# One GPU benchmark, at most 8 minutes in all: MMS-300M-shaped random SSHR and the plain-CTC
# baseline in bf16 (facebook/mms-300m's architecture with random weights; no download).
#
# Usage: [SSHR_BENCH_DATA=prepared/] bash bench/gpu.sh [--tiny]
#   SSHR_BENCH_DATA  a prepared folder to read clips from, for machines without espeak-ng
#   --tiny   tiny encoder on CPU, fp32, well under a minute: checks that the script works
#
# Parts, each under its own time limit, in this order:
#   1  greedy decode RTF, SSHR and baseline: bench/_gpu_decode.py (forward + argmax, bf16)
#   2  greedy decode through sshr's own path vs the transformers pipeline: bench/decode_greedy.py
#      --arch mms300m (when that script exists)
#   3  training: bench/gpu_train.sh (the finetune developer's; not duplicated here): step time,
#      audio-s/s, MFU (FLOPs counted by torch's FlopCounterMode) and peak memory
#      (torch.cuda.max_memory_allocated) per arch, the SSHR/baseline ratio, and a short real
#      `sshr finetune` run. It gets whatever is left of the 8 minutes.
# With --tiny, part 3 runs bench/train_step.py's CPU defaults instead (gpu_train.sh needs CUDA).
set -euo pipefail

budget_s=480
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${PYTHON:-python}
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
tiny=0
case "${1:-}" in
  -h|--help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
  --tiny) tiny=1 ;;
  "") ;;
  *) echo "$0: unknown option $1 (see --help)" >&2; exit 2 ;;
esac
start=$(date +%s)
left() { echo $(( budget_s - ($(date +%s) - start) )); }
part() {  # part SECONDS COMMAND...: run with a time limit, print the command; a failure is reported, not fatal
  local limit=$1; shift
  echo "+ $*" >&2
  timeout --signal=INT "$limit" "$@" || echo "(exit $? from: $*)" >&2
}

if [ "$tiny" -eq 1 ]; then
  part 120 "$python" "$root/bench/_gpu_decode.py" --tiny
  [ ! -f "$root/bench/train_step.py" ] || part 120 "$python" "$root/bench/train_step.py"
  exit 0
fi

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
echo "== 1. greedy decode RTF (random MMS-300M shape, bf16)"
part 100 "$python" "$root/bench/_gpu_decode.py"
if [ -f "$root/bench/decode_greedy.py" ]; then
  echo "== 2. sshr decode vs transformers pipeline (MMS-300M shape)"
  part 80 "$python" "$root/bench/decode_greedy.py" --device cuda --arch mms300m --clips 40 --repeats 2 \
      ${SSHR_BENCH_DATA:+--data "$SSHR_BENCH_DATA"}
fi
if [ -f "$root/bench/gpu_train.sh" ]; then
  echo "== 3. training (bench/gpu_train.sh, $(left) s left)"
  part "$(left)" bash "$root/bench/gpu_train.sh"
else
  echo "bench/gpu_train.sh not found: no training figures (it comes with the finetune branch)" >&2
fi
echo "gpu.sh took $(( $(date +%s) - start )) s"
