#!/bin/bash
# Alternated rounds of the s5 harness (bench/profiles/2026-11-29-issue15-s5/receiver-cpu, copied to $HARNESS):
# $BUILDS/base/dist and $BUILDS/new/dist (each dist beside node_modules, generated and src, as in a checkout),
# the 1-minute load beside each run. V8_FLAGS passes on to the receiver (e.g. --optimize-for-size).
cd "${HARNESS:?}" || exit 1
run() { echo "$(uptime | sed 's/.*load average: //') | $1 | $(DIST="${BUILDS:?}/$1/dist" node client.mjs receiver)"; }
for round in $(seq 1 "${ROUNDS:-4}"); do
  echo "round $round"
  if ((round % 2)); then run base; run new; else run new; run base; fi
done
