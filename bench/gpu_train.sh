#!/usr/bin/env bash
# One GPU, at most ~8 minutes: MMS-300M-shaped random SSHR and plain-CTC baseline in bf16.
# Reports step time, audio-s/s, MFU (FLOPs counted by torch's FlopCounterMode) and peak memory
# for two batch sizes, then a short real `sshr finetune` on generated data to time the whole loop.
#   bash bench/gpu_train.sh            (from the repository root, on a machine with a CUDA GPU)
# Needs no network: the encoder weights are random, the corpus is generated with espeak-ng
# (the last part needs $SSHR_BENCH_DATA or espeak-ng).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
budget() { timeout --signal=INT "$@"; }
parts=" ${GPU_TRAIN_PARTS:-step loop hf} "  # which parts to run: step (train_step.py), loop (sshr finetune), hf (vs HF Trainer)
want() { [[ "$parts" == *" $1 "* ]]; }

$PY -c 'import torch; assert torch.cuda.is_available(), "no CUDA GPU"; print(torch.cuda.get_device_name(), torch.__version__)'
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader || true

if want step; then
  echo "== step time, MMS-300M shape, bf16, 96 s of audio per batch (8 x 12 s)"
  budget 150 $PY bench/train_step.py --shape mms-300m --device cuda --precision bf16 --batch-seconds 96 --steps 10 --warmup 3
  echo "== step time, MMS-300M shape, bf16, 192 s of audio per batch (16 x 12 s)"
  budget 150 $PY bench/train_step.py --shape mms-300m --device cuda --precision bf16 --batch-seconds 192 --steps 10 --warmup 3
fi

# The whole loop on the MMS-300M shape: `sshr finetune` (data loading, bf16, the optimiser, logging)
# for SSHR and the baseline. Data: $SSHR_BENCH_DATA (a prepared folder, e.g. one made here and
# carried over) or a corpus generated with espeak-ng; skipped when neither is available.
data=${SSHR_BENCH_DATA:-}
tmp=$(mktemp -d)
if [ -z "$data" ] && command -v espeak-ng >/dev/null; then
  $PY -m sshr_cli synth commonvoice "$tmp/corpora" --langs en,de,fr,es --clips 30 --seed 0 >/dev/null
  $PY -m sshr_cli prepare commonvoice "$tmp/corpora/cv-corpus-0.1-synthetic" --out "$tmp/data" >/dev/null
  data=$tmp/data
fi
if [ -n "$data" ]; then
  $PY -c "import sys; from sshr_cli.model.tiny import save_tiny_encoder, MMS_300M_ENCODER as M; save_tiny_encoder(sys.argv[1], **M)" "$tmp/mms300m"
  for arch in baseline sshr; do
    want loop || continue
    echo "== the whole loop: sshr finetune commonvoice/$arch, MMS-300M shape (random), bf16, 96 s batches, ${FINETUNE_STEPS:-40} updates"
    budget 150 $PY -m sshr_cli finetune --config "commonvoice/$arch" --data "$data" --model "$tmp/mms300m" \
        --out "$tmp/exp_$arch" --max-steps "${FINETUNE_STEPS:-40}" --no-progress \
        --set train.precision=bf16 --set train.freeze_encoder_steps=0 --set train.eval_every=100000 \
        --set train.log_every=10 --set data.max_batch_seconds=96 --set data.num_workers=8 || echo "(finetune $arch did not finish)"
    [ ! -f "$tmp/exp_$arch/metrics.jsonl" ] || $PY - "$tmp/exp_$arch/metrics.jsonl" "$arch" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"train"' in l]
last = [r["audio_s_per_s"] for r in rows[1:]] or [r["audio_s_per_s"] for r in rows]
rate = sum(last) / len(last)
wait = [r.get("data_wait", float("nan")) for r in rows[1:]] or [float("nan")]
print(f"LOOP finetune arch={sys.argv[2]} audio_s_per_s={rate:.1f} rows={len(last)} padding={rows[-1]['padding']:.3f} "
      f"data_wait={sum(wait) / len(wait):.2f}")
PY
  done
  if want hf; then
    echo "== sshr finetune vs HF Trainer + Wav2Vec2ForCTC, MMS-300M shape (random), bf16, audio decoded up front"
    budget 240 $PY bench/train_vs_hf.py --data "$data" --device cuda --encoder "$tmp/mms300m" --batch-seconds 96 \
        --epochs "${HF_EPOCHS:-8}" || echo "(train_vs_hf did not finish)"
  fi
else
  echo "no prepared data (set SSHR_BENCH_DATA) and no espeak-ng: skipping the whole-loop run"
fi
rm -rf "$tmp"
