#!/usr/bin/env bash
# Where Postern's CPU goes: runs Postern alone (the compare-postfix.sh configuration, relaying to the
# sink), warms it up, then reports CPU milliseconds per message for each group of threads (by thread
# name, digits stripped), from /proc/PID/task/*/stat. A tool for finding work to cut, not a benchmark.
# Env: JAR (target/postern.jar), KEY (ec | rsa2048, ec), MODE (lockstep | pipelining), RESUME (no | yes), PC (messages per connection, 1),
#      RATE (messages per second: an open loop, `postern bench --rate`, for the warm-up and the measured run; default: closed loop), N (messages, 3000), WARM (3000), CONCURRENCY (20), SIZE (4096),
#      POSTERN_JAVA_OPTS (as bin/postern), PERF (a file: record the measured run with `perf record -g`;
#      read it with `perf report -i FILE --sort dso,sym`; PERF_EVENTS: other events to record instead of
#      CPU samples, e.g. PERF_EVENTS="-e syscalls:sys_enter_futex" for who waits and wakes, with
#      -XX:+PreserveFramePointer in POSTERN_JAVA_OPTS for the Java callers), SYSCALLS=yes (count system calls per message
#      per thread group and call with `perf trace -s`: slows the run, so its CPU figures are not comparable),
#      AFTER (a command run at the end with $P = Postern's PID, e.g. AFTER='jcmd $P VM.native_memory summary'
#      with POSTERN_JAVA_OPTS including -XX:NativeMemoryTracking=summary).
set -euo pipefail
export POSTERN_ALLOW_ROOT=yes  # benchmarks run as root: postern start-fg refuses root without this
here="$(cd "$(dirname "$0")/.." && pwd)"
KEY=${KEY:-ec}; MODE=${MODE:-lockstep}; RESUME=${RESUME:-no}; PC=${PC:-1}; N=${N:-3000}; WARM=${WARM:-3000}; CONCURRENCY=${CONCURRENCY:-20}; SIZE=${SIZE:-4096}
JAR="${JAR:-$here/target/postern.jar}"
[ -f "$JAR" ] || (cd "$here" && ./mvnw -q -B -DskipTests -Djdeb.skip=true -Dassembly.skipAssembly=true package)
W=$(mktemp -d /tmp/postern-prof.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SINK=$(free_port); PPORT=$(free_port)
postern() { java $CLIENT_JAVA_OPTS -jar "$JAR" "$@"; }
. "$here/bench/lib.sh"
bench_pki "$KEY"
java $CLIENT_JAVA_OPTS -jar "$JAR" sink --listen 127.0.0.1:$SINK >"$W/sink.out" 2>&1 & PIDS+=($!)
bench_postern_config
java $POSTERN_JAVA_OPTS -jar "$JAR" -c "$W/postern" start-fg >"$W/postern.out" 2>&1 & P=$!; PIDS+=($P)
for i in $(seq 1 200); do (echo >/dev/tcp/127.0.0.1/$PPORT) 2>/dev/null && break; sleep 0.1; done
flags=""; [ "$MODE" = pipelining ] && flags="$flags --pipelining"; [ "$RESUME" = yes ] && flags="$flags --tls-resume"
[ -n "${RATE:-}" ] && flags="$flags --rate $RATE"
sent() { grep -c "status=sent" "$W/postern/maillog" 2>/dev/null || true; }
load() {
  local n=$1 before; before=$(sent)
  postern bench --server 127.0.0.1:$PPORT --starttls --cert "$W/client-cert.pem" --key "$W/client-key.pem" \
      --ca "$W/CAcert.pem" --concurrency $CONCURRENCY --messages "$n" --per-connection "$PC" --size $SIZE $flags | grep '^RESULT'
  for i in $(seq 1 600); do [ "$(( $(sent) - before ))" -ge "$n" ] && break; sleep 0.1; done
}
threads() { # name cpu_ticks context_switches (voluntary: each is a sleep, i.e. a hand-off or a wait)
  for t in /proc/$P/task/*; do
    echo "$(cat $t/comm 2>/dev/null | tr -d '0-9' | tr ' ' '_') $(awk '{print $14+$15}' $t/stat 2>/dev/null || echo 0) $(awk '/^voluntary_ctxt/{print $2}' $t/status 2>/dev/null || echo 0)"
  done | awk '{s[$1]+=$2; c[$1]+=$3} END {for (k in s) print k, s[k], c[k]}' | LC_ALL=C sort; }
load "$WARM" >/dev/null
threads >"$W/t0"; p0=$(awk '{print $14+$15+$16+$17}' /proc/$P/stat)
if [ -n "${PERF:-}" ]; then perf record -q -g ${PERF_EVENTS:-} -o "$PERF" -p "$P" >/dev/null 2>&1 & PERFPID=$!; sleep 0.5; fi
if [ "${SYSCALLS:-no}" = yes ]; then perf trace -s -p "$P" -o "$W/trace" >/dev/null 2>&1 & TRACEPID=$!; sleep 1; fi
load "$N"
if [ -n "${PERF:-}" ]; then kill -INT $PERFPID; wait $PERFPID || true; fi
if [ "${SYSCALLS:-no}" = yes ]; then kill -INT $TRACEPID; wait $TRACEPID || true; fi
threads >"$W/t1"; p1=$(awk '{print $14+$15+$16+$17}' /proc/$P/stat)
HZ=$(getconf CLK_TCK)
echo "total_ms_per_msg=$(python3 -c "print(round(($p1-$p0)*1000/$HZ/$N,3))") (KEY=$KEY MODE=$MODE RESUME=$RESUME PC=$PC N=$N opts: $POSTERN_JAVA_OPTS)"
LC_ALL=C join -a2 -e0 -o 0,1.2,2.2,1.3,2.3 "$W/t0" "$W/t1" |
  awk -v hz="$HZ" -v n="$N" '{d=$3-$2; if (d>0) printf "  %-28s %.3f ms/msg  %5.1f sleeps/msg\n", $1, d*1000/hz/n, ($5-$4)/n}' | sort -k2 -nr
if [ -n "${AFTER:-}" ]; then eval "$AFTER"; fi
if [ "${SYSCALLS:-no}" = yes ]; then # perf trace -s: " name (tid), N events" then "   syscall  calls ..." rows
  echo "system calls per message (thread group: calls; top calls):"
  awk -v n="$N" '
    /^ [^ ].* \([0-9]+\), [0-9]+ events/ { g=$0; sub(/ \([0-9]+\), [0-9]+ events.*/, "", g); sub(/^ +/, "", g); gsub(/ /, "_", g); sub(/-[0-9-]*$/, "", g); gsub(/[0-9]/, "", g); next }
    g != "" && $1 ~ /^[a-z_0-9]+$/ && $2 ~ /^[0-9]+$/ { c[g" "$1]+=$2; t[g]+=$2 }
    END { for (k in c) { split(k, a, " "); printf "%s %s %.2f %.2f\n", a[1], a[2], c[k]/n, t[a[1]]/n } }' "$W/trace" |
    sort -k4,4nr -k1,1 -k3,3nr | awk '{ if ($1 != last) { printf "\n  %-18s %6.2f:", $1, $4; last=$1; k=0 } if (k++ < 8) printf " %s %.2f", $2, $3 } END { print "" }'
fi
