#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, builds, and runs every test project.
# Tests start their own PostgreSQL (temporary folder, free port) and their own gateway nodes.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/deploy/local/lib.sh"
ensure_packages
cd "$root"
results="$root/TestResults"
rm -rf "$results"
dotnet build OrleansGate.sln -c Release --nologo -v quiet
status=0
dotnet test OrleansGate.sln -c Release --no-build --nologo \
  --logger "trx" --results-directory "$results" --logger "console;verbosity=normal" || status=$?

# The local cluster behind HAProxy, end to end (three nodes, psql, pgbench, cancel, revocation); counted as one test.
smoke_failed=""
echo "cluster smoke test (deploy/local/cluster-smoke.sh)"
timeout 600 "$root/deploy/local/cluster-smoke.sh" || { smoke_failed="exit $?"; status=1; }

# Faults under load through HAProxy: the bounded form of loadtest/chaos.sh (kill -9, restart, PostgreSQL restart,
# pause until declared dead; about 2.5 minutes); counted as one test. Its full form runs from loadtest/.
chaos_failed=""
echo "chaos test, bounded (CHAOS_MODE=bounded loadtest/chaos.sh)"
CHAOS_MODE=bounded timeout 600 "$root/loadtest/chaos.sh" || { chaos_failed="exit $?"; status=1; }

# One closing line over all projects, read from the TRX files.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); passed=$((passed + ${p:-0}))
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters"); failed=$((failed + ${f:-0}))
  s=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters"); skipped=$((skipped + ${s:-0}))
done
dotnet_passed=$passed
if [ -n "$smoke_failed" ]; then failed=$((failed + 1)); else passed=$((passed + 1)); fi
if [ -n "$chaos_failed" ]; then failed=$((failed + 1)); else passed=$((passed + 1)); fi
echo "$passed passed, $failed failed, $skipped skipped"
# Name every failed test again at the very end, with the first lines of its message,
# so a log that is cut to its tail still says what failed.
if [ "$failed" -gt 0 ]; then
  python3 - "$results" <<'PY' || true
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for trx in sorted(glob.glob(sys.argv[1] + "/*.trx")):
    for r in ET.parse(trx).getroot().iterfind(".//t:UnitTestResult", ns):
        if r.get("outcome") != "Failed":
            continue
        msg = r.find("t:Output/t:ErrorInfo/t:Message", ns)
        text = (msg.text or "").strip().splitlines() if msg is not None else []
        print("FAILED " + r.get("testName"))
        for line in text[:6]:
            print("    " + line[:300])
PY
fi
if [ -n "$smoke_failed" ]; then
  echo "FAILED cluster smoke test: deploy/local/cluster-smoke.sh ($smoke_failed; its FAILED lines are above)"
fi
if [ -n "$chaos_failed" ]; then
  echo "FAILED chaos test, bounded: loadtest/chaos.sh ($chaos_failed; its FAILED lines are above)"
fi
if [ "$dotnet_passed" -eq 0 ]; then
  echo "error: no .NET test ran" >&2
  exit 1
fi
exit "$status"
