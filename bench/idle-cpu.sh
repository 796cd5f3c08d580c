#!/usr/bin/env bash
# What an idle MTA costs: the seed's setup is a personal one (a desktop MTA, a submission server
# for a few people), idle nearly all the time, so its wake-ups and CPU while nothing happens are
# most of what it ever spends (and what keeps a laptop's CPU out of its deep sleep states).
# Postern and Postfix, same configuration as compare-postfix.sh, both fresh: first a few messages
# through each (so every path that mail wakes has run: connection cache, write watchdog, recycled
# queue files, ...), then QUIET seconds for what mail started to settle, then T seconds measured:
# CPU (utime+stime of every thread of every process) and voluntary context switches (each one a
# sleep that ended: a wake-up), per second. Postern's threads are listed by wake-ups.
#
#   bash bench/idle-cpu.sh                  # as root, Debian postfix package installed; ~3.5 min
# knobs: T=60 (seconds measured) QUIET=110 MESSAGES=20 KEY=rsa2048|ec POSTERN_JAVA_OPTS JAR (another build)
#        POSTERN_EXTRA_CF (main.cf lines for Postern, e.g. lookup tables as the seed's desktop has them)
# Postfix's smtpd and smtp processes outlive their sessions by max_idle (100 s): the default QUIET
# lets them exit, so Postfix is measured with its resident processes (master, qmgr, pickup,
# tlsmgr, ...); a shorter QUIET counts their waits too (as Postfix runs right after mail).
set -euo pipefail
export POSTERN_ALLOW_ROOT=yes  # benchmarks run as root: postern start-fg refuses root without this
here="$(cd "$(dirname "$0")/.." && pwd)"
T=${T:-60}; QUIET=${QUIET:-110}; MESSAGES=${MESSAGES:-20}; KEY=${KEY:-rsa2048}
. "$here/bench/lib.sh"
bench_fresh_pair idle
echo "idle-cpu: $(date -u +%FT%TZ) commit $(cd "$here" && git rev-parse --short HEAD) $(nproc) cores; T=$T QUIET=$QUIET MESSAGES=$MESSAGES KEY=$KEY; Postfix $(/usr/sbin/postconf -c "$W/postfix/conf" -h mail_version); Postern JVM options: $POSTERN_JAVA_OPTS"

sent() { grep -c 'status=sent' "$1" 2>/dev/null || true; }
for mta in postern postfix; do
  port=$PPORT; [ $mta = postfix ] && port=$FPORT
  java $CLIENT_JAVA_OPTS -jar "$JAR" bench --server 127.0.0.1:$port --starttls --ca "$W/CAcert.pem" \
      --cert "$W/client-cert.pem" --key "$W/client-key.pem" --size 4096 --per-connection 1 \
      --messages "$MESSAGES" --concurrency 1 >/dev/null
done
for t in $(seq 1 300); do
  [ "$(sent "$W/postern/maillog")" -ge "$MESSAGES" ] && [ "$(sent "$W/postfix/maillog")" -ge "$MESSAGES" ] && break
  sleep 0.1
done
sleep "$QUIET"

postfix_pids() { local m; m=$(head -1 "$W/postfix/queue/pid/master.pid" | tr -d ' '); echo "$m" $(pgrep -P "$m" || true); }
# One line per thread: "pid/tid cpu_ns voluntary_switches name" (CPU from schedstat: nanoseconds,
# where stat's utime+stime counts 10 ms ticks, too coarse for a minute of sleep)
threads() {
  for p in "$@"; do
    for t in /proc/"$p"/task/*; do
      [ -r "$t/stat" ] || continue
      echo "$p/$(basename "$t") $(cut -d' ' -f1 "$t/schedstat" 2>/dev/null || echo 0) \
$(awk '/^voluntary_ctxt_switches/{print $2}' "$t/status" 2>/dev/null || echo 0) $(tr ' ' _ < "$t/comm" 2>/dev/null || echo gone)"
    done
  done | sort
}
FP="$(postfix_pids)"
threads $POSTERN >"$W/a1"; threads $FP >"$W/f1"
sleep "$T"
threads $POSTERN >"$W/a2"; threads $(postfix_pids) >"$W/f2"
python3 - "$W" "$T" <<'PY'
import collections, re, sys
w, t = sys.argv[1], float(sys.argv[2])
def load(p):
    d = {}
    for line in open(p):
        k, cpu, vcsw, name = line.split()
        d[k] = (int(cpu), int(vcsw), name)
    return d
for mta, a, b in (("postern", "a1", "a2"), ("postfix", "f1", "f2")):
    x, y = load(f"{w}/{a}"), load(f"{w}/{b}")
    groups = collections.defaultdict(lambda: [0, 0])
    for k, (cpu, vcsw, name) in y.items():
        c0, v0, _ = x.get(k, (0, 0, name))  # a thread or process started during the window counts from 0
        g = re.sub(r'[-_]?\d+(-\d+)*$', '', name)
        groups[g][0] += cpu - c0
        groups[g][1] += vcsw - v0
    cpu = sum(g[0] for g in groups.values()) / 1e6
    wake = sum(g[1] for g in groups.values())
    print(f"RESULT idle {mta} seconds={t:.0f} cpu_ms_per_min={cpu * 60 / t:.1f} wakeups_per_s={wake / t:.1f} "
          f"processes={len({k.split('/')[0] for k in y})} threads={len(y)}")
    if mta == "postern":
        for g, (c, v) in sorted(groups.items(), key=lambda kv: -kv[1][1])[:12]:
            if v or c:
                print(f"  {mta} {g}: wakeups_per_s={v / t:.2f} cpu_ms={c / 1e6:.1f}")
PY
