# Shared by the recipes' run.sh (source it after setting the defaults): turns the script's
# `--some-name VALUE` and `--some-name=VALUE` arguments into `some_name=VALUE` for variables the
# script already defines, and prints the script's header comment for -h/--help. An unknown
# option is a one-line error. Arguments after the options stay in "$@".
#
# It also defines `run`, which prints a command (shell-quoted, copy-pasteable) and runs it.

while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help)
      # the comment block after the shebang, without the leading "# "
      sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
      exit 0 ;;
    --*=*) _po_name="${1%%=*}"; _po_value="${1#*=}"; shift ;;
    --*)
      if [ $# -lt 2 ]; then echo "$0: option $1 needs a value (see --help)" >&2; exit 2; fi
      _po_name="$1"; _po_value="$2"; shift 2 ;;
    *) break ;;
  esac
  _po_var="${_po_name#--}"
  _po_var="${_po_var//-/_}"
  if [[ ! "$_po_var" =~ ^[a-z][a-z0-9_]*$ ]] || ! declare -p "$_po_var" >/dev/null 2>&1; then
    echo "$0: unknown option $_po_name (see --help)" >&2
    exit 2
  fi
  printf -v "$_po_var" '%s' "$_po_value"
done
unset _po_name _po_value _po_var

run() {
  # print the exact command, then run it; `set -e` in the caller stops the recipe on failure
  printf '+' >&2
  printf ' %q' "$@" >&2
  printf '\n' >&2
  "$@"
}

stage_on() {
  # true when stage $1 lies in [--stage, --stop-stage]
  [ "$1" -ge "$stage" ] && [ "$1" -le "$stop_stage" ]
}
