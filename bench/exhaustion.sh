#!/usr/bin/env bash
# Issue 9 §5 figures, Postern under exhaustion (and Postfix where the scenario applies), one run:
#  1. idle:   IDLE (20,000) idle plaintext connections from IDLE_ADDRS (400) loopback addresses
#             (127.0.1.x, IDLE/IDLE_ADDRS each), held while a legitimate certificate client sends
#             LEGIT messages: its successes, errors and p99, the MTA's RSS and open descriptors, and
#             how many of those messages the queue manager delivered meanwhile; Postern, then
#             Postfix (when installed and we are root) with the same process limit: MAXPROC
#             ("-": default_process_limit, 100; a number: the submission service's maxproc).
#  2. reload: RELOADS reloads, RELOAD_GAP seconds apart, while a client loop sends mail (one
#             message per connection, 2 in parallel): refused connections and failed transactions
#             per reload; then the same with Postfix (postfix reload) when it is installed and we
#             are root.
#  3. tls:    IDLE_TLS (10,000) idle TLS sessions (STARTTLS, client certificate, EHLO) held open:
#             Postern's RSS before and with them (maxproc raised by a reload first).
# Loopback only; bounded in time: about 6-10 minutes with the defaults on 2 cores (opening 10,000
# TLS sessions one by one is most of it; LEGIT_TIMEOUT caps scenario 1). A smoke run:
#   IDLE=2000 IDLE_ADDRS=40 IDLE_TLS=300 LEGIT=30 RELOADS=2 RELOAD_GAP=2 bench/exhaustion.sh
# Prints one RESULT line per scenario, then the mail log's warnings and errors, counted.
# The open file limit is the hard limit (ulimit -Hn); for IDLE=20000 it should exceed ~25,000, or
# the daemon runs out of descriptors before its session limit (which is itself a figure).
set -euo pipefail
export POSTERN_ALLOW_ROOT=yes  # benchmarks run as root: postern start-fg refuses root without this
here="$(cd "$(dirname "$0")/.." && pwd)"
IDLE=${IDLE:-20000}
IDLE_ADDRS=${IDLE_ADDRS:-400}
LEGIT=${LEGIT:-200}
MAXPROC=${MAXPROC:--}
RELOADS=${RELOADS:-5}
RELOAD_GAP=${RELOAD_GAP:-3}
IDLE_TLS=${IDLE_TLS:-10000}
LEGIT_TIMEOUT=${LEGIT_TIMEOUT:-180}   # seconds the legitimate client may take before it counts as stopped
JAR="$here/target/postern.jar"
[ -f "$JAR" ] || (cd "$here" && ./mvnw -q -B -DskipTests -Djdeb.skip=true -Dassembly.skipAssembly=true package)
W=$(mktemp -d /tmp/postern-exhaustion.XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() {
  [ -f "$W/postfix/conf/main.cf" ] && /usr/sbin/postfix -c "$W/postfix/conf" stop >/dev/null 2>&1 || true
  for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SINK=$(free_port); PPORT=$(free_port); FPORT=$(free_port)
ulimit -n "$(ulimit -Hn)"   # as bin/postern does, for the daemon and the load tools

. "$here/bench/lib.sh"
bench_pki
java $CLIENT_JAVA_OPTS -jar "$JAR" sink --listen 127.0.0.1:$SINK >"$W/sink.out" 2>&1 & PIDS+=($!)
IDLE=$IDLE bench_postern_config
# The realistic service limit for scenario 1 (bench_postern_config sizes default_process_limit
# for idle sessions): maxproc in master.cf.
sed -i "s/^127.0.0.1:$PPORT inet n - n - - smtpd/127.0.0.1:$PPORT inet n - n - $MAXPROC smtpd/" "$W/postern/master.cf"
sed -i "s/^default_process_limit = .*/default_process_limit = 100/" "$W/postern/main.cf"
java $POSTERN_JAVA_OPTS -jar "$JAR" -c "$W/postern" start-fg >"$W/postern.out" 2>&1 & POSTERN=$!; PIDS+=($POSTERN)
for i in $(seq 1 300); do [ -f "$W/postern/queue/pid/master.pid" ] && (echo >/dev/tcp/127.0.0.1/$PPORT) 2>/dev/null && break; sleep 0.1; done

sent_count() { grep -c "status=sent" "$1" 2>/dev/null || true; }
bench() { java $CLIENT_JAVA_OPTS -jar "$JAR" bench --server 127.0.0.1:$1 --starttls --cert "$W/client-cert.pem" --key "$W/client-key.pem" --ca "$W/CAcert.pem" "${@:2}"; }

echo "exhaustion: $(date -u +%FT%TZ) $(nproc) cores; IDLE=$IDLE from $IDLE_ADDRS addresses, maxproc $MAXPROC; RELOADS=$RELOADS; IDLE_TLS=$IDLE_TLS; open file limit $(ulimit -n); $(java -version 2>&1 | head -1)"

# --- 1. idle connections --------------------------------------------------------------------------
# Idle clients: plain TCP connections that read nothing and say nothing, each process holding at
# most 15,000 (its own descriptor limit), source addresses 127.0.1.1..127.0.1.N (127/8 is all loopback).
cat >"$W/idle.py" <<'PY'
import os, resource, socket, sys, time
port, count, first, addrs, ready = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held, failed = [], 0
for i in range(count):
    n = first + i
    src = "127.0.%d.%d" % (1 + (n % addrs) // 250, 1 + (n % addrs) % 250)
    s = socket.socket()
    s.setblocking(False)
    try:
        s.bind((src, 0))
        s.connect_ex(("127.0.0.1", port))
        held.append(s)
    except OSError:
        failed += 1
        s.close()
time.sleep(2)  # connects complete into the listen backlog or accept()
established = 0
for s in held:
    try:
        s.getpeername(); established += 1
    except OSError:
        pass
open(ready, "w").write("held=%d established=%d failed=%d\n" % (len(held), established, failed))
while True:
    time.sleep(3600)
PY
# RSS and descriptors of one MTA: Postern's one process; Postfix's master and its children.
mta_pids() { if [ "$1" = postern ]; then echo $POSTERN; else local m; m=$(tr -d ' ' <"$W/postfix/queue/pid/master.pid"); echo $m $(pgrep -P $m); fi; }
mta_rss_mib() { local t=0 p; for p in $(mta_pids $1); do t=$((t + $(awk '/VmRSS/{print $2}' /proc/$p/status 2>/dev/null || echo 0))); done; echo $((t / 1024)); }
mta_fds() { local t=0 p; for p in $(mta_pids $1); do t=$((t + $(ls /proc/$p/fd 2>/dev/null | wc -l))); done; echo $t; }
idle_run() { # mta port maillog
  local mta=$1 port=$2 maillog=$3 rss0 per=15000 started=0 k=0 before legit
  local IDLE_PIDS=()
  rm -f "$W"/idle-*.ready
  rss0=$(mta_rss_mib $mta)
  while [ $started -lt $IDLE ]; do
    n=$(( IDLE - started < per ? IDLE - started : per ))
    python3 "$W/idle.py" $port $n $started $IDLE_ADDRS "$W/idle-$k.ready" & PIDS+=($!); IDLE_PIDS+=($!)
    started=$((started + n)); k=$((k + 1))
  done
  for i in $(seq 1 1200); do [ "$(ls "$W"/idle-*.ready 2>/dev/null | wc -l)" -ge $k ] && break; sleep 0.1; done
  local idle_state; idle_state=$(cat "$W"/idle-*.ready | tr '\n' ' ')
  sleep 2
  before=$(sent_count "$maillog")
  legit=$(timeout $LEGIT_TIMEOUT java $CLIENT_JAVA_OPTS -jar "$JAR" bench --server 127.0.0.1:$port --starttls --cert "$W/client-cert.pem" --key "$W/client-key.pem" \
          --ca "$W/CAcert.pem" --concurrency 2 --messages $LEGIT 2>&1 | grep '^RESULT' || echo "RESULT msgs=0 errors=$LEGIT (not done within ${LEGIT_TIMEOUT}s)")
  for i in $(seq 1 300); do [ $(( $(sent_count "$maillog") - before )) -ge $LEGIT ] && break; sleep 0.1; done
  echo "RESULT idle $mta connections=$IDLE addresses=$IDLE_ADDRS process_limit=$MAXPROC idle_clients: $idle_state| legit: ${legit#RESULT } delivered=$(( $(sent_count "$maillog") - before )) | rss_before_mib=$rss0 rss_with_idle_mib=$(mta_rss_mib $mta) fds=$(mta_fds $mta)"
  kill "${IDLE_PIDS[@]}" 2>/dev/null || true
  wait "${IDLE_PIDS[@]}" 2>/dev/null || true
  sleep 3
}
idle_run postern $PPORT "$W/postern/maillog"
echo "postern: accept pauses (EMFILE): $(grep -c 'pausing new connections' "$W/postern/maillog" || true); process limit warnings: $(grep -c 'has reached its process limit' "$W/postern/maillog" || true); idle sessions closed for a newcomer: $(grep -c 'idle session closed after' "$W/postern/maillog" || true)"
HAVE_POSTFIX=no
if [ -x /usr/sbin/postfix ] && [ "$(id -u)" = 0 ]; then
  HAVE_POSTFIX=yes
  IDLE=$(( ${MAXPROC/-/100} - 100 )) bench_postfix_config   # default_process_limit = maxproc, as Postern's
  /usr/sbin/postfix -c "$W/postfix/conf" start >/dev/null 2>&1
  for i in $(seq 1 200); do (echo >/dev/tcp/127.0.0.1/$FPORT) 2>/dev/null && break; sleep 0.1; done
  idle_run postfix $FPORT "$W/postfix/maillog"
  /usr/sbin/postfix -c "$W/postfix/conf" stop >/dev/null 2>&1 || true
  sleep 2
fi

# --- 2. reload under load --------------------------------------------------------------------------
# The client loop: Python's smtplib (independent of both MTAs), STARTTLS with the client
# certificate, one message per connection, two in parallel, until the stop file appears; a
# refused connect and any other failure are counted apart.
cat >"$W/loop.py" <<'PY'
import os, smtplib, ssl, sys, threading
port, ca, cert, key, stop, out = int(sys.argv[1]), *sys.argv[2:7]
ctx = ssl.create_default_context(cafile=ca); ctx.check_hostname = False; ctx.load_cert_chain(cert, key)
n = {"ok": 0, "refused": 0, "failed": 0}; first = []; lock = threading.Lock()
def loop():
    while not os.path.exists(stop):
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
                s.ehlo("load.example"); s.starttls(context=ctx); s.ehlo("load.example")
                s.sendmail("me@my.domain.example", ["someone@somewhere.else.example"], "Subject: reload load\r\n\r\nbody\r\n")
            k = "ok"
        except ConnectionRefusedError:
            k = "refused"
        except Exception as e:
            k = "failed"; first.append(repr(e))
        with lock:
            n[k] += 1
ts = [threading.Thread(target=loop) for _ in range(2)]
[t.start() for t in ts]; [t.join() for t in ts]
open(out, "w").write("sent=%(ok)d refused=%(refused)d failed=%(failed)d" % n + (" first_failure=" + first[0].replace(" ", "_") if first else "") + "\n")
PY
reload_run() { # mta port reload-command...
  local mta=$1 port=$2; shift 2
  rm -f "$W/stop"
  python3 "$W/loop.py" $port "$W/CAcert.pem" "$W/client-cert.pem" "$W/client-key.pem" "$W/stop" "$W/reload-$mta.out" & local b=$!
  sleep 3
  for r in $(seq 1 $RELOADS); do "$@" >>"$W/reload-$mta.cmd" 2>&1 || echo "reload $r failed" >>"$W/reload-$mta.cmd"; sleep $RELOAD_GAP; done
  touch "$W/stop"; wait $b || true
  echo "RESULT reload $mta reloads=$RELOADS $(cat "$W/reload-$mta.out") reload_commands_failed=$(grep -c 'failed$' "$W/reload-$mta.cmd" || true)"
}
reload_run postern $PPORT java $CLIENT_JAVA_OPTS -jar "$JAR" -c "$W/postern" reload
if [ $HAVE_POSTFIX = yes ]; then
  IDLE=0 bench_postfix_config
  /usr/sbin/postfix -c "$W/postfix/conf" start >/dev/null 2>&1
  for i in $(seq 1 200); do (echo >/dev/tcp/127.0.0.1/$FPORT) 2>/dev/null && break; sleep 0.1; done
  reload_run postfix $FPORT /usr/sbin/postfix -c "$W/postfix/conf" reload
  /usr/sbin/postfix -c "$W/postfix/conf" stop >/dev/null 2>&1 || true
fi

# --- 3. idle TLS sessions --------------------------------------------------------------------------
sed -i "s/^127.0.0.1:$PPORT inet n - n - [^ ]* smtpd/127.0.0.1:$PPORT inet n - n - $((IDLE_TLS + 100)) smtpd/" "$W/postern/master.cf"
java $CLIENT_JAVA_OPTS -jar "$JAR" -c "$W/postern" reload >/dev/null
rss0=$(mta_rss_mib postern)
bench $PPORT --idle-sessions $IDLE_TLS --hold 10 >"$W/idle-tls.out" 2>&1 & b=$!
for i in $(seq 1 6000); do grep -q '^IDLE' "$W/idle-tls.out" 2>/dev/null && break; sleep 0.1; done
sleep 1
rss1=$(mta_rss_mib postern)
echo "RESULT idle_tls sessions=$IDLE_TLS $(grep '^IDLE' "$W/idle-tls.out" | tr '\n' ' ')rss_before_mib=$rss0 rss_with_idle_mib=$rss1 per_session_kib=$(( (rss1 - rss0) * 1024 / (IDLE_TLS > 0 ? IDLE_TLS : 1) ))"
wait $b || true
# What the daemon complained about, addresses folded so that one line stands for many clients.
grep -E 'warning|error' "$W/postern/maillog" | sed -E 's/^.{16}//; s/\[[0-9a-f.:]+\]/[ADDR]/g; s/\[[0-9]+\]:/:/' | sort | uniq -c | sort -rn | head -8 | sed 's/^/maillog: /'
