#!/usr/bin/env bash
# The whole `evals arena rate` process (issue 15, "Benchmark"), launched as users launch it (./evals), then
#   1. 100,000 battles among 50 models with --bootstrap 1000, median of --repeats runs (default 3), as the issue's file
#      (8 fields, no tstamp, no conv_metadata); then the same battles with conv_metadata and --style-control;
#   2. 2,000,000 battles among 50 models, read and rated with --bootstrap 0 (goal: under 10 s);
# against FastChat's rating code on the same 100,000-battle file (goal: at least 10x). With --fastchat DIR (a folder
# holding FastChat's fastchat/serve/monitor/rating_systems.py, e.g. a checkout of lm-sys/FastChat) and numpy, scipy,
# pandas and tqdm importable by python3 (Debian: apt-get install python3-numpy python3-scipy python3-pandas python3-tqdm),
# FastChat's own code is timed on the same file, interleaved with ours, through
# tests/Benchmarks.Tests/Ratings/Reference/fastchat_reference.py (Elo, 1,000 bootstrap BT rounds in FastChat's process
# pool, BT). Without it the FastChat figure is the one the issue measured on this machine (8.6 s; override with
# FASTCHAT_SECONDS). FASTCHAT_PYTHON names the Python that runs FastChat.
# Arguments: --repeats N, --battles N (first file), --big N (second file), --models N, --fastchat DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=3 BATTLES=100000 BIG=2000000 MODELS=50 FASTCHAT_DIR=
while [ $# -gt 0 ]; do
  case "$1" in
    --repeats) REPEATS="$2"; shift 2 ;;
    --battles) BATTLES="$2"; shift 2 ;;
    --big) BIG="$2"; shift 2 ;;
    --models) MODELS="$2"; shift 2 ;;
    --fastchat) FASTCHAT_DIR="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
FASTCHAT_SECONDS="${FASTCHAT_SECONDS:-8.6}"
# FastChat's Python: FASTCHAT_PYTHON, else the first of python3 and Debian's /usr/bin/python3 that has numpy and pandas.
if [ -n "$FASTCHAT_DIR" ] && [ -z "${FASTCHAT_PYTHON:-}" ]; then
  for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c 'import numpy, pandas, scipy, tqdm' 2>/dev/null; then FASTCHAT_PYTHON="$candidate"; break; fi
  done
  [ -n "${FASTCHAT_PYTHON:-}" ] || { echo "--fastchat: no python3 here imports numpy, pandas, scipy and tqdm (set FASTCHAT_PYTHON)" >&2; exit 2; }
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# What a user runs: ./evals (on x64 Linux a ReadyToRun publish; arena verbs run with tiered compilation off), built
# before the timing.
./evals --help >/dev/null
CLI=(./evals)
python3 perf/ArenaRate/generate_battles.py "$WORK/battles.json" "$BATTLES" "$MODELS" 1
python3 perf/ArenaRate/generate_battles.py "$WORK/styled.json" "$BATTLES" "$MODELS" 1 --style
python3 perf/ArenaRate/generate_battles.py "$WORK/big.json" "$BIG" "$MODELS" 2
echo "files: $BATTLES battles $(du -h "$WORK/battles.json" | cut -f1), $BIG battles $(du -h "$WORK/big.json" | cut -f1); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# "wall cpu" seconds of one whole process (start-up, read, Elo, fit, bootstrap, printing; CPU = user + system, the
# steadier figure on a shared machine); fails on a non-zero exit.
timed() {
  /usr/bin/time -f "%e %U %S" -o "$WORK/time.txt" "${CLI[@]}" arena rate "$@" >"$WORK/out.txt" 2>&1 || { cat "$WORK/out.txt" >&2; echo "failed: arena rate $*" >&2; exit 1; }
  awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$WORK/time.txt"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

for file in battles styled; do
  extra=()
  [ "$file" = styled ] && extra=(--style-control)
  walls=() cpus=()
  for _ in $(seq "$REPEATS"); do
    read -r wall cpu < <(timed --battles "$WORK/$file.json" --bootstrap 1000 "${extra[@]}")
    [ -n "${wall:-}" ] || exit 1
    walls+=("$wall") cpus+=("$cpu")
  done
  med=$(printf '%s\n' "${walls[@]}" | median)
  printf '%-48s median wall %6.2f s, CPU %6.2f s  (walls: %s; load %s)\n' "$BATTLES battles, --bootstrap 1000 ${extra[*]}" "$med" \
    "$(printf '%s\n' "${cpus[@]}" | median)" "$(printf '%s ' "${walls[@]}")" "$(cut -d' ' -f1 /proc/loadavg)"
  [ "$file" = battles ] && BASE="$med"
  if [ "$file" = battles ] && [ -n "$FASTCHAT_DIR" ]; then
    fwalls=() fcpus=()
    for _ in $(seq "$REPEATS"); do
      /usr/bin/time -f "%e %U %S" -o "$WORK/time.txt" "$FASTCHAT_PYTHON" tests/Benchmarks.Tests/Ratings/Reference/fastchat_reference.py \
        --fastchat "$FASTCHAT_DIR" --battles "$WORK/battles.json" --bootstrap 1000 >"$WORK/fastchat.txt" 2>&1 \
        || { cat "$WORK/fastchat.txt" >&2; echo "FastChat's rating code failed" >&2; exit 1; }
      read -r fwall fcpu < <(awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$WORK/time.txt")
      fwalls+=("$fwall") fcpus+=("$fcpu")
      read -r wall cpu < <(timed --battles "$WORK/battles.json" --bootstrap 1000)
      walls+=("$wall") cpus+=("$cpu")
    done
    FASTCHAT_SECONDS=$(printf '%s\n' "${fwalls[@]}" | median)
    BASE=$(printf '%s\n' "${walls[@]}" | median)
    printf '%-48s median wall %6.2f s, CPU %6.2f s  (walls: %s; load %s)\n' "FastChat's rating code, same file" "$FASTCHAT_SECONDS" \
      "$(printf '%s\n' "${fcpus[@]}" | median)" "$(printf '%s ' "${fwalls[@]}")" "$(cut -d' ' -f1 /proc/loadavg)"
    printf '%-48s median wall %6.2f s, CPU %6.2f s  (all %s runs, interleaved with FastChat)\n' "ours again, same file" "$BASE" \
      "$(printf '%s\n' "${cpus[@]}" | median)" "${#walls[@]}"
  fi
done
if [ -n "$FASTCHAT_DIR" ]; then
  printf 'FastChat measured here: %s s  ->  ratio %.1fx (goal >= 10x)\n' "$FASTCHAT_SECONDS" "$(echo "$FASTCHAT_SECONDS / $BASE" | bc -l)"
else
  printf 'FastChat (issue 15, same file shape, this machine): %s s  ->  ratio %.1fx (goal >= 10x)\n' \
    "$FASTCHAT_SECONDS" "$(echo "$FASTCHAT_SECONDS / $BASE" | bc -l)"
fi
read -r wall cpu < <(timed --battles "$WORK/big.json" --bootstrap 0)
[ -n "${wall:-}" ] || exit 1
printf '%-48s wall %6.2f s, CPU %6.2f s  (goal: wall < 10 s; load %s)\n' "$BIG battles, --bootstrap 0" "$wall" "$cpu" "$(cut -d' ' -f1 /proc/loadavg)"
