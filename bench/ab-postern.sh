#!/usr/bin/env bash
# A/B of two Postern builds in ONE run, for a machine that is busy with other work: both daemons run
# at the same time (the compare-postfix.sh configuration, relaying to one sink), the same load is
# sent to each in alternating rounds, and the figure is server CPU per message (utime+stime of the
# JVM from /proc, not wall time), so a slow spell of the machine hits both builds alike.
# Prints each round, the medians (CPU, msgs/s, sleeps per message) and the ratio B/A, also as the median of
# the per-round ratios ("paired"). A tool for deciding whether a change helps; the
# figures for BENCHMARKS.md come from compare-postfix.sh on a quiet machine.
#
#   A_JAR=/tmp/old.jar B_JAR=target/postern.jar KEY=rsa2048 PC=1 bash bench/ab-postern.sh
# Env: A_JAR (required), B_JAR (target/postern.jar), KEY (ec | rsa2048), PC (messages per connection, 1),
#      MODE (lockstep | pipelining), RESUME (no | yes: the client offers its TLS session), N (messages
#      per round, 1000), WARM (1000 per build), ROUNDS (5), CONCURRENCY (20), SIZE (4096),
#      IDLE (0; N > 0: afterwards hold N idle TLS sessions on each build in turn and report RSS),
#      POSTERN_JAVA_OPTS (as bin/postern; A_OPTS / B_OPTS: for one build only, to A/B JVM options;
#      A_ENV / B_ENV: environment variables for one build only, e.g. B_ENV=MALLOC_ARENA_MAX=2;
#      A_EXTRA_CF / B_EXTRA_CF: main.cf lines for one build only, to measure a parameter's cost),
#      HOLD (seconds the idle sessions are held, 8), IDLE_AFTER (a command run while they are held, $P = that
#      build's PID, e.g. IDLE_AFTER='jcmd $P VM.native_memory summary' with B_OPTS=-XX:NativeMemoryTracking=summary). CLIENT_JAR: whose `postern bench` and `postern ca` (target/postern.jar).
set -euo pipefail
export POSTERN_ALLOW_ROOT=yes  # benchmarks run as root: postern start-fg refuses root without this
here="$(cd "$(dirname "$0")/.." && pwd)"
KEY=${KEY:-rsa2048}; PC=${PC:-1}; MODE=${MODE:-lockstep}; RESUME=${RESUME:-no}; N=${N:-1000}; WARM=${WARM:-1000}
ROUNDS=${ROUNDS:-5}; CONCURRENCY=${CONCURRENCY:-20}; SIZE=${SIZE:-4096}; IDLE=${IDLE:-0}
[ -n "${A_JAR:-}" ] || { echo "ab-postern: set A_JAR (the build to compare against)" >&2; exit 2; }
W=$(mktemp -d /tmp/postern-ab.XXXXXX)
# Copies (rebuilding must not disturb the run), each with the native/ directory beside its jar
# (libpostern_rsa.so, when that build has one: NativeRsaKey looks for it beside the jar).
copy_build() { mkdir -p "$W/$2"; cp "$1" "$W/$2/postern.jar"; [ ! -d "$(dirname "$1")/native" ] || cp -r "$(dirname "$1")/native" "$W/$2/"; }
copy_build "$A_JAR" a; copy_build "${B_JAR:-$here/target/postern.jar}" b
cp "${CLIENT_JAR:-$here/target/postern.jar}" "$W/client.jar"
JAR="$W/client.jar"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SINK=$(free_port); PPORT=0
. "$here/bench/lib.sh"
bench_pki "$KEY"
java $CLIENT_JAVA_OPTS -jar "$JAR" sink --listen 127.0.0.1:$SINK >"$W/sink.out" 2>&1 & PIDS+=($!)
bench_postern_config   # $W/postern: the template for both builds' directories
declare -A PORT PID
for b in a b; do
  PORT[$b]=$(free_port)
  mkdir -p "$W/p$b"
  for f in main.cf master.cf; do
    sed -e "s#$W/postern/#$W/p$b/#g" -e "s#^127.0.0.1:0 #127.0.0.1:${PORT[$b]} #" "$W/postern/$f" >"$W/p$b/$f"
  done
  extra=""; [ $b = a ] && extra=${A_EXTRA_CF:-}; [ $b = b ] && extra=${B_EXTRA_CF:-}
  [ -z "$extra" ] || printf '%s\n' "$extra" >>"$W/p$b/main.cf"
  opts=$POSTERN_JAVA_OPTS; [ $b = a ] && opts=${A_OPTS:-$opts}; [ $b = b ] && opts=${B_OPTS:-$opts}
  envs=""; [ $b = a ] && envs=${A_ENV:-}; [ $b = b ] && envs=${B_ENV:-}
  env $envs java $opts -jar "$W/$b/postern.jar" -c "$W/p$b" start-fg >"$W/p$b.out" 2>&1 & PID[$b]=$!; PIDS+=(${PID[$b]})
done
for b in a b; do
  for i in $(seq 1 300); do (echo >/dev/tcp/127.0.0.1/${PORT[$b]}) 2>/dev/null && break; sleep 0.1; done
