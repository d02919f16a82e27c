#!/usr/bin/env bash
# Set everything up (system packages, .venv, Python packages), then run one thing:
#   bash scripts/setup.sh demo [sshr demo flags]   the whole pipeline on a generated corpus
#   bash scripts/setup.sh test [pytest flags]      the full test suite (what CI runs)
#   bash scripts/setup.sh env                      set up only
# Re-running is cheap: packages are reinstalled only when pyproject.toml, constraints.txt
# or this script change.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(espeak-ng g++ sctk)  # espeak-ng: generated corpora and phonemes; g++: kenlm builds from source;
# sctk: NIST sclite, which `sshr score --sclite` runs beside its own counts

ensure_system_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "sshr setup: installing system packages: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "sshr setup: missing system packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
}

ensure_venv() {
  local py=${PYTHON:-python3}
  [ -x .venv/bin/python ] || "$py" -m venv .venv
  local want
  want=$(cat pyproject.toml constraints.txt scripts/setup.sh | sha256sum | cut -c1-16)
  [ "$(cat .venv/.sshr-installed 2>/dev/null)" = "$want" ] && return 0
  echo "sshr setup: installing Python packages into .venv (first run: a few minutes)" >&2
  .venv/bin/python -m pip install -q -U pip
  .venv/bin/python -m pip install -q -c constraints.txt -e '.[all,dev]'
  # pyctcdecode 0.5.0 declares numpy<2 but runs on numpy 2: install it without its pins
  # (its real needs, pygtrie and kenlm, come with the `lm` extra). See README, Dependencies.
  .venv/bin/python -m pip install -q -c constraints.txt --no-deps pyctcdecode
  echo "$want" > .venv/.sshr-installed
}

ensure_system_packages
ensure_venv
what=${1:-env}
[ $# -gt 0 ] && shift
case "$what" in
  demo) exec .venv/bin/sshr demo "$@" ;;
  test) exec .venv/bin/python -m pytest "$@" ;;
  env) echo "sshr setup: ready; activate with: source .venv/bin/activate" >&2 ;;
  *) echo "usage: bash scripts/setup.sh [demo|test|env] [args...]" >&2; exit 2 ;;
esac
