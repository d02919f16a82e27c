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
#   3  encoder   a random tiny encoder in HF format (WORK/encoders/random), the one every row starts from
#                (self-supervised pretraining of it is not part of the recipe yet)
#   4  finetune  every variant in --variants (recipes/synthetic/ablation/<variant>.yaml), per encoder
#   5  decode    dev and test of every language with each run's best checkpoint (greedy)
#   6  score     PER per language -> WORK/<encoder>/<variant>/score_<split>/summary.json
#   7  results   the ablation table -> --results [recipes/synthetic/RESULTS.md]
#   8  push      the full SSHR run, as a dry run (prints the model card; nothing is sent)
#
# Options (defaults in brackets):
#   --stage N / --stop-stage M   run stages N..M [1 / 8]
#   --work DIR       everything generated goes here [exp/synthetic]
#   --langs LIST     comma-separated languages [en,de,fr,es]
#   --clips N        clips per language (train+dev+test) [60]
#   --seed N         corpus, encoder and training seed [0]
#   --variants LIST  ablation rows [baseline,lid,deletion,crossctc,sshr]
#   --max-steps N    optimizer updates per run [empty: the recipe's, recipes/synthetic/tiny.yaml]
#   --jobs N         worker processes for synth/prepare [2]
#   --results FILE   where stage 7 writes the table [recipes/synthetic/RESULTS.md]
#   --sshr CMD       how to call sshr [sshr]
#   --python CMD     python with sshr installed, for stage 7 [python]
#   -h, --help       this text
#
# Every stage prints the exact command it runs (lines starting with "+"). sshr's steps resume by
# themselves, so re-running a stage after an interruption picks up where it stopped.
set -euo pipefail

stage=1
stop_stage=8
work=exp/synthetic
langs=en,de,fr,es
clips=60
seed=0
variants=baseline,lid,deletion,crossctc,sshr
max_steps=
jobs=2
sshr=sshr
python=python

recipe_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
results="$recipe_dir/RESULTS.md"
. "$recipe_dir/../utils/parse_options.sh"
[ $# -eq 0 ] || { echo "$0: unexpected argument $1 (see --help)" >&2; exit 2; }

IFS=, read -r -a lang_list <<< "$langs"
IFS=, read -r -a variant_list <<< "$variants"
steps_flag=()
[ -z "$max_steps" ] || steps_flag=(--max-steps "$max_steps")
encoders=(random)  # a self-supervised "pretrained" encoder would be a second entry
corpus="$work/corpus/cv-corpus-0.1-synthetic"
data="$work/data"
splits=(dev test)

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
  echo "== stage 3: the tiny random encoder"
  run $sshr synth encoder "$work/encoders/random" --seed "$seed"
fi

if stage_on 4; then
  for enc in "${encoders[@]}"; do
    for v in "${variant_list[@]}"; do
      out="$work/$enc/$v"
      echo "== stage 4: finetune $v from the $enc encoder"
      fresh=0
      [ -e "$out/last/trainer_state.pt" ] || [ -e "$out/train_seconds" ] || fresh=1
      t0=$(date +%s.%N)
      run $sshr finetune --config "$recipe_dir/ablation/$v.yaml" --model "$work/encoders/$enc" \
        --data "$data" --langs "$langs" --out "$out" "${steps_flag[@]}" --no-progress
      t1=$(date +%s.%N)
      # wall-clock training time, kept from the first complete run (a no-op re-run would read ~0 s)
      [ "$fresh" -eq 0 ] || echo "$t0 $t1" | awk '{printf "%.1f\n", $2 - $1}' > "$out/train_seconds"
    done
  done
fi

if stage_on 5; then
  for enc in "${encoders[@]}"; do
    for v in "${variant_list[@]}"; do
      out="$work/$enc/$v"
      mkdir -p "$out/decode"
      for split in "${splits[@]}"; do
        echo "== stage 5: decode $split with $enc/$v"
        # one manifest for all languages, so that the score table has a row per language
        for lang in "${lang_list[@]}"; do cat "$data/$lang/$split.jsonl"; done > "$out/decode/$split.jsonl"
        run $sshr decode --model "$out/best" --manifest "$out/decode/$split.jsonl" \
          --out "$out/decode/$split.hyps.jsonl" --device cpu
      done
    done
  done
fi

if stage_on 6; then
  for enc in "${encoders[@]}"; do
    for v in "${variant_list[@]}"; do
      for split in "${splits[@]}"; do
        echo "== stage 6: score $split with $enc/$v (PER)"
        run $sshr score --hyp "$work/$enc/$v/decode/$split.hyps.jsonl" --unit phone --split "$split" \
          --out-dir "$work/$enc/$v/score_$split"
      done
    done
  done
fi

if stage_on 7; then
  echo "== stage 7: the ablation table"
  run $python "$recipe_dir/local/results.py" --work "$work" --encoders "$(IFS=,; echo "${encoders[*]}")" \
    --variants "$variants" --langs "$langs" --clips "$clips" --seed "$seed" --out "$results"
fi

if stage_on 8; then
  echo "== stage 8: push the full SSHR run (dry run)"
  run $sshr push "$work/random/sshr" --dry-run
fi