done
HZ=$(getconf CLK_TCK)
sent() { grep -c "status=sent" "$W/p$1/maillog" 2>/dev/null || true; }
ticks() { awk '{print $14+$15}' /proc/${PID[$1]}/stat; }
# Sleeps (voluntary context switches) of all the JVM's threads: each is a hand-off or a wait. Less
# noisy than CPU time on a shared machine, so a change that saves wake-ups shows here first.
sleeps() { cat /proc/${PID[$1]}/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/{s+=$2} END{print s+0}'; }
flags=""; [ "$MODE" = pipelining ] && flags="$flags --pipelining"; [ "$RESUME" = yes ] && flags="$flags --tls-resume"
run() { # build messages -> RESULT line + cpu_ms_per_msg
  local b=$1 n=$2 before c0 out c1 s0 s1
  before=$(sent "$b"); c0=$(ticks "$b"); s0=$(sleeps "$b")
  out=$(java $CLIENT_JAVA_OPTS -jar "$JAR" bench --server 127.0.0.1:${PORT[$b]} --starttls --cert "$W/client-cert.pem" --key "$W/client-key.pem" \
        --ca "$W/CAcert.pem" --concurrency "$CONCURRENCY" --messages "$n" --per-connection "$PC" --size "$SIZE" $flags | grep '^RESULT')
  for i in $(seq 1 600); do [ "$(( $(sent "$b") - before ))" -ge "$n" ] && break; sleep 0.1; done
  c1=$(ticks "$b"); s1=$(sleeps "$b")
  echo "$out cpu_ms_per_msg=$(python3 -c "print(round(($c1-$c0)*1000/$HZ/$n,3))") sleeps_per_msg=$(python3 -c "print(round(($s1-$s0)/$n,2))") delivered=$(( $(sent "$b") - before ))"
}
echo "ab-postern: $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg); KEY=$KEY PC=$PC MODE=$MODE RESUME=$RESUME N=$N ROUNDS=$ROUNDS; A=$A_JAR ${A_OPTS:-} B=${B_JAR:-target/postern.jar} ${B_OPTS:-}; opts: $POSTERN_JAVA_OPTS"
for b in a b; do run "$b" "$WARM" >/dev/null; done
for r in $(seq 1 "$ROUNDS"); do
  order="a b"; [ $((r % 2)) -eq 0 ] && order="b a"   # alternate who goes first
  for b in $order; do echo "$b round=$r $(run "$b" "$N")" | tee -a "$W/results"; done
done
python3 - "$W/results" <<'PY'
import sys, statistics
rows = {"a": [], "b": []}
for line in open(sys.argv[1]):
    f = line.split()
    rows[f[0]].append(dict(x.split("=", 1) for x in f[1:] if "=" in x))
med = {b: statistics.median(float(r["cpu_ms_per_msg"]) for r in rs) for b, rs in rows.items()}
for b, rs in rows.items():
    print(f"MEDIAN {b} cpu_ms_per_msg={med[b]:.3f} msgs_per_s={statistics.median(float(r['msgs_per_s']) for r in rs):.1f} "
          f"sleeps_per_msg={statistics.median(float(r['sleeps_per_msg']) for r in rs):.2f} "
          f"errors={sum(int(r['errors']) for r in rs)} undelivered={sum(int(r['msgs']) - int(r['delivered']) for r in rs)} "
          f"resumed={sum(int(r.get('resumed', 0)) for r in rs)}/{sum(int(r.get('handshakes', 0)) for r in rs)}")
pairs = [float(b["cpu_ms_per_msg"]) / float(a["cpu_ms_per_msg"]) for a, b in zip(rows["a"], rows["b"])]
# The median of the per-round ratios pairs each B round with the A round next to it: when the
# machine's speed drifts during the run it is the steadier figure of the two.
print(f"RATIO cpu_per_msg b/a={med['b'] / med['a']:.3f} paired={statistics.median(pairs):.3f} (per round: {', '.join(f'{x:.2f}' for x in pairs)})")
PY
if [ "$IDLE" -gt 0 ]; then
  for b in a b; do
    r0=$(awk '/VmRSS/{print $2}' /proc/${PID[$b]}/status); t0=$(ls /proc/${PID[$b]}/task | wc -l)
    java $CLIENT_JAVA_OPTS -jar "$JAR" bench --server 127.0.0.1:${PORT[$b]} --starttls --cert "$W/client-cert.pem" --key "$W/client-key.pem" \
        --ca "$W/CAcert.pem" --idle-sessions "$IDLE" --hold "${HOLD:-8}" >"$W/idle-$b.out" 2>&1 & c=$!
    for i in $(seq 1 3000); do grep -q '^IDLE' "$W/idle-$b.out" 2>/dev/null && break; sleep 0.1; done
    sleep 2; r1=$(awk '/VmRSS/{print $2}' /proc/${PID[$b]}/status); t1=$(ls /proc/${PID[$b]}/task | wc -l)
    if [ -n "${IDLE_AFTER:-}" ]; then P=${PID[$b]}; echo "IDLE_AFTER $b:"; eval "$IDLE_AFTER"; fi
    wait $c || true
    echo "IDLE $b sessions=$IDLE $(grep IDLE "$W/idle-$b.out" | tr '\n' ' ') rss_before_mib=$((r0/1024)) rss_with_idle_mib=$((r1/1024)) threads_before=$t0 threads_with_idle=$t1"
  done
fi
