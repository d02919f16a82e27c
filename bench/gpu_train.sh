#!/usr/bin/env bash
# One GPU, at most ~8 minutes: MMS-300M-shaped random SSHR and plain-CTC baseline in bf16.
# Reports step time, audio-s/s, MFU (FLOPs counted by torch's FlopCounterMode) and peak memory
# for two batch sizes, then a short real `sshr finetune` on generated data to time the whole loop.
#   bash bench/gpu_train.sh            (from the repository root, on a machine with a CUDA GPU)
# Needs no network: the encoder weights are random, the corpus is generated with espeak-ng
# (the last part is skipped when espeak-ng is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
budget() { timeout --signal=INT "$@"; }

$PY -c 'import torch; assert torch.cuda.is_available(), "no CUDA GPU"; print(torch.cuda.get_device_name(), torch.__version__)'
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader || true

echo "== step time, MMS-300M shape, bf16, 96 s of audio per batch (8 x 12 s)"
budget 150 $PY bench/train_step.py --shape mms-300m --device cuda --precision bf16 --batch-seconds 96 --steps 10 --warmup 3
echo "== step time, MMS-300M shape, bf16, 192 s of audio per batch (16 x 12 s)"
budget 150 $PY bench/train_step.py --shape mms-300m --device cuda --precision bf16 --batch-seconds 192 --steps 10 --warmup 3

if command -v espeak-ng >/dev/null; then
  echo "== the whole loop: sshr finetune, tiny recipe on GPU (data loading, eval, checkpoints included)"
  tmp=$(mktemp -d)
  budget 120 $PY - "$tmp" <<'PY'
import sys
from pathlib import Path
sys.path.insert(0, "tests")
from helpers_train import write_prepared
from sshr_cli.data.synthetic import generate_commonvoice
root = generate_commonvoice(Path(sys.argv[1]) / "cv", ["en", "de"], clips_per_lang=20, seed=1)
write_prepared(root, Path(sys.argv[1]) / "data")
PY
  budget 120 $PY -m sshr_cli finetune --config synthetic/tiny --data "$tmp/data" --out "$tmp/exp" \
      --max-steps 60 --set train.precision=bf16 --no-progress
  $PY -c "import json,sys; rows=[json.loads(l) for l in open(sys.argv[1])]; t=[r for r in rows if r['split']=='train']; print('audio-s/s (last rows):', [round(r['audio_s_per_s'],1) for r in t[-3:]])" "$tmp/exp/metrics.jsonl"
  rm -rf "$tmp"
else
  echo "espeak-ng not installed: skipping the whole-loop run"
fi
