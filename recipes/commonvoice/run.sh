#!/usr/bin/env bash
# Common Voice, phoneme targets: fine-tune facebook/mms-300m as the plain-CTC baseline and as
# SSHR (arXiv 2309.16937), then decode, score (PER per language) and push.
#
# Usage: recipes/commonvoice/run.sh [options]      (from the repository root or anywhere)
#
# Stages:
#   1  prepare   sshr prepare commonvoice CORPUS --langs ... --units phonemes --out DATA
#   2  finetune  the baseline and SSHR recipes, one after the other, under torchrun
#   3  decode    every test (and dev) manifest with each run's best checkpoint (greedy)
#   4  score     PER per language -> EXP/<run>/score_<split>/summary.json
#   5  push      each run to the Hugging Face Hub (a dry run unless --push-repo is given)
#
# Options (defaults in brackets):
#   --stage N / --stop-stage M   run stages N..M [1 / 5]
#   --corpus DIR     extracted cv-corpus-*/ release [empty: sshr's own lookup: $SSHR_COMMONVOICE_DIR,
#                    sshr.toml, ./cv-corpus-*, ~/data/cv-corpus-*; the newest wins]
#   --langs LIST     comma-separated locales [en,de,fr,es,it,nl,pl,sv]
#   --data DIR       prepared data [data/commonvoice]
#   --exp DIR        run folders go to EXP/baseline and EXP/sshr [exp/commonvoice]
#   --model ID|DIR   encoder to fine-tune [facebook/mms-300m]
#   --variants LIST  recipes under recipes/commonvoice/ to train [baseline,sshr]
#   --nproc N        GPUs (torchrun processes) [all visible GPUs, else 1]
#   --max-steps N    override train.max_steps [empty: the recipe's]
#   --splits LIST    splits to decode and score [dev,test]
#   --push-repo ORG  push EXP/<variant> to ORG/<prefix>-<variant> (real upload; needs a token)
#                    [empty: push --dry-run, which prints the card and file list only]
#   --push-prefix S  repo name prefix [mms-300m-commonvoice-phonemes]
#   --sshr CMD       how to call sshr [sshr]
#   -h, --help       this text
#
# Every stage prints the exact command it runs (lines starting with "+"). sshr's steps resume by
# themselves (prepare skips up-to-date languages, finetune continues EXP/<run>/last/), so
# re-running a stage after an interruption picks up where it stopped.
set -euo pipefail

stage=1
stop_stage=5
corpus=
langs=en,de,fr,es,it,nl,pl,sv
data=data/commonvoice
exp=exp/commonvoice
model=facebook/mms-300m
variants=baseline,sshr
nproc=$( (nvidia-smi -L 2>/dev/null || true) | grep -c '^GPU' || true)
[ "${nproc:-0}" -ge 1 ] || nproc=1
max_steps=
splits=dev,test
push_repo=
push_prefix=mms-300m-commonvoice-phonemes
sshr=sshr

recipe_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$recipe_dir/../utils/parse_options.sh"
[ $# -eq 0 ] || { echo "$0: unexpected argument $1 (see --help)" >&2; exit 2; }

IFS=, read -r -a lang_list <<< "$langs"
IFS=, read -r -a variant_list <<< "$variants"
IFS=, read -r -a split_list <<< "$splits"
steps_flag=()
[ -z "$max_steps" ] || steps_flag=(--max-steps "$max_steps")

if stage_on 1; then
  echo "== stage 1: prepare Common Voice (${langs}) as phonemes"
  corpus_arg=()
  [ -z "$corpus" ] || corpus_arg=("$corpus")
  run $sshr prepare commonvoice "${corpus_arg[@]}" --langs "$langs" --units phonemes --out "$data"
fi

if stage_on 2; then
  for v in "${variant_list[@]}"; do
    echo "== stage 2: finetune $v on $nproc process(es)"
    run torchrun --standalone --nproc_per_node "$nproc" -m sshr_cli finetune \
      --config "$recipe_dir/$v.yaml" --data "$data" --out "$exp/$v" --model "$model" \
      --langs "$langs" "${steps_flag[@]}" --no-progress
  done
fi

if stage_on 3; then
  for v in "${variant_list[@]}"; do
    for split in "${split_list[@]}"; do
      echo "== stage 3: decode $split with $v"
      mkdir -p "$exp/$v/decode"
      # one manifest for all languages, so that the score table has a row per language
      for lang in "${lang_list[@]}"; do cat "$data/$lang/$split.jsonl"; done > "$exp/$v/decode/$split.jsonl"
      run $sshr decode --model "$exp/$v/best" --manifest "$exp/$v/decode/$split.jsonl" \
        --out "$exp/$v/decode/$split.hyps.jsonl"
    done
  done
fi

if stage_on 4; then
  for v in "${variant_list[@]}"; do
    for split in "${split_list[@]}"; do
      echo "== stage 4: score $split with $v (PER)"
      run $sshr score --hyp "$exp/$v/decode/$split.hyps.jsonl" --unit phone --split "$split" \
        --out-dir "$exp/$v/score_$split"
    done
  done
fi

if stage_on 5; then
  for v in "${variant_list[@]}"; do
    if [ -n "$push_repo" ]; then
      echo "== stage 5: push $v to $push_repo/$push_prefix-$v"
      run $sshr push "$exp/$v" --repo "$push_repo/$push_prefix-$v"
    else
      echo "== stage 5: push $v (dry run; give --push-repo ORG to upload)"
      run $sshr push "$exp/$v" --dry-run
    fi
  done
fi
