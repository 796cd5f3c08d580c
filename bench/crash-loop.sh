#!/usr/bin/env bash
# The long crash run (issue 8 §7 and its closing note): CrashLoopTest, with KILLS kill -9s instead
# of CI's 20. Plaintext load from 4 clients, each message with a unique Subject; the daemon is
# killed with SIGKILL after 1..20 more acknowledged messages, KILLS times, and restarted at once
# each time; then every message answered 250 must arrive at the next hop, nothing unsent may
# arrive, and the queue must end empty. Prints one line:
#   CRASH-LOOP kills=.. acknowledged=.. delivered=.. missing=.. foreign=.. duplicates=.. unanswered=.. secs=..
# (duplicates: deliveries in flight at a kill, bounded by kills x 20 delivery slots.)
# Usage: KILLS=200 bash bench/crash-loop.sh     (about 1-2 s per kill on an idle 2-core machine)
set -euo pipefail
export POSTERN_ALLOW_ROOT=yes  # benchmarks run as root: postern start-fg refuses root without this
here="$(cd "$(dirname "$0")/.." && pwd)"
KILLS=${KILLS:-200}
cd "$here"
rm -f target/surefire-reports/dev.postern.server.CrashLoopTest-output.txt
echo "crash-loop: $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo '?') $(nproc) cores;" \
     "load average $(cut -d' ' -f1-3 /proc/loadavg); kills $KILLS"
# surefire:test@default-test: only the default execution (plain `test` with -Dtest also runs the
# pom's second execution, i.e. the whole long run twice).
out=$(mvn -o -B test-compile surefire:test@default-test -Dtest=CrashLoopTest -Dsurefire.failIfNoSpecifiedTests=false \
      -Dpostern.crashKills="$KILLS" 2>&1) || status=$?
# The pom sends test output to a file (redirectTestOutputToFile).
line=$(grep -ho 'CrashLoopTest: .*' target/surefire-reports/dev.postern.server.CrashLoopTest-output.txt 2>/dev/null | tail -1 || true)
if [ -z "$line" ]; then
  grep -E 'Tests run|FAIL|ERROR|AssertionError' <<<"$out" | head -20 >&2
  echo "crash-loop: no figures (the run failed before its end)" >&2
  exit 1
fi
python3 - "$line" <<'PY'
import re, sys
l = sys.argv[1]
fields = [("kills", r"(\d+) kills"), ("acknowledged", r"(\d+) acknowledged"), ("delivered", r"(\d+) delivered,"),
          ("missing", r"(\d+) missing"), ("foreign", r"(\d+) foreign"), ("duplicates", r"(\d+) duplicates"),
          ("unanswered", r"(\d+) unanswered"), ("secs", r"(\d+) s in all"), ("queue_empty", r"queue empty at the end: (\w+)")]
print("CRASH-LOOP " + " ".join(k + "=" + re.search(p, l).group(1) for k, p in fields))
PY
grep -E 'Tests run:.*CrashLoopTest|FAIL' <<<"$out" | head -5 || true
exit "${status:-0}"
