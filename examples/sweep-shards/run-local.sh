#!/bin/bash
# What a scheduler does with examples/sweep-shards/slurm.sh, on one machine: the shards of a
# prunekit sweep as separate processes (here in the background; on a cluster, separate tasks),
# then `prunekit merge`. The merged report holds the same points as `prunekit sweep` without
# --shard (only the measured times differ). Tiny settings: seconds, not hours.
#
#   bash examples/sweep-shards/run-local.sh [OUT_DIR]
set -euo pipefail
OUT=${1:-$(mktemp -d)}
SHARDS=2
SWEEP=(--data iris --hidden 8 --epochs 20 --batch 16 --sparsities 0.5,0.8,0.9 --scope layer,global --schedule iterative,oneshot --finetune-epochs 1 --runs 3)
CLI=(node dist/cli/main.js)   # from a source checkout after `npm run build`; installed: npx prunekit

pids=()
for i in $(seq 1 "$SHARDS"); do
  rm -rf "$OUT/shard-$i"   # never merge a report left by an earlier run
  "${CLI[@]}" sweep "${SWEEP[@]}" --shard "$i/$SHARDS" --report "$OUT/shard-$i" --json > /dev/null &
  pids+=($!)
done
# a bare `wait` returns 0 even when a shard failed: wait for each and stop at the first failure,
# as a scheduler's dependency (afterok in slurm.sh) does
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { echo "run-local.sh: shard $((i + 1))/$SHARDS failed; not merging" >&2; exit 1; }
done
"${CLI[@]}" merge "$OUT"/shard-* --report "$OUT/report"
echo "merged report: $OUT/report/report.html"
