#!/usr/bin/env bash
# The cost of a load balancer in front of Postern: the seed's workload (STARTTLS required, client
# certificate from a private CA, relaying to a sink) sent directly to one Postern service and, in
# the same run, through HAProxy (mode tcp, send-proxy-v2) to a second service of the same Postern
# with smtpd_upstream_proxy_protocol = haproxy. Rounds alternate between the two paths so that a
# slow spell of a shared machine hits both; the ratios use the medians.
# Prints msgs/s, latency percentiles and CPU per message (Postern alone, and Postern + HAProxy),
# then proxied/direct ratios. Needs the Debian haproxy package. Loopback only; bounded in time.
set -euo pipefail
export POSTERN_ALLOW_ROOT=yes  # benchmarks run as root: postern start-fg refuses root without this
here="$(cd "$(dirname "$0")/.." && pwd)"
MESSAGES=${MESSAGES:-2000}
WARMUP=${WARMUP:-2000}   # messages per path and scenario before measuring: JIT, session caches
CONCURRENCY=${CONCURRENCY:-20}
SIZE=${SIZE:-4096}
ROUNDS=${ROUNDS:-3}
JAR="$here/target/postern.jar"
[ -f "$JAR" ] || (cd "$here" && mvn -q -B -DskipTests package)
command -v haproxy >/dev/null || { echo "haproxy-overhead: install the Debian haproxy package" >&2; exit 1; }
W=$(mktemp -d /tmp/postern-bench.XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
# As compare-postfix.sh: a port found free a moment ago (the tests never do this; see
# src/test/java/dev/postern/testing/HaproxyInstance.java for the race-free way).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SINK=$(free_port); PPORT=$(free_port); XPORT=$(free_port); HPORT=$(free_port)
postern() { java $CLIENT_JAVA_OPTS -jar "$JAR" "$@"; }

. "$here/bench/lib.sh"
bench_pki
java $CLIENT_JAVA_OPTS -jar "$JAR" sink --listen 127.0.0.1:$SINK >"$W/sink.out" 2>&1 & PIDS+=($!)
bench_postern_config
# The same service again, behind the proxy.
cat >>"$W/postern/master.cf" <<CF
127.0.0.1:$XPORT inet n - n - - smtpd
  -o smtpd_upstream_proxy_protocol=haproxy
  -o smtpd_enforce_tls=yes
  -o smtpd_tls_req_ccert=yes
  -o smtpd_recipient_restrictions=permit_mynetworks,permit_tls_all_clientcerts,reject
CF
java $POSTERN_JAVA_OPTS -jar "$JAR" -c "$W/postern" start-fg >"$W/postern.out" 2>&1 & PPID_POSTERN=$!; PIDS+=($PPID_POSTERN)

cat >"$W/haproxy.cfg" <<CF
global
    maxconn 4096
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend smtp
    bind 127.0.0.1:$HPORT
    default_backend postern
backend postern
    server p1 127.0.0.1:$XPORT send-proxy-v2
CF
haproxy -db -f "$W/haproxy.cfg" >"$W/haproxy.out" 2>&1 & HPID=$!; PIDS+=($HPID)
for i in $(seq 1 200); do
  [ -f "$W/postern/queue/pid/master.pid" ] && (echo >/dev/tcp/127.0.0.1/$HPORT) 2>/dev/null && break; sleep 0.1
done

ticks() { awk '{print $14+$15+$16+$17}' /proc/$1/stat; }
sent_count() { grep -c "status=sent" "$W/postern/maillog" 2>/dev/null || true; }
port_of() { [ "$1" = direct ] && echo $PPORT || echo $HPORT; }
HZ=$(getconf CLK_TCK)

run() { # path per_connection messages
  local path=$1 pc=$2 n=$3 before p0 h0 out p1 h1
  before=$(sent_count); p0=$(ticks $PPID_POSTERN); h0=$(ticks $HPID)
  out=$(postern bench --server 127.0.0.1:$(port_of "$path") --starttls --cert "$W/client-cert.pem" --key "$W/client-key.pem" \
        --ca "$W/CAcert.pem" --concurrency $CONCURRENCY --messages "$n" --per-connection "$pc" --size $SIZE | grep '^RESULT')
  for i in $(seq 1 600); do [ "$(( $(sent_count) - before ))" -ge "$n" ] && break; sleep 0.1; done
  p1=$(ticks $PPID_POSTERN); h1=$(ticks $HPID)
  echo "$out postern_cpu_ms_per_msg=$(python3 -c "print(round(($p1-$p0)*1000/$HZ/$n,3))")" \
       "haproxy_cpu_ms_per_msg=$(python3 -c "print(round(($h1-$h0)*1000/$HZ/$n,3))")" \
       "delivered=$(( $(sent_count) - before ))"
}

echo "haproxy-overhead: $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); rounds: $ROUNDS;" \
     "$(haproxy -v | head -1 | cut -d' ' -f1-3); Postern JVM options: $POSTERN_JAVA_OPTS; $(java -version 2>&1 | head -1)"
for pc in 1 20; do
  for path in direct proxied; do run "$path" "$pc" "$WARMUP" >/dev/null; done   # warm-up
  for round in $(seq 1 "$ROUNDS"); do
    for path in direct proxied; do
      r=$(run "$path" "$pc" "$MESSAGES")
      echo "$path per_connection=$pc round=$round $r" | tee -a "$W/results"
    done
  done
done
# Every proxied connection must have had a good header (else it was refused, not measured).
grep -q "warning: haproxy read" "$W/postern/maillog" && { echo "haproxy-overhead: bad PROXY headers seen" >&2; exit 1; }
python3 - "$W/results" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    kv = dict(x.split("=", 1) for x in f[1:] if "=" in x)
    rows.setdefault((f[0], kv["per_connection"]), []).append(kv)
def med(path, pc, k): return statistics.median(float(r[k]) for r in rows[(path, pc)])
def total(r): return float(r["postern_cpu_ms_per_msg"]) + float(r["haproxy_cpu_ms_per_msg"])
for pc in ("1", "20"):
    for path in ("direct", "proxied"):
        rs = rows[(path, pc)]
        lost = sum(int(r["msgs"]) - int(r["delivered"]) for r in rs)
        print(f"MEDIAN {path} per_connection={pc} rounds={len(rs)} msgs_per_s={med(path, pc, 'msgs_per_s'):.1f} "
              f"p50_ms={med(path, pc, 'p50_ms'):.2f} p99_ms={med(path, pc, 'p99_ms'):.2f} "
              f"postern_cpu_ms_per_msg={med(path, pc, 'postern_cpu_ms_per_msg'):.3f} "
              f"haproxy_cpu_ms_per_msg={med(path, pc, 'haproxy_cpu_ms_per_msg'):.3f} "
              f"errors={sum(int(r['errors']) for r in rs)} undelivered={lost}")
for pc in ("1", "20"):
    t = med("proxied", pc, "msgs_per_s") / med("direct", pc, "msgs_per_s")
    p = med("proxied", pc, "p99_ms") / med("direct", pc, "p99_ms")
    c = med("proxied", pc, "postern_cpu_ms_per_msg") / med("direct", pc, "postern_cpu_ms_per_msg")
    tc = statistics.median(total(r) for r in rows[("proxied", pc)]) / statistics.median(total(r) for r in rows[("direct", pc)])
    print(f"RATIO per_connection={pc} throughput_proxied/direct={t:.2f} p99_proxied/direct={p:.2f} "
          f"postern_cpu_per_msg_proxied/direct={c:.2f} total_cpu_per_msg_proxied/direct={tc:.2f}")
PY
