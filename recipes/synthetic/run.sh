#!/usr/bin/env bash
# The SSHR ablation on two generated tasks, on CPU, with tiny wav2vec2 encoders, with paired-bootstrap
# intervals and language-forced decoding; everything lands in recipes/synthetic/RESULTS.md.
#   espeak     a Common-Voice-layout corpus in --langs, espeak-ng voices per language, phoneme targets:
#              the control, where language identity is easy and no row needs a language frame
#   spellings  two spellings (xa, xb) of the same English speech, told apart only by the voice variant (male/female),
#              character targets (sshr synth spellings): the sound alone leaves the transcript ambiguous; the cue
#              is in every voiced frame
#   spellings-tone  the same, told apart only by a tone before the speech (sshr synth spellings --cue tone): no
#              frame of speech carries the cue, only context reaching back to the utterance's start
# Every row of --variants (recipes/synthetic/ablation/<variant>.yaml) is fine-tuned per task, encoder and
# training seed with the same data and steps; rows in --forced are also decoded with the language frame
# forced to the true language and to a wrong one (sshr decode --lang).
#
# Usage: recipes/synthetic/run.sh [options]
#
# Stages (per task in --tasks; T = WORK/<task>):
#   1  synth     sshr synth commonvoice|spellings [--cue tone] T/corpus (a pure function of --seed)
#   2  prepare   sshr prepare commonvoice ... --units phonemes|chars --out T/data
#   3  encoder   T/encoders/random, and T/encoders/pretrained when --encoders names it (local/pretrain.py)
#   4  finetune  every row, encoder and seed -> T/<encoder>/<variant>/seed<N>, --parallel at a time
#   5  decode    dev and test with each run's best checkpoint (greedy), --parallel runs at a time; rows in --forced also test with
#                --lang <true language> (test.forced-true) and --lang <the next language> (test.forced-wrong)
#   6  score     PER (espeak) or CER (spellings*) per language -> .../score_<split>/summary.json, --parallel at a time
#   7  results   per task: the ablation table (local/results.py) and the paired bootstrap
#                (local/bootstrap.py); for spellings*, which spelling each row writes (local/spelling.py);
#                RESULTS.md = PREDICTION.md + those -> --results
#   8  push      the first full SSHR run, as a dry run
#
# Options (defaults in brackets):
#   --quick true     a short end-to-end check: 1 seed, 30 clips, 2 espeak languages, 1200 updates, rows
#                    baseline,lid,sshr,sshr_paper (numbers from it are underpowered; they prove the pipeline)
#   --stage N / --stop-stage M   run stages N..M [1 / 8]
#   --work DIR       everything generated goes here [exp/synthetic]
#   --tasks LIST     espeak, spellings, spellings-tone [espeak,spellings,spellings-tone]
#   --langs LIST     espeak languages [en,de,fr,es] (spellings* is always xa,xb)
#   --clips N        clips per language (train+dev+test) [100]
#   --seed N         corpus and encoder seed [0]
#   --seeds LIST     training seeds [0,1,2,3,4]
#   --encoders LIST  random and/or pretrained [random]
#   --pretrain-steps N  self-supervised updates for the pretrained encoder [1500]
#   --variants LIST  ablation rows [baseline,lid,deletion,replace,crossctc,sshr,sshr_paper]
#   --forced LIST    rows also decoded with a forced language frame [lid,sshr,sshr_paper]
#   --splits LIST    splits stages 5-6 decode and score; forced decoding is always on test [dev,test]
#   --max-steps N    optimizer updates per run [empty: the recipe's, recipes/synthetic/tiny.yaml]
#   --parallel N     finetune runs at a time, each with cores/N threads [2]
#   --jobs N         worker processes for synth/prepare [2]
#   --results FILE   where stage 7 writes [recipes/synthetic/RESULTS.md]
#   --sshr CMD       how to call sshr [sshr]
#   --python CMD     python with sshr installed, for stages 3 and 7 [python]
#   -h, --help       this text
#
# Every stage prints the exact command it runs (lines starting with "+"). sshr's steps resume by
# themselves, so re-running a stage after an interruption picks up where it stopped.
set -euo pipefail
quick=false
stage=1
stop_stage=8
work=exp/synthetic
tasks=espeak,spellings,spellings-tone
langs=en,de,fr,es
clips=100
seed=0
seeds=0,1,2,3,4
encoders=random
pretrain_steps=1500
variants=baseline,lid,deletion,replace,crossctc,sshr,sshr_paper
forced=lid,sshr,sshr_paper
max_steps=
splits=dev,test
parallel=2
jobs=2
sshr=sshr
python=python
recipe_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
results="$recipe_dir/RESULTS.md"
. "$recipe_dir/../utils/parse_options.sh"
[ $# -eq 0 ] || { echo "$0: unexpected argument $1 (see --help)" >&2; exit 2; }
if [ "$quick" = true ]; then
  seeds=0; clips=30; langs=en,de; max_steps=1200; variants=baseline,lid,sshr,sshr_paper; forced=lid,sshr,sshr_paper
fi
IFS=, read -r -a task_list <<< "$tasks"
IFS=, read -r -a variant_list <<< "$variants"
IFS=, read -r -a seed_list <<< "$seeds"
IFS=, read -r -a encoder_list <<< "$encoders"
threads=$(( $(nproc) / parallel )); [ "$threads" -ge 1 ] || threads=1

is_spellings() { [[ $1 == spellings* ]]; }  # spellings, spellings-tone
task_langs() { is_spellings "$1" && echo xa,xb || echo "$langs"; }
task_units() { is_spellings "$1" && echo chars || echo phonemes; }
task_unit() { is_spellings "$1" && echo char || echo phone; }
task_metric() { is_spellings "$1" && echo CER || echo PER; }
task_corpus() { is_spellings "$1" && echo "spellings --cue $(task_cue "$1")" || echo commonvoice; }
task_cue() { [ "$1" = spellings-tone ] && echo tone || echo variant; }
is_forced() { [[ ",$forced," == *",$1,"* ]]; }

runs() {  # every run: TASK ENCODER VARIANT SEED
  for t in "${task_list[@]}"; do for enc in "${encoder_list[@]}"; do for v in "${variant_list[@]}"; do
    for s in "${seed_list[@]}"; do echo "$t $enc $v $s"; done
  done; done; done
}

finetune_one() {  # finetune_one TASK ENCODER VARIANT SEED: one run, its wall time kept from the first complete run
  local t=$1 enc=$2 v=$3 s=$4 out="$work/$1/$2/$3/seed$4" fresh=0 t0 t1
  [ -e "$out/last/trainer_state.pt" ] || [ -e "$out/train_seconds" ] || fresh=1
  mkdir -p "$out"
  t0=$(date +%s.%N)
  run env OMP_NUM_THREADS=$threads $sshr finetune --config "$recipe_dir/ablation/$v.yaml" --model "$work/$t/encoders/$enc" \
    --data "$work/$t/data" --out "$out" ${max_steps:+--max-steps "$max_steps"} --set "train.seed=$s" --no-progress \
    > "$out.log" 2>&1 || { echo "finetune $t/$enc/$v/seed$s failed; see $out.log" >&2; return 1; }
  t1=$(date +%s.%N)
  [ "$fresh" -eq 0 ] || echo "$t0 $t1" | awk '{printf "%.1f\n", $2 - $1}' > "$out/train_seconds"
  grep -h "best dev" "$out.log" | sed "s|^|$t/$enc/$v/seed$s: |" || true
}

decode_forced() {  # decode_forced RUN LANGS: test with the true language forced, then the next one (wrong)
  local out=$1 mode lang forced_lang i
  IFS=, read -r -a ls <<< "$2"
  for mode in forced-true forced-wrong; do
    : > "$out/decode/test.$mode.hyps.jsonl.part"
    for i in "${!ls[@]}"; do
      lang=${ls[$i]}; forced_lang=$lang
      [ "$mode" = forced-true ] || forced_lang=${ls[$(( (i + 1) % ${#ls[@]} ))]}
      run $sshr decode --model "$out/best" --manifest "$work/$t/data/$lang/test.jsonl" --lang "$forced_lang" \
        --out "$out/decode/test.$mode.$lang.hyps.jsonl" --device cpu
      cat "$out/decode/test.$mode.$lang.hyps.jsonl" >> "$out/decode/test.$mode.hyps.jsonl.part"
    done
    mv "$out/decode/test.$mode.hyps.jsonl.part" "$out/decode/test.$mode.hyps.jsonl"
  done
}

for t in "${task_list[@]}"; do
  T="$work/$t"
  if stage_on 1; then
    echo "== stage 1 ($t): generate the corpus"
    if is_spellings "$t"; then
      run $sshr synth spellings "$T/corpus" --clips "$clips" --seed "$seed" --cue "$(task_cue "$t")" \
        --version 0.1-synthetic --jobs "$jobs"
    else
      run $sshr synth commonvoice "$T/corpus" --langs "$langs" --clips "$clips" --seed "$seed" \
        --version 0.1-synthetic --jobs "$jobs"
    fi
  fi
  if stage_on 2; then
    echo "== stage 2 ($t): prepare it as $(task_units "$t")"
    run $sshr prepare commonvoice "$T/corpus/cv-corpus-0.1-synthetic" --langs "$(task_langs "$t")" \
      --units "$(task_units "$t")" --out "$T/data" --jobs "$jobs"
  fi
  if stage_on 3; then
    echo "== stage 3 ($t): the tiny encoders"
    run $sshr synth encoder "$T/encoders/random" --seed "$seed"
    if [[ ",$encoders," == *",pretrained,"* ]]; then
      run $python "$recipe_dir/local/pretrain.py" --data "$T/data" --encoder "$T/encoders/random" \
        --out "$T/encoders/pretrained" --steps "$pretrain_steps" --seed "$seed"
    fi
  fi
done

per_run() {  # per_run FUNCTION: FUNCTION TASK ENCODER VARIANT SEED for every run, --parallel at a time
  # xargs runs them side by side; its children are ordinary processes, so Ctrl-C stops them all
  export -f "$1" run task_langs task_unit is_forced decode_forced is_spellings
  export work threads sshr forced langs splits recipe_dir max_steps
  runs | xargs -P "$parallel" -L 1 bash -c 'set -eo pipefail; echo "== $0 $*"; OMP_NUM_THREADS=$threads '"$1"' "$@"' "$1"
}

if stage_on 4; then
  echo "== stage 4: finetune every row, $parallel at a time ($threads threads each); logs in $work/<task>/<encoder>/<variant>/seed<N>.log"
  per_run finetune_one || { echo "some finetune runs failed (see their logs)" >&2; exit 1; }
fi

decode_one() {  # decode_one TASK ENCODER VARIANT SEED: dev and test (greedy), and forced test for --forced rows
  local t=$1 out="$work/$1/$2/$3/seed$4" split lang
  IFS=, read -r -a ls <<< "$(task_langs "$t")"
  mkdir -p "$out/decode"
  for split in ${splits//,/ }; do
    # one manifest for all languages, so that the score table has a row per language
    for lang in "${ls[@]}"; do cat "$work/$t/data/$lang/$split.jsonl"; done > "$out/decode/$split.jsonl"
    run $sshr decode --model "$out/best" --manifest "$out/decode/$split.jsonl" \
      --out "$out/decode/$split.hyps.jsonl" --device cpu
  done
  if is_forced "$3"; then decode_forced "$out" "$(task_langs "$t")"; fi
}

score_one() {  # score_one TASK ENCODER VARIANT SEED: PER or CER of dev and test
  local out="$work/$1/$2/$3/seed$4" split
  for split in ${splits//,/ }; do
    run $sshr score --hyp "$out/decode/$split.hyps.jsonl" --unit "$(task_unit "$1")" \
      --split "$split" --out-dir "$out/score_$split"
  done
}

if stage_on 5; then
  echo "== stage 5: decode every run's best checkpoint, $parallel at a time"
  per_run decode_one || { echo "some decodes failed (see above)" >&2; exit 1; }
fi

if stage_on 6; then
  echo "== stage 6: score every run, $parallel at a time"
  per_run score_one || { echo "some scoring failed (see above)" >&2; exit 1; }
fi

if stage_on 7; then
  echo "== stage 7: the tables"
  rows=$variants
  for v in "${variant_list[@]}"; do is_forced "$v" && rows="$rows,$v@forced-true,$v@forced-wrong"; done
  parts=("$recipe_dir/PREDICTION.md")
  if [ "$quick" = true ]; then
    cat > "$work/quick_banner.md" <<BANNER
# Results of a QUICK run (--quick true): underpowered, a check of the pipeline only

Seeds $seeds, $clips clips per language, $max_steps updates per run, rows $variants. These numbers do
not test the prediction above; the full run (\`recipes/synthetic/run.sh\`: 5 seeds, 7 rows, the
recipe's 3000 updates) does. Its cost is estimated in recipes/synthetic/README.md.
BANNER
    parts+=("$work/quick_banner.md")
  fi
  cat > "$work/command.md" <<COMMAND
# The run below

Tables from the run folders, by \`recipes/synthetic/run.sh --stage 7 --tasks $tasks --langs $langs --clips $clips
--seed $seed --seeds $seeds --encoders $encoders --variants $variants --forced $forced${max_steps:+ --max-steps $max_steps}\`.
The same command without \`--stage 7\` runs every stage, resuming what exists; a row marked n/a has no
run folders yet, and that command fills it in.
COMMAND
  parts+=("$work/command.md")
  for t in "${task_list[@]}"; do
    for enc in "${encoder_list[@]}"; do
      run $python "$recipe_dir/local/bootstrap.py" --runs "$work/$t/$enc" --seeds "$seeds" --rows "$rows" \
        --unit "$(task_unit "$t")" --out "$work/$t/$enc/bootstrap.md"
      { echo "# Task: $t, encoder: $enc"; echo
        echo "Test error, pooled over seeds $seeds; paired bootstrap (2000 draws) over (seed, utterance) pairs."
        echo "Plain rows against the baseline; VARIANT@forced-* rows against VARIANT's free decoding."; echo
        cat "$work/$t/$enc/bootstrap.md"; echo; } > "$work/$t/$enc/section.md"
      if is_spellings "$t"; then  # the direct test: which language's spelling does each row write?
        run $python "$recipe_dir/local/spelling.py" --runs "$work/$t/$enc" --seeds "$seeds" --rows "$rows" \
          --out "$work/$t/$enc/spelling.md"
        { echo "Which spelling each row writes (local/spelling.py): test hypotheses scored against their own"
          echo "language's spelling and against the other's; margin = (errors against the other - against its own)"
          echo "/ reference length. About 0: the row cannot tell xa from xb. Negative: it writes the other"
          echo "language's spelling (a model that follows a wrong forced frame)."; echo
          cat "$work/$t/$enc/spelling.md"; echo; } >> "$work/$t/$enc/section.md"
      fi
      parts+=("$work/$t/$enc/section.md")
    done
    run $python "$recipe_dir/local/results.py" --work "$work/$t" --encoders "$encoders" --seeds "$seeds" \
      --variants "$variants" --langs "$(task_langs "$t")" --clips "$clips" --seed "$seed" --metric "$(task_metric "$t")" \
      --corpus "$(task_corpus "$t")" --out "$work/$t/ablation.md"
    parts+=("$work/$t/ablation.md")
  done
  { for p in "${parts[@]}"; do cat "$p"; echo; done; } > "$results.tmp" && mv "$results.tmp" "$results"
  echo "wrote $results"
fi

if stage_on 8; then
  echo "== stage 8: push the full SSHR run (dry run)"
  run $sshr push "$work/${task_list[0]}/${encoder_list[0]}/sshr/seed${seed_list[0]}" --dry-run
fi
