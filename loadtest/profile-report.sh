#!/usr/bin/env bash
# Turns a profile of the gateway into the Markdown section of docs/benchmarks.md.
# Usage: profile-report.sh perf PERF_DATA "LOAD LINE"
#        profile-report.sh dotnet-trace TRACE_FILE "LOAD LINE" DOTNET_TRACE
set -euo pipefail
kind=$1; data=$2; load=$3
trim() { sed -e 's/[[:space:]]*$//' -e '/^$/d'; }
if [ "$kind" = perf ]; then
  echo "On-CPU sampling with \`perf record -F 499 -g\` of the gateway process for 8 s (JIT-compiled frames named"
  echo "through the runtime's perf map) while pgbench -S -M simple ran through it. The load during the profile:"
else
  echo "Stack sampling (EventPipe, \`dotnet-trace collect --profile dotnet-sampled-thread-time\`, 8 s) of the gateway"
  echo "process while pgbench -S -M simple ran through it; this sampler also counts parked threads. The load:"
fi
echo
echo '```'
echo "$load"
echo '```'
echo
if [ "$kind" = perf ]; then
  echo "Where the gateway's CPU goes, by binary (self time):"
  echo
  echo '```'
  perf report -i "$data" --stdio --no-children --sort dso -g none --percent-limit 1 2>/dev/null | grep -v '^#' | trim
  echo '```'
  echo
  echo "Top functions by self time:"
  echo
  echo '```'
  perf report -i "$data" --stdio --no-children --sort dso,symbol -g none --percent-limit 0.5 2>/dev/null | grep -v '^#' | trim | sed -e 's/[[:space:]]*-[[:space:]]*-$//' | head -n 45 | cut -c1-170
  echo '```'
  echo
  echo "Top functions including what they call (children), 4 % and above:"
  echo
  echo '```'
  # Unnamed native frames (runtime internals without symbols) are left out; they add no information here.
  perf report -i "$data" --stdio --children --sort symbol -g none --percent-limit 3 2>/dev/null | grep -v '^#' | grep -v '\] 0x0000' | trim | head -n 60 | cut -c1-170
  echo '```'
else
  tool=$4
  echo '```'
  "$tool" report "$data" topN -n 30 2>&1 | trim
  echo '```'
fi
