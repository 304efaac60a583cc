#!/usr/bin/env bash
# Sharded-run speed-up (issue 17, "Benchmark"): the same fixed-latency run (baseline:random?delay_ms=…, no cache) on
# 1, 2 and 3 worker processes of one Quartz cluster, on a throwaway embedded PostgreSQL cluster in a temp folder.
# Settings (environment): ITEMS=2000 DELAY_MS=100 SHARD_ITEMS=40 WORKERS="1 2 3". Goal: speed-up >= 0.85 x workers.
# With one worker it also times re-scoring the measured run (one job, no model calls).
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${ITEMS:-2000}; DELAY_MS=${DELAY_MS:-100}; SHARD_ITEMS=${SHARD_ITEMS:-40}; WORKERS=${WORKERS:-"1 2 3"}
dotnet build src/Runner/Runner.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
dll=$PWD/src/Runner/bin/Release/net10.0/Evals.Runner.dll
tmp=$(mktemp -d /tmp/evals-sharded-XXXXXX)
chmod 755 "$tmp"  # as root the embedded cluster runs as the postgres user, who must reach its folder
port=$((20000 + RANDOM % 20000))
export Evals__DataDirectory=$tmp/data Evals__EmbeddedPort=$port Runner__Datasets=$tmp/datasets Runner__ShardItems=$SHARD_ITEMS
export Runner__CheckinIntervalMs=1000 Runner__CheckinMisfireThresholdMs=2000 Evals__SeedSmokeRuns=false
pids=()
stop_workers() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; pids=(); }
cleanup() {
  stop_workers
  pg_ctl=$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | tail -1 || true)
  if [ -n "$pg_ctl" ] && [ -d "$tmp/data/pg" ]; then
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$pg_ctl" -D "$tmp/data/pg" stop -m fast >/dev/null 2>&1 || true
    else "$pg_ctl" -D "$tmp/data/pg" stop -m fast >/dev/null 2>&1 || true; fi
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
evals() { (cd "$tmp" && dotnet "$dll" "$@" 2>>"$tmp/cli.log"); }

# A one-task multiple-choice suite of $ITEMS generated items.
mkdir -p "$tmp/datasets/sharded/numbers"
cat > "$tmp/datasets/sharded/numbers/task.json" <<'JSON'
{ "name": "numbers", "kind": "multiple_choice", "files": { "test": "test.jsonl", "train": "train.jsonl" }, "fewshot_split": "train",
  "choices_field": "choices", "answer_field": "answer", "template": "{question}\n{choices}\n答案：", "capabilities": ["数学"] }
JSON
for i in $(seq 1 "$ITEMS"); do
  printf '{"id": "n%05d", "question": "%d 加 1 等于几？", "choices": ["%d", "%d", "%d", "%d"], "answer": "A"}\n' "$i" "$i" $((i+1)) $((i+2)) "$i" $((i-1))
done > "$tmp/datasets/sharded/numbers/test.jsonl"
echo '{"id": "t1", "question": "1 加 1 等于几？", "choices": ["2", "3", "1", "0"], "answer": "A"}' > "$tmp/datasets/sharded/numbers/train.jsonl"

evals db migrate >/dev/null
run() { # model, extra options... -> prints the run id
  evals run --model "$1" --suite sharded --no-cache "${@:2}"
}
wait_run() { # run id -> prints "status duration_s"
  while true; do
    evals runs show "$1" --json > "$tmp/show.json"
    read -r status duration < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["status"], d["duration_s"])' "$tmp/show.json")
    case $status in succeeded|failed|cancelled) echo "$status $duration"; return;; esac
    sleep 1
  done
}

declare -A wall
echo "items $ITEMS, delay $DELAY_MS ms, $SHARD_ITEMS items a shard; machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $WORKERS; do
  for w in $(seq 1 "$n"); do
    (cd "$tmp" && exec dotnet "$dll" worker > "$tmp/worker-$n-$w.log" 2>&1) &
    pids+=($!)
  done
  for w in $(seq 1 "$n"); do until grep -q "worker started" "$tmp/worker-$n-$w.log"; do sleep 0.5; done; done
  # Warm-up: a small run through every process (JIT, pools), so that the measured run times workers, not cold starts.
  warm=$(Runner__ShardItems=5 run "baseline:random?seed=$n&delay_ms=$DELAY_MS" --limit $((20 * n)))
  wait_run "$warm" >/dev/null
  id=$(run "baseline:random?seed=$((100 + n))&delay_ms=$DELAY_MS")
  read -r status seconds < <(wait_run "$id")
  [ "$status" = succeeded ] || { echo "run $id with $n worker(s) ended $status"; exit 1; }
  wall[$n]=$seconds
  printf '%d worker(s): %8.2f s  %7.1f items/s\n' "$n" "$seconds" "$(python3 -c "print($ITEMS / $seconds)")"
  if [ "$n" = 1 ]; then
    # Re-scoring stays one job (docs/deployment.md): its cost beside the run it re-scores, on the same one worker.
    rid=$(evals runs rescore "$id")
    read -r rstatus rseconds < <(wait_run "$rid")
    printf 're-scoring that run (one job, no model calls): %s in %.2f s\n' "$rstatus" "$rseconds"
  fi
  stop_workers
done
if [ -n "${wall[1]:-}" ]; then
  for n in $WORKERS; do
    python3 -c "
n, one, t = $n, ${wall[1]}, ${wall[$n]}
s = one / t
print(f'{n} worker(s): speed-up {s:.2f} = {s / n:.2f} x workers (goal >= 0.85): {\"met\" if s / n >= 0.85 else \"not met\"}')"
  done
fi
