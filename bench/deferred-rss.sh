#!/usr/bin/env bash
# Issue 8 §8c: Postern's RSS with a huge deferred queue (target: <= 512 MiB with 1,000,000).
# Fills deferred/ with N small valid queue files not due for a day (DeferredFiller: no fsync, so
# it is quick) plus DUE files due now, starts the daemon (bin/postern's JVM options) relaying to
# a local sink, and reports: the time until every due file was found and delivered (one full walk
# of deferred/, since the due files are spread through the directory), the qmgr thread's CPU per
# walk, the peak and final RSS while it walks deferred/ every RUN_DELAY for WATCH seconds, and
# the time a fresh message takes to go through meanwhile.
# Env: N (1000000), DUE (1000), RUN_DELAY (queue_run_delay, 20s), WATCH (60), POSTERN_JAVA_OPTS,
#      DAEMON_JAR (another build's jar for the daemon, to compare), HEAP=1 (print the heap and its biggest classes at the end, jcmd), TMPDIR (where the queue goes, /var/tmp; /dev/shm fills ~20x faster on a slow disk, ~4 KiB
#      of RAM per file), KEEP=1 to keep the work directory.
set -euo pipefail
export POSTERN_ALLOW_ROOT=yes  # benchmarks run as root: postern start-fg refuses root without this
here="$(cd "$(dirname "$0")/.." && pwd)"
N=${N:-1000000}; DUE=${DUE:-1000}; RUN_DELAY=${RUN_DELAY:-20s}; WATCH=${WATCH:-60}
JAR="$here/target/postern.jar"
[ -f "$JAR" ] || (cd "$here" && ./mvnw -q -B -DskipTests -Djdeb.skip=true -Dassembly.skipAssembly=true package)
W=$(mktemp -d "${TMPDIR:-/var/tmp}/postern-deferred.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
            if [ -z "${KEEP:-}" ]; then rm -rf "$W"; else echo "kept $W"; fi; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SINK=$(free_port); PPORT=$(free_port)
POSTERN_JAVA_OPTS="${POSTERN_JAVA_OPTS-$(sed -n 's/^daemon_opts="\(.*\)"$/\1/p' "$here/bin/postern")}"  # the launcher's, for the daemon
CLIENT_JAVA_OPTS="${CLIENT_JAVA_OPTS-$(sed -n 's/^cli_opts="\(.*\)"$/\1/p' "$here/bin/postern")}"  # and for the sink
mkdir -p "$W/postern"
cat >"$W/postern/main.cf" <<CF
myhostname = localhost
queue_directory = $W/postern/queue
maillog_file = $W/postern/maillog
relayhost = [127.0.0.1]:$SINK
queue_run_delay = $RUN_DELAY
mynetworks = 127.0.0.0/8
CF
cat >"$W/postern/master.cf" <<CF
127.0.0.1:$PPORT inet n - n - - smtpd
  -o smtpd_relay_restrictions=permit_mynetworks,reject
  -o smtpd_recipient_restrictions=permit_mynetworks,reject
CF
echo "filling deferred/ with $N files not due and $DUE due ..."
t0=$(date +%s.%N)
java -cp "$JAR" dev.postern.queue.DeferredFiller "$W/postern/queue" "$N" 86400
java -cp "$JAR" dev.postern.queue.DeferredFiller "$W/postern/queue" "$DUE" -1 >/dev/null
echo "fill: $(python3 -c "print(round($(date +%s.%N)-$t0,1))") s, $(du -sh "$W/postern/queue/deferred" | cut -f1) on disk"
java $CLIENT_JAVA_OPTS -jar "$JAR" sink --listen 127.0.0.1:$SINK >"$W/sink.out" 2>&1 & PIDS+=($!)
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true  # a cold walk where allowed (root)
start=$(date +%s.%N)
java $POSTERN_JAVA_OPTS -jar "${DAEMON_JAR:-$JAR}" -c "$W/postern" start-fg >"$W/postern.out" 2>&1 & P=$!; PIDS+=($P)
rss() { awk '/VmRSS/{print $2}' /proc/$P/status 2>/dev/null || echo 0; }
qmgr_cpu_ms() { for t in /proc/$P/task/*; do [ "$(cat $t/comm 2>/dev/null)" != qmgr ] || awk -v hz="$(getconf CLK_TCK)" '{print int(($14+$15)*1000/hz)}' $t/stat; done | head -1 || true; }
sent() { local n; n=$(grep -c "status=sent" "$W/postern/maillog" 2>/dev/null || true); echo "${n:-0}"; }
peak=0
sample() { local r; r=$(rss); [ "${r:-0}" -gt "$peak" ] && peak=$r; true; }
while [ "$(sent)" -lt "$DUE" ]; do
  kill -0 $P 2>/dev/null || { echo "postern died:"; tail -20 "$W/postern.out"; exit 1; }
  sample; sleep 0.2
done
walk=$(python3 -c "print(round($(date +%s.%N)-$start,1))")
cpu1=$(qmgr_cpu_ms)
echo "first walk: all $DUE due messages delivered $walk s after start (JVM start included); qmgr thread CPU ${cpu1} ms; RSS $(( $(rss) / 1024 )) MiB"
# Fresh mail while deferred/ is walked again and again.
end=$(( $(date +%s) + WATCH )); fresh_ms=()
while [ "$(date +%s)" -lt "$end" ]; do
  before=$(sent); f0=$(date +%s%N)
  python3 - "$PPORT" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1])); s.sendmail("alice@sender.example", ["fresh@fresh.example"], "Subject: fresh\r\n\r\nfresh\r\n"); s.quit()
PY
  while [ "$(sent)" -le "$before" ]; do sample; sleep 0.05; done
  fresh_ms+=($(( ($(date +%s%N) - f0) / 1000000 )))
  for i in $(seq 1 20); do sample; sleep 0.25; done
done
cpu2=$(qmgr_cpu_ms)
echo "after ${WATCH}s more (walks every $RUN_DELAY): qmgr thread CPU $((cpu2 - cpu1)) ms; fresh mail submit-to-sent ms: ${fresh_ms[*]}"
fresh_delay=$(grep 'to=<fresh@fresh.example>' "$W/postern/maillog" | sed -n 's/.*, delay=\([0-9.]*\),.*/\1/p' | tr '\n' ' ')
echo "fresh mail delay= (arrival to delivered, from the mail log, s): $fresh_delay"
if [ -n "${HEAP:-}" ]; then jcmd $P GC.heap_info | sed -n '2,4p'; jcmd $P GC.class_histogram | head -12; fi
echo "RESULT deferred=$N rss_peak_mib=$((peak / 1024)) rss_end_mib=$(( $(rss) / 1024 )) first_walk_s=$walk deferred_left=$(ls -f "$W/postern/queue/deferred" | grep -vc '^\.')"
