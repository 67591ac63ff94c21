#!/usr/bin/env bash
# The short reliability runs of `make test`, side by side: each starts its own appliance, chain and
# database, and spends most of its time waiting on them, so together they take little more than the
# longest. Each writes dist/<name>.log; the last line of each is shown, and a failed run's whole log.
# Exit status: 1 when any run failed.
set -u
declare -A runs=(
  [bench]='BENCH_SMOKE=1 node dist/bench/run.js'
  [crash-test]='CRASH_CYCLES=5 node dist/reliability/crash-test.js'
  [fuzz]='FUZZ_FRAMES=10000 FUZZ_BODIES=2000 node dist/reliability/fuzz.js'
  [redteam]='node dist/reliability/redteam.js'
  [chaos]='CHAOS_WITHDRAWALS=20 node dist/reliability/chaos.js'
)
declare -A pids=()
for name in bench crash-test fuzz redteam chaos; do
  bash -c "${runs[$name]}" > "dist/$name.log" 2>&1 &
  pids[$name]=$!
done
failed=0
for name in bench crash-test fuzz redteam chaos; do
  if wait "${pids[$name]}"; then
    echo "$name: $(tail -n 1 "dist/$name.log")"
  else
    echo "$name failed:"
    cat "dist/$name.log"
    failed=1
  fi
done
exit $failed
