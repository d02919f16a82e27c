#!/usr/bin/env bash
# ML-SUPERB (10 min and 1 h per language), character targets: fine-tune facebook/mms-300m as
# the plain-CTC baseline and as SSHR, then decode, score (CER per language) and push.
#
# Usage: recipes/mlsuperb/run.sh --corpus ML_SUPERB_ROOT [options]
#
# Stages (each runs once per setting in --settings):
#   1  prepare   sshr prepare mlsuperb CORPUS --setting S --units chars --out DATA_S
#   2  finetune  the baseline and SSHR recipes, one after the other, under torchrun
#   3  decode    every dev and test manifest with each run's best checkpoint (greedy)
#   4  score     CER per language -> EXP_S/<run>/score_<split>/summary.json
#   5  push      each run to the Hugging Face Hub (a dry run unless --push-repo is given)
#
# Options (defaults in brackets):
#   --stage N / --stop-stage M   run stages N..M [1 / 5]
#   --corpus DIR     ML-SUPERB root: <dataset>/<lang>/{wav/,transcript_*.txt} [required for stage 1]
#   --settings LIST  train sets: 10min, 1h or both [10min,1h]
#   --langs LIST     comma-separated ISO 639-3 codes [empty: every language found]
#   --few-shot B     true: the 20 few-shot languages keep their 5 listed utterances (the protocol) [true]
#   --data DIR       prepared data goes to DIR_<setting> [data/mlsuperb]
#   --exp DIR        run folders go to DIR_<setting>/<variant> [exp/mlsuperb]
#   --model ID|DIR   encoder to fine-tune [facebook/mms-300m]
#   --variants LIST  recipes under recipes/mlsuperb/ to train [baseline,sshr]
#   --nproc N        GPUs (torchrun processes) [all visible GPUs, else 1]
#   --max-steps N    override train.max_steps [empty: the recipe's]
#   --splits LIST    splits to decode and score [dev,test]
#   --push-repo ORG  push to ORG/<prefix>-<setting>-<variant> (real upload; needs a token)
#                    [empty: push --dry-run, which prints the card and file list only]
#   --push-prefix S  repo name prefix [mms-300m-mlsuperb]
#   --sshr CMD       how to call sshr [sshr]
#   -h, --help       this text
#
# Every stage prints the exact command it runs (lines starting with "+"). sshr's steps resume by
# themselves, so re-running a stage after an interruption picks up where it stopped.
set -euo pipefail

stage=1
stop_stage=5
corpus=
settings=10min,1h
langs=
few_shot=true
data=data/mlsuperb
exp=exp/mlsuperb
model=facebook/mms-300m
variants=baseline,sshr
nproc=$( (nvidia-smi -L 2>/dev/null || true) | grep -c '^GPU' || true)
[ "${nproc:-0}" -ge 1 ] || nproc=1
max_steps=
splits=dev,test
push_repo=
push_prefix=mms-300m-mlsuperb
sshr=sshr

recipe_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$recipe_dir/../utils/parse_options.sh"
[ $# -eq 0 ] || { echo "$0: unexpected argument $1 (see --help)" >&2; exit 2; }

IFS=, read -r -a setting_list <<< "$settings"
IFS=, read -r -a variant_list <<< "$variants"
IFS=, read -r -a split_list <<< "$splits"
steps_flag=()
[ -z "$max_steps" ] || steps_flag=(--max-steps "$max_steps")
langs_flag=()
[ -z "$langs" ] || langs_flag=(--langs "$langs")
case "$few_shot" in
  true) few_shot_flag=--few-shot ;;
  false) few_shot_flag=--no-few-shot ;;
  *) echo "$0: --few-shot must be true or false, got $few_shot" >&2; exit 2 ;;
esac

prepared_langs() {  # the languages stage 1 wrote: DATA/<lang>/<split>.jsonl
  local d
  for d in "$1"/*/; do if [ -f "$d/$2.jsonl" ]; then basename "$d"; fi; done
}

for s in "${setting_list[@]}"; do
  d="${data}_$s"
  e="${exp}_$s"
  if stage_on 1; then
    [ -n "$corpus" ] || { echo "$0: stage 1 needs --corpus ML_SUPERB_ROOT (see README.md)" >&2; exit 2; }
    echo "== stage 1: prepare ML-SUPERB $s as characters"
    run $sshr prepare mlsuperb "$corpus" --setting "$s" "$few_shot_flag" "${langs_flag[@]}" --units chars --out "$d"
  fi

  if stage_on 2; then
    for v in "${variant_list[@]}"; do
      echo "== stage 2: finetune $v ($s) on $nproc process(es)"
      run torchrun --standalone --nproc_per_node "$nproc" -m sshr_cli finetune \
        --config "$recipe_dir/$v.yaml" --data "$d" --out "$e/$v" --model "$model" \
        "${langs_flag[@]}" "${steps_flag[@]}" --no-progress
    done
  fi

  if stage_on 3; then
    for v in "${variant_list[@]}"; do
      for split in "${split_list[@]}"; do
        echo "== stage 3: decode $split with $v ($s)"
        mkdir -p "$e/$v/decode"
        # one manifest for all languages, so that the score table has a row per language
        for lang in $(prepared_langs "$d" "$split"); do cat "$d/$lang/$split.jsonl"; done > "$e/$v/decode/$split.jsonl"
        run $sshr decode --model "$e/$v/best" --manifest "$e/$v/decode/$split.jsonl" \
          --out "$e/$v/decode/$split.hyps.jsonl"
      done
    done
  fi

  if stage_on 4; then
    for v in "${variant_list[@]}"; do
      for split in "${split_list[@]}"; do
        echo "== stage 4: score $split with $v ($s, CER)"
        run $sshr score --hyp "$e/$v/decode/$split.hyps.jsonl" --unit char --split "$split" \
          --dataset "ml-superb-$s" --out-dir "$e/$v/score_$split"
      done
    done
  fi

  if stage_on 5; then
    for v in "${variant_list[@]}"; do
      if [ -n "$push_repo" ]; then
        echo "== stage 5: push $v ($s) to $push_repo/$push_prefix-$s-$v"
        run $sshr push "$e/$v" --repo "$push_repo/$push_prefix-$s-$v"
      else
        echo "== stage 5: push $v ($s) (dry run; give --push-repo ORG to upload)"
        run $sshr push "$e/$v" --dry-run
      fi
    done
  fi
done
