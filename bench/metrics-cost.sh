#!/usr/bin/env bash
# The cost of postern_metrics_listen: two Postern instances with the seed's submission
# configuration, one with metrics off (the default) and one with them on and scraped every
# SCRAPE_EVERY seconds, the same load against each, rounds alternating so a slow spell of a shared
# machine hits both. Prints CPU per message (the JVM's user+system time until the queue has
# drained) for each, then the ratio on/off (issue 11 target: <= 1.05). Loopback only.
set -euo pipefail
export POSTERN_ALLOW_ROOT=yes  # benchmarks run as root: postern start-fg refuses root without this
here="$(cd "$(dirname "$0")/.." && pwd)"
MESSAGES=${MESSAGES:-1000}
WARMUP=${WARMUP:-1000}
CONCURRENCY=${CONCURRENCY:-20}
SIZE=${SIZE:-4096}
ROUNDS=${ROUNDS:-3}
PER_CONNECTION=${PER_CONNECTION:-"1 20"}
SCRAPE_EVERY=${SCRAPE_EVERY:-1}
# CONTROL=yes: an A/A run, metrics off on both instances (the "on" one is not scraped either), to
# show how far this machine's noise alone moves the ratio.
CONTROL=${CONTROL:-no}
IDLE=0
JAR="$here/target/postern.jar"
[ -f "$JAR" ] || (cd "$here" && mvn -q -B -DskipTests package)
W=$(mktemp -d /tmp/postern-metrics-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
postern() { java $CLIENT_JAVA_OPTS -jar "$JAR" "$@"; }
SINK=$(free_port)
. "$here/bench/lib.sh"
bench_pki
java $CLIENT_JAVA_OPTS -jar "$JAR" sink --listen 127.0.0.1:$SINK >"$W/sink.out" 2>&1 & PIDS+=($!)

declare -A PORT PID
for mode in off on; do
  PPORT=$(free_port)
  bench_postern_config
  mv "$W/postern" "$W/$mode"
  sed -i "s|$W/postern/|$W/$mode/|g" "$W/$mode/main.cf"
  if [ "$mode" = on ] && [ "$CONTROL" != yes ]; then
    MPORT=$(free_port)
    echo "postern_metrics_listen = 127.0.0.1:$MPORT" >>"$W/on/main.cf"
  fi
  PORT[$mode]=$PPORT
  java $POSTERN_JAVA_OPTS -jar "$JAR" -c "$W/$mode" start-fg >"$W/$mode.out" 2>&1 & PID[$mode]=$!; PIDS+=($!)
done
for i in $(seq 1 300); do
  [ -f "$W/off/queue/pid/master.pid" ] && [ -f "$W/on/queue/pid/master.pid" ] \
    && { [ "$CONTROL" = yes ] || curl -sf "http://127.0.0.1:$MPORT/metrics" >/dev/null; } && break
  sleep 0.1
done
# The scraper: Prometheus usually scrapes every 15-60 s; every second makes its cost visible.
[ "$CONTROL" = yes ] || { ( while sleep "$SCRAPE_EVERY"; do curl -sf "http://127.0.0.1:$MPORT/metrics" >/dev/null || true; done ) & PIDS+=($!); }

cpu_ticks() { awk '{print $14+$15}' /proc/${PID[$1]}/stat; }
sent_count() { grep -c "status=sent" "$W/$1/maillog" 2>/dev/null || true; }
HZ=$(getconf CLK_TCK)
run() { # mode per_connection messages
  local mode=$1 pc=$2 n=$3 before cpu0 out cpu1
  before=$(sent_count "$mode"); cpu0=$(cpu_ticks "$mode")
  out=$(postern bench --server 127.0.0.1:${PORT[$mode]} --starttls --cert "$W/client-cert.pem" --key "$W/client-key.pem" \
        --ca "$W/CAcert.pem" --concurrency $CONCURRENCY --messages "$n" --per-connection "$pc" --size $SIZE | grep '^RESULT')
  for i in $(seq 1 600); do [ "$(( $(sent_count "$mode") - before ))" -ge "$n" ] && break; sleep 0.1; done
  cpu1=$(cpu_ticks "$mode")
  echo "$out cpu_ms_per_msg=$(python3 -c "print(round(($cpu1-$cpu0)*1000/$HZ/$n,3))") delivered=$(( $(sent_count "$mode") - before ))"
}

echo "metrics-cost: $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); rounds $ROUNDS x $MESSAGES messages; scrape every ${SCRAPE_EVERY}s; JVM options: $POSTERN_JAVA_OPTS"
for pc in $PER_CONNECTION; do
  for mode in off on; do run "$mode" "$pc" "$WARMUP" >/dev/null; done
  for round in $(seq 1 "$ROUNDS"); do
    for mode in off on; do
      r=$(run "$mode" "$pc" "$MESSAGES")
      echo "metrics_$mode per_connection=$pc round=$round $r" | tee -a "$W/results"
    done
  done
done
[ "$CONTROL" = yes ] || echo "exposition size: $(curl -sf "http://127.0.0.1:$MPORT/metrics" | wc -c) bytes, $(curl -sf "http://127.0.0.1:$MPORT/metrics" | grep -vc '^#') samples"
python3 - "$W/results" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    kv = dict(x.split("=", 1) for x in f[1:] if "=" in x)
    rows.setdefault((f[0], kv["per_connection"]), []).append(kv)
pcs = sorted({pc for _, pc in rows}, key=int)
def med(mode, pc, k): return statistics.median(float(r[k]) for r in rows[(mode, pc)])
for pc in pcs:
    for mode in ("metrics_off", "metrics_on"):
        rs = rows[(mode, pc)]
        lost = sum(int(r["msgs"]) - int(r["delivered"]) for r in rs)
        print(f"MEDIAN {mode} per_connection={pc} rounds={len(rs)} msgs_per_s={med(mode, pc, 'msgs_per_s'):.1f} "
              f"p99_ms={med(mode, pc, 'p99_ms'):.2f} cpu_ms_per_msg={med(mode, pc, 'cpu_ms_per_msg'):.3f} "
              f"errors={sum(int(r['errors']) for r in rs)} undelivered={lost}")
    spread = [float(a["cpu_ms_per_msg"]) / float(b["cpu_ms_per_msg"]) for a, b in zip(rows[("metrics_on", pc)], rows[("metrics_off", pc)])]
    print(f"RATIO per_connection={pc} cpu_per_msg_on/off={med('metrics_on', pc, 'cpu_ms_per_msg') / med('metrics_off', pc, 'cpu_ms_per_msg'):.3f} "
          f"throughput_on/off={med('metrics_on', pc, 'msgs_per_s') / med('metrics_off', pc, 'msgs_per_s'):.3f} "
          f"(per-round cpu ratios: {', '.join(f'{x:.3f}' for x in spread)})")
PY
