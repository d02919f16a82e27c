#!/usr/bin/env bash
# The whole pipeline on a generated Common-Voice-layout corpus (espeak-ng voices), on CPU, with a
# tiny random wav2vec2 encoder, and the SSHR ablation: the plain-CTC baseline, +LID frame,
# +layer deletion, +Cross-CTC and full SSHR, trained with the same data, encoder, steps and seed,
# then decoded and scored; the table goes to recipes/synthetic/RESULTS.md.
# The encoder is random (no download, no network): the numbers show the pipeline and the
# ablation's shape, not what MMS-300M reaches (see recipes/commonvoice/ for that).
#
# Usage: recipes/synthetic/run.sh [options]
#
# Stages:
#   1  synth     sshr synth commonvoice WORK/corpus (espeak-ng; a pure function of --seed)
#   2  prepare   sshr prepare commonvoice ... --units phonemes --out WORK/data
#   3  encoder   the tiny encoder every row starts from: WORK/encoders/random (random transformer on
#                the fixed filterbank front end) and, when --encoders names it, WORK/encoders/pretrained
#                (the same encoder after wav2vec 2.0 self-supervised pretraining on the train audio,
#                local/pretrain.py)
#   4  finetune  every variant in --variants (recipes/synthetic/ablation/<variant>.yaml), per encoder
#                and training seed, --parallel runs at a time
#   5  decode    dev and test of every language with each run's best checkpoint (greedy)
#   6  score     PER per language -> WORK/<encoder>/<variant>/seed<N>/score_<split>/summary.json
#   7  results   the ablation table (mean over seeds, with the range) -> --results [recipes/synthetic/RESULTS.md]
#   8  push      the full SSHR run, as a dry run (prints the model card; nothing is sent)
#
# Options (defaults in brackets):
#   --stage N / --stop-stage M   run stages N..M [1 / 8]
#   --work DIR       everything generated goes here [exp/synthetic]
#   --langs LIST     comma-separated languages [en,de,fr,es]
#   --clips N        clips per language (train+dev+test) [100]
#   --seed N         corpus and encoder seed [0]
#   --seeds LIST     training seeds, one run per seed and row [0,1]
#   --encoders LIST  random and/or pretrained [random,pretrained]
#   --pretrain-steps N  self-supervised updates for the pretrained encoder [1500]
#   --variants LIST  ablation rows [baseline,lid,deletion,crossctc,sshr]
#   --max-steps N    optimizer updates per run [empty: the recipe's, recipes/synthetic/tiny.yaml]
#   --parallel N     finetune runs at a time, each with cores/N threads [2]
#   --jobs N         worker processes for synth/prepare [2]
#   --results FILE   where stage 7 writes the table [recipes/synthetic/RESULTS.md]
#   --sshr CMD       how to call sshr [sshr]
#   --python CMD     python with sshr installed, for stages 3 and 7 [python]
#   -h, --help       this text
#
# Every stage prints the exact command it runs (lines starting with "+"). sshr's steps resume by
# themselves, so re-running a stage after an interruption picks up where it stopped.
set -euo pipefail
stage=1
stop_stage=8
work=exp/synthetic
langs=en,de,fr,es
clips=100
seed=0
seeds=0,1
encoders=random,pretrained
pretrain_steps=1500
variants=baseline,lid,deletion,crossctc,sshr
max_steps=
parallel=2
jobs=2
sshr=sshr
python=python
recipe_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
results="$recipe_dir/RESULTS.md"
. "$recipe_dir/../utils/parse_options.sh"
[ $# -eq 0 ] || { echo "$0: unexpected argument $1 (see --help)" >&2; exit 2; }
IFS=, read -r -a lang_list <<< "$langs"
IFS=, read -r -a variant_list <<< "$variants"
IFS=, read -r -a seed_list <<< "$seeds"
IFS=, read -r -a encoder_list <<< "$encoders"
corpus="$work/corpus/cv-corpus-0.1-synthetic"
data="$work/data"
splits=(dev test)
threads=$(( $(nproc) / parallel )); [ "$threads" -ge 1 ] || threads=1

runs() {  # every run folder: WORK/<encoder>/<variant>/seed<N>
  for enc in "${encoder_list[@]}"; do for v in "${variant_list[@]}"; do for s in "${seed_list[@]}"; do
    echo "$enc $v $s"
  done; done; done
}

finetune_one() {  # finetune_one ENCODER VARIANT SEED: one run, its wall time kept from the first complete run
  local enc=$1 v=$2 s=$3 out="$work/$1/$2/seed$3" fresh=0 t0 t1
  [ -e "$out/last/trainer_state.pt" ] || [ -e "$out/train_seconds" ] || fresh=1
  mkdir -p "$out"
  t0=$(date +%s.%N)
  run env OMP_NUM_THREADS=$threads $sshr finetune --config "$recipe_dir/ablation/$v.yaml" --model "$work/encoders/$enc" \
    --data "$data" --langs "$langs" --out "$out" ${max_steps:+--max-steps "$max_steps"} --set "train.seed=$s" --no-progress \
    > "$out.log" 2>&1 || { echo "finetune $enc/$v/seed$s failed; see $out.log" >&2; return 1; }
  t1=$(date +%s.%N)
  [ "$fresh" -eq 0 ] || echo "$t0 $t1" | awk '{printf "%.1f\n", $2 - $1}' > "$out/train_seconds"
  grep -h "best dev" "$out.log" | sed "s|^|$enc/$v/seed$s: |" || true
}

if stage_on 1; then
  echo "== stage 1: generate a Common Voice layout corpus (${langs}, $clips clips each)"
  run $sshr synth commonvoice "$work/corpus" --langs "$langs" --clips "$clips" --seed "$seed" \
    --version 0.1-synthetic --jobs "$jobs"
fi

if stage_on 2; then
  echo "== stage 2: prepare it as phonemes"
  run $sshr prepare commonvoice "$corpus" --langs "$langs" --units phonemes --out "$data" --jobs "$jobs"
fi

if stage_on 3; then
  echo "== stage 3: the tiny encoders"
  run $sshr synth encoder "$work/encoders/random" --seed "$seed"
  if [[ ",$encoders," == *",pretrained,"* ]]; then
    run $python "$recipe_dir/local/pretrain.py" --data "$data" --encoder "$work/encoders/random" \
      --out "$work/encoders/pretrained" --steps "$pretrain_steps" --seed "$seed"
  fi
fi

if stage_on 4; then
  echo "== stage 4: finetune every row, $parallel at a time ($threads threads each); logs in $work/<encoder>/<variant>/seed<N>.log"
  # xargs runs them side by side; its children are ordinary processes, so Ctrl-C stops them all
  export -f finetune_one run
  export work threads sshr recipe_dir data langs max_steps
  runs | xargs -P "$parallel" -L 1 bash -c 'finetune_one "$@"' _ \
    || { echo "some finetune runs failed (see their logs)" >&2; exit 1; }
fi

if stage_on 5; then
  while read -r enc v s; do
    out="$work/$enc/$v/seed$s"
    mkdir -p "$out/decode"
    for split in "${splits[@]}"; do
      echo "== stage 5: decode $split with $enc/$v/seed$s"
      # one manifest for all languages, so that the score table has a row per language
      for lang in "${lang_list[@]}"; do cat "$data/$lang/$split.jsonl"; done > "$out/decode/$split.jsonl"
      run $sshr decode --model "$out/best" --manifest "$out/decode/$split.jsonl" \
        --out "$out/decode/$split.hyps.jsonl" --device cpu
    done
  done < <(runs)
fi

if stage_on 6; then
  while read -r enc v s; do
    for split in "${splits[@]}"; do
      echo "== stage 6: score $split with $enc/$v/seed$s (PER)"
      run $sshr score --hyp "$work/$enc/$v/seed$s/decode/$split.hyps.jsonl" --unit phone --split "$split" \
        --out-dir "$work/$enc/$v/seed$s/score_$split"
    done
  done < <(runs)
fi

if stage_on 7; then
  echo "== stage 7: the ablation table"
  run $python "$recipe_dir/local/results.py" --work "$work" --encoders "$encoders" --seeds "$seeds" \
    --variants "$variants" --langs "$langs" --clips "$clips" --seed "$seed" --out "$results"
fi

if stage_on 8; then
  echo "== stage 8: push the full SSHR run (dry run)"
  run $sshr push "$work/${encoder_list[0]}/sshr/seed${seed_list[0]}" --dry-run
fi
