#!/usr/bin/env bash
# Desktop MTA, Postern vs Postfix, same machine, one run (issue 7 §6 and issue 8 §8).
#
# Both desktop MTAs get the same main.cf lines and the same table files (Postfix's hash tables
# postmap'ed): local submission over SMTP on loopback (127.0.0.0/8 in mynetworks, no TLS, as a
# local program), sender_dependent_relayhost_maps choosing the next hop by sender,
# smtp_tls_policy_maps giving that next hop the `secure` policy, a client certificate. The far side
# is ONE shared Postern submission server (the seed's configuration: STARTTLS required, client
# certificate required) relaying to a counting sink, so both MTAs under test talk to the same peer.
#
# Senders and where the table sends them:
#   live@desk.example  -> [127.0.0.1]:FAR   (secure TLS + client certificate; §6 and §8 a, d)
#   plain@desk.example -> relayhost, the sink (no TLS; §8 a: the live destination)
#   deada@desk.example -> a closed port (refused; stays dead: the bulk of the deferred queue)
#   deadb@desk.example -> a closed port that comes back (a sink is started there; §8 b)
#   black@desk.example -> a blackhole: accepts TCP, never answers (§8 d)
#
# Phases (PHASES, default "e2e queue"):
#   e2e   §6: msgs/s (submission and delivered) and the MTA's CPU per message, 1 and 20 messages
#         per connection, clients that do not pipeline (one command per round trip, as smtplib)
#         and, at 20 per connection, clients that pipeline. ROUNDS rounds alternating the MTAs.
#   queue §8: (a) live msgs/s with an empty queue, then with DEFERRED deferred messages (ROUNDS
#         rounds each, medians);
#         (c) RSS with them; (b) time to deliver FLUSH of them after their next hop came back
#         (`postern queue flush` vs `postqueue -f`); (d) live msgs/s while BLACK messages wait
#         on a blackhole, as a ratio to (a)'s empty-queue figure.
# Needs root (Postfix) and the Debian postfix package. Loopback only; bounded in time.
set -euo pipefail
export POSTERN_ALLOW_ROOT=yes  # benchmarks run as root: postern start-fg refuses root without this
here="$(cd "$(dirname "$0")/.." && pwd)"
MESSAGES=${MESSAGES:-2000}
WARMUP=${WARMUP:-1000}
CONCURRENCY=${CONCURRENCY:-20}
SIZE=${SIZE:-4096}
ROUNDS=${ROUNDS:-2}
PHASES=${PHASES:-e2e queue}
DEFERRED=${DEFERRED:-20000}   # deferred messages per MTA for §8 (a) and (c); FLUSH of them come back in (b)
FLUSH=${FLUSH:-10000}
BLACK=${BLACK:-200}           # messages held by the blackhole in (d)
DRAIN_SECS=${DRAIN_SECS:-300} # the longest wait for a batch to be delivered or deferred
# KEEP=1 keeps the work directory (logs, queues) for a look afterwards.
JAR="$here/target/postern.jar"
[ -f "$JAR" ] || (cd "$here" && ./mvnw -q -B -DskipTests -Djdeb.skip=true -Dassembly.skipAssembly=true package)
[ -x /usr/sbin/postfix ] || { echo "desktop-mta: install the Debian postfix package" >&2; exit 1; }
[ "$FLUSH" -le "$DEFERRED" ] || { echo "desktop-mta: FLUSH must not exceed DEFERRED" >&2; exit 1; }
W=$(mktemp -d /tmp/postern-desk.XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() {
  /usr/sbin/postfix -c "$W/postfix/conf" stop >/dev/null 2>&1 || true
  for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "desktop-mta: work directory kept: $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SINK=$(free_port); PPORT=$(free_port); DPORT=$(free_port); FPORT=$(free_port)
DEADA=$(free_port); DEADB=$(free_port); BLACKHOLE=$(free_port)
postern() { java $CLIENT_JAVA_OPTS -jar "$JAR" "$@"; }
. "$here/bench/lib.sh"
HZ=$(getconf CLK_TCK)

bench_pki
java $CLIENT_JAVA_OPTS -jar "$JAR" sink --listen 127.0.0.1:$SINK >"$W/sink.out" 2>&1 & PIDS+=($!)
# The far side: the seed's submission server (lib.sh), relaying to the sink.
bench_postern_config
java $POSTERN_JAVA_OPTS -jar "$JAR" -c "$W/postern" start-fg >"$W/far.out" 2>&1 & PIDS+=($!)
# The blackhole: accepts connections and never says a word.
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1000); held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$BLACKHOLE" & PIDS+=($!)

# The tables and the main.cf lines both desktop MTAs share.
cat >"$W/sender_relay" <<T
live@desk.example [127.0.0.1]:$PPORT
deada@desk.example [127.0.0.1]:$DEADA
deadb@desk.example [127.0.0.1]:$DEADB
black@desk.example [127.0.0.1]:$BLACKHOLE
T
cat >"$W/tls_policy" <<T
[127.0.0.1]:$PPORT secure match=localhost
T
SHARED="mynetworks = 127.0.0.0/8
mydestination =
myhostname = desk.example
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$SINK
sender_dependent_relayhost_maps = hash:$W/sender_relay
smtp_tls_policy_maps = hash:$W/tls_policy
smtp_tls_CAfile = $W/CAcert.pem
smtp_tls_cert_file = $W/client-cert.pem
smtp_tls_key_file = $W/client-key.pem
smtp_tls_loglevel = 1"
echo "$SHARED" >"$W/shared.cf"

# Postern as the desktop MTA.
mkdir -p "$W/desk"
{ echo "$SHARED"; echo "queue_directory = $W/desk/queue"; echo "maillog_file = $W/desk/maillog"; } >"$W/desk/main.cf"
echo "127.0.0.1:$DPORT inet n - n - - smtpd" >"$W/desk/master.cf"
java $POSTERN_JAVA_OPTS -jar "$JAR" -c "$W/desk" start-fg >"$W/desk.out" 2>&1 & PPID_POSTERN=$!; PIDS+=($PPID_POSTERN)

# Postfix as the desktop MTA: its stock master.cf (no chroot), smtpd on our port.
mkdir -p "$W/postfix/conf" "$W/postfix/queue" "$W/postfix/data"
chown postfix "$W/postfix/data"
awk -v port="$FPORT" '/^#/ || /^[ \t]/ || NF<8 {print; next} {$5="n"; if ($1=="smtp" && $2=="inet") {$1="127.0.0.1:" port} print}' \
    /etc/postfix/master.cf >"$W/postfix/conf/master.cf"
cat >"$W/postfix/conf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $W/postfix/queue
data_directory = $W/postfix/data
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
alias_maps =
alias_database =
smtp_host_lookup = native
maillog_file_prefixes = $W
maillog_file = $W/postfix/maillog
$SHARED
CF
/usr/sbin/postmap -c "$W/postfix/conf" "$W/sender_relay" "$W/tls_policy"   # Postern reads the text files
/usr/sbin/postfix -c "$W/postfix/conf" start >/dev/null 2>&1
for i in $(seq 1 300); do
  [ -f "$W/postern/queue/pid/master.pid" ] && [ -f "$W/desk/queue/pid/master.pid" ] \
    && (echo >/dev/tcp/127.0.0.1/$FPORT) 2>/dev/null && (echo >/dev/tcp/127.0.0.1/$DPORT) 2>/dev/null && break
  sleep 0.1
done

cpu_ticks() { # all processes of one MTA, children included
  if [ "$1" = postern ]; then awk '{print $14+$15+$16+$17}' /proc/$PPID_POSTERN/stat
  else
    local master total; master=$(tr -d ' ' <"$W/postfix/queue/pid/master.pid")
    total=$(awk '{print $14+$15+$16+$17}' /proc/$master/stat)
    for c in $(pgrep -P "$master"); do total=$((total + $(awk '{print $14+$15}' /proc/$c/stat 2>/dev/null || echo 0))); done
    echo "$total"
  fi
}
# Memory: Postern's JVM RSS; Postfix: the sum of its processes' PSS (proportional set size, so the
# libraries and text its processes share are counted once, not once per process).
rss_kb() {
  if [ "$1" = postern ]; then awk '/VmRSS/{print $2}' /proc/$PPID_POSTERN/status
  else
    local master t; master=$(tr -d ' ' <"$W/postfix/queue/pid/master.pid")
    t=$(awk '/^Pss:/{print $2}' /proc/$master/smaps_rollup)
    for c in $(pgrep -P "$master"); do t=$((t + $(awk '/^Pss:/{print $2}' /proc/$c/smaps_rollup 2>/dev/null || echo 0))); done; echo "$t"
  fi
}
logdir() { [ "$1" = postern ] && echo "$W/desk" || echo "$W/postfix"; }
count() { grep -c "$2" "$(logdir "$1")/maillog" 2>/dev/null || true; }   # mta pattern
port_of() { [ "$1" = postern ] && echo $DPORT || echo $FPORT; }
now() { date +%s.%N; }
# Waits until COUNT lines matching PATTERN beyond BEFORE are in the MTA's log; prints the time.
await_log() { # mta pattern before count
  local i
  for i in $(seq 1 $((DRAIN_SECS * 20))); do
    [ "$(( $(count "$1" "$2") - $3 ))" -ge "$4" ] && break; sleep 0.05
  done
  now
}
submit() { # mta from messages per_connection [extra bench options]
  local mta=$1 from=$2 n=$3 pc=$4; shift 4
  postern bench --server 127.0.0.1:$(port_of "$mta") --from "$from" --to friend@far.example \
      --concurrency $CONCURRENCY --messages "$n" --per-connection "$pc" --size $SIZE "$@" | grep '^RESULT'
}
# Submits N messages from FROM and waits until all are delivered: submission msgs/s, delivered
# msgs/s (N / time from the first submission to the last delivery), CPU of the MTA per message.
measure() { # mta from messages per_connection [extra bench options]
  local mta=$1 from=$2 n=$3 pc=$4; shift 4
  local sent0 cpu0 t0 out t1 cpu1 delivered
  sent0=$(count "$mta" "status=sent"); cpu0=$(cpu_ticks "$mta"); t0=$(now)
  out=$(submit "$mta" "$from" "$n" "$pc" "$@")
  t1=$(await_log "$mta" "status=sent" "$sent0" "$n"); cpu1=$(cpu_ticks "$mta")
  delivered=$(( $(count "$mta" "status=sent") - sent0 ))
  echo "$out delivered=$delivered delivered_per_s=$(python3 -c "print(round($delivered/($t1-$t0),1))") cpu_ms_per_msg=$(python3 -c "print(round(($cpu1-$cpu0)*1000/$HZ/$n,3))")"
}

echo "desktop-mta: $(date -u +%FT%TZ) commit $(cd "$here" && git rev-parse --short HEAD) $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); rounds $ROUNDS; Postern JVM options: $POSTERN_JAVA_OPTS; Postfix $(/usr/sbin/postconf -c "$W/postfix/conf" -h mail_version 2>/dev/null || echo '?')"
echo "shared main.cf lines:"; sed 's/^/    /' "$W/shared.cf"
# Both must route live@ through secure TLS to the far side before anything is measured.
for mta in postern postfix; do
  submit "$mta" live@desk.example 1 1 >/dev/null
  await_log "$mta" "status=sent" 0 1 >/dev/null
  grep -q "status=sent" "$(logdir "$mta")/maillog" || { echo "desktop-mta: $mta delivered nothing; its log:" >&2; tail -20 "$(logdir "$mta")/maillog" >&2; exit 1; }
done
for mta in postern postfix; do   # secure policy: the far side's certificate must have been verified
  echo "TLS to the far side: $mta: $(grep -m1 -o 'Verified TLS connection established.*' "$(logdir "$mta")/maillog" || echo 'NOT VERIFIED')"
done

if [[ " $PHASES " == *" e2e "* ]]; then
  : >"$W/e2e"
  for scen in "1" "20" "20 --pipelining"; do
    pc=${scen%% *}; opt=""; [ "$scen" != "$pc" ] && opt=${scen#* }
    mode=$([ -n "$opt" ] && echo pipelining || echo lockstep)
    for mta in postern postfix; do measure "$mta" live@desk.example "$WARMUP" "$pc" $opt >/dev/null; done
    for round in $(seq 1 "$ROUNDS"); do
      for mta in postern postfix; do
        r=$(measure "$mta" live@desk.example "$MESSAGES" "$pc" $opt)
        echo "E2E $mta per_connection=$pc client=$mode round=$round $r" | tee -a "$W/e2e"
      done
    done
  done
  python3 - "$W/e2e" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    f = line.split(); kv = dict(x.split("=", 1) for x in f[2:] if "=" in x)
    rows.setdefault((f[1], kv["per_connection"], kv["client"]), []).append(kv)
def med(k, key): return statistics.median(float(r[key]) for r in rows[k])
for (mta, pc, cl) in sorted(rows):
    rs = rows[(mta, pc, cl)]
    print(f"E2E-MEDIAN {mta} per_connection={pc} client={cl} msgs_per_s={med((mta,pc,cl),'msgs_per_s'):.1f} "
          f"delivered_per_s={med((mta,pc,cl),'delivered_per_s'):.1f} cpu_ms_per_msg={med((mta,pc,cl),'cpu_ms_per_msg'):.3f} "
          f"errors={sum(int(r['errors']) for r in rs)} undelivered={sum(int(r['msgs'])-int(r['delivered']) for r in rs)}")
for (mta, pc, cl) in sorted(rows):
    if mta != "postern": continue
    a, b = (mta, pc, cl), ("postfix", pc, cl)
    print(f"E2E-RATIO per_connection={pc} client={cl} submit_postern/postfix={med(a,'msgs_per_s')/med(b,'msgs_per_s'):.2f} "
          f"delivered_postern/postfix={med(a,'delivered_per_s')/med(b,'delivered_per_s'):.2f} "
          f"cpu_per_msg_postern/postfix={med(a,'cpu_ms_per_msg')/med(b,'cpu_ms_per_msg'):.2f} (targets: >= 1.5, <= 0.5)")
PY
fi

if [[ " $PHASES " == *" queue "* ]]; then
  # (a) the live destination with an empty queue: the sink, no TLS, 20 messages per connection.
  for mta in postern postfix; do measure "$mta" plain@desk.example "$WARMUP" 20 >/dev/null; done
  for round in $(seq 1 "$ROUNDS"); do
    for mta in postern postfix; do
      echo "Q-EMPTY $mta round=$round $(measure "$mta" plain@desk.example "$MESSAGES" 20) rss_mib=$(( $(rss_kb "$mta") / 1024 ))" | tee -a "$W/queue"
    done
  done
  # Fill: DEFERRED-FLUSH to the dead-for-good port, FLUSH to the one that comes back; wait until
  # every one of them is deferred.
  for mta in postern postfix; do
    d0=$(count "$mta" "status=deferred"); t0=$(now)
    SIZE=1024 submit "$mta" deada@desk.example $((DEFERRED - FLUSH)) 100 >/dev/null || true
    SIZE=1024 submit "$mta" deadb@desk.example "$FLUSH" 100 >/dev/null || true
    t1=$(await_log "$mta" "status=deferred" "$d0" "$DEFERRED")
    echo "Q-FILL $mta deferred=$(( $(count "$mta" "status=deferred") - d0 )) secs=$(python3 -c "print(round($t1-$t0,1))") rss_mib=$(( $(rss_kb "$mta") / 1024 ))" | tee -a "$W/queue"
  done
  # (c) RSS with the deferred messages (after they settled), and the queue files on disk.
  for mta in postern postfix; do
    sleep 2
    echo "Q-RSS $mta deferred_files=$(find "$( [ $mta = postern ] && echo "$W/desk/queue" || echo "$W/postfix/queue")/deferred" -type f | wc -l) rss_mib=$(( $(rss_kb "$mta") / 1024 ))" | tee -a "$W/queue"
  done
  # (a) the live destination again, with the deferred messages in the queue.
  for round in $(seq 1 "$ROUNDS"); do
    for mta in postern postfix; do
      echo "Q-DEFERRED $mta round=$round $(measure "$mta" plain@desk.example "$MESSAGES" 20) rss_mib=$(( $(rss_kb "$mta") / 1024 ))" | tee -a "$W/queue"
    done
  done
  # (b) the next hop of FLUSH of them comes back: flush, time until all FLUSH are delivered.
  java $CLIENT_JAVA_OPTS -jar "$JAR" sink --listen 127.0.0.1:$DEADB >"$W/sinkb.out" 2>&1 & PIDS+=($!)
  for i in $(seq 1 100); do (echo >/dev/tcp/127.0.0.1/$DEADB) 2>/dev/null && break; sleep 0.1; done
  for mta in postern postfix; do
    s0=$(count "$mta" "status=sent"); cpu0=$(cpu_ticks "$mta"); t0=$(now); started=$(date -u +%T)
    if [ "$mta" = postern ]; then postern -c "$W/desk" queue flush >/dev/null
    else /usr/sbin/postqueue -c "$W/postfix/conf" -f; fi
    t1=$(await_log "$mta" "status=sent" "$s0" "$FLUSH"); cpu1=$(cpu_ticks "$mta")
    echo "Q-FLUSH $mta started=$started delivered=$(( $(count "$mta" "status=sent") - s0 )) of=$FLUSH secs=$(python3 -c "print(round($t1-$t0,2))") cpu_ms_per_msg=$(python3 -c "print(round(($cpu1-$cpu0)*1000/$HZ/$FLUSH,3))") rss_mib=$(( $(rss_kb "$mta") / 1024 ))" | tee -a "$W/queue"
  done
  # (d) BLACK messages wait on the blackhole (connections that never answer) while the live
  # destination is measured again.
  for mta in postern postfix; do
    SIZE=1024 submit "$mta" black@desk.example "$BLACK" 20 >/dev/null || true
    sleep 1
  done
  for round in $(seq 1 "$ROUNDS"); do   # the blackhole holds its connections for smtp_helo_timeout (300s)
    for mta in postern postfix; do
      echo "Q-BLACKHOLE $mta round=$round $(measure "$mta" plain@desk.example "$MESSAGES" 20) blackhole_connections=$(ss -Htn state established "( dport = :$BLACKHOLE )" | wc -l)" | tee -a "$W/queue"
    done
  done
  python3 - "$W/queue" "$DEFERRED" "$FLUSH" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    f = line.split(); rows.setdefault((f[0], f[1]), []).append(dict(x.split("=", 1) for x in f[2:] if "=" in x))
def med(kind, m, k): return statistics.median(float(r[k]) for r in rows[(kind, m)])
for m in ("postern", "postfix"):
    for kind in ("Q-EMPTY", "Q-DEFERRED", "Q-BLACKHOLE"):
        rs = rows[(kind, m)]
        print(f"Q-MEDIAN {kind} {m} rounds={len(rs)} msgs_per_s={med(kind, m, 'msgs_per_s'):.1f} delivered_per_s={med(kind, m, 'delivered_per_s'):.1f} "
              f"cpu_ms_per_msg={med(kind, m, 'cpu_ms_per_msg'):.3f} errors={sum(int(r['errors']) for r in rs)} undelivered={sum(int(r['msgs'])-int(r['delivered']) for r in rs)}")
for m in ("postern", "postfix"):
    e = lambda k: med("Q-EMPTY", m, k)
    print(f"Q-RATIO {m} deferred={sys.argv[2]} delivered_per_s_with/empty={med('Q-DEFERRED', m, 'delivered_per_s')/e('delivered_per_s'):.2f} "
          f"submit_per_s_with/empty={med('Q-DEFERRED', m, 'msgs_per_s')/e('msgs_per_s'):.2f} (target >= 0.9) "
          f"blackhole_delivered_per_s/empty={med('Q-BLACKHOLE', m, 'delivered_per_s')/e('delivered_per_s'):.2f} "
          f"flush_{sys.argv[3]}_secs={rows[('Q-FLUSH', m)][0]['secs']} rss_mib_with_deferred={rows[('Q-RSS', m)][0]['rss_mib']}")
pf, px = rows[("Q-FLUSH", "postern")][0], rows[("Q-FLUSH", "postfix")][0]
print(f"Q-RATIO flush_time_postern/postfix={float(pf['secs'])/float(px['secs']):.2f}")
PY
fi
