#!/bin/bash
# A prunekit sweep fanned out over a Slurm job array: task i of n runs slice i/n of the grid
# (`prunekit sweep --shard i/n`), and one dependent job joins the slices (`prunekit merge`) into
# the report.json and report.html the one-process sweep writes. Same flags and seed in every task.
#
#   sbatch examples/sweep-shards/slurm.sh            # 4 tasks, then the merge
#
#SBATCH --job-name=prunekit-sweep
#SBATCH --array=1-4
#SBATCH --cpus-per-task=1
#SBATCH --output=sweep-%A_%a.log
set -euo pipefail

SHARDS=${SLURM_ARRAY_TASK_COUNT:-4}
OUT=${OUT:-sweep-shards}
SWEEP=(--data mnist --sparsities 0.5,0.8,0.9,0.95,0.98 --criteria all --scope layer,global --seed 42)

if [ "${1:-}" = merge ]; then
  npx prunekit merge "$OUT"/shard-* --report "$OUT"/report
  exit
fi

npx prunekit sweep "${SWEEP[@]}" --shard "${SLURM_ARRAY_TASK_ID}/${SHARDS}" --report "$OUT/shard-${SLURM_ARRAY_TASK_ID}"

# the first task queues the merge, to start once every task of the array has finished
if [ "${SLURM_ARRAY_TASK_ID}" = 1 ]; then
  sbatch --dependency=afterok:"${SLURM_ARRAY_JOB_ID}" --array=1 --job-name=prunekit-merge "$0" merge
fi
