#!/usr/bin/env bash
# Postern's SMTP client delivering to a real Postfix next hop: how long a new connection takes to set
# up (the `c` of each delivery's delays=a/b/c/d: connect, greeting, EHLO, STARTTLS, the TLS handshake
# with the client certificate, EHLO again), one Postfix and one sink for every build measured.
#
# Why: Postfix's smtpd leaves Nagle on (vstream_tweak.c), writes its TLS 1.3 session ticket after
# the client's Finished and then holds its reply to the client's EHLO until the ticket's ACK comes
# back; a client whose EHLO left before the ticket arrived ACKs only when its delayed-ACK timer
# fires (~40 ms). Postern's client acknowledges at once from the handshake's end to that reply
# (TCP_QUICKACK). Connections with c >= 0.04 s are counted as `stalled=`.
#
#   bash bench/relay-to-postfix.sh                      # target/postern.jar
#   JARS="old/postern.jar target/postern.jar" ROUNDS=2 bash bench/relay-to-postfix.sh
# knobs: JARS, ROUNDS=1 (alternating the builds), N=400 messages per round, WARM=300 (per build, not
#        counted), CONCURRENCY=1 (submissions at a time to the desktop MTA). Each connection to
#        Postfix carries at most two messages (smtp_connection_reuse_count_limit = 1), so about N/2
#        connections are set up per round. Needs root and the Debian postfix package; loopback only.
set -euo pipefail
export POSTERN_ALLOW_ROOT=yes  # benchmarks run as root: postern start-fg refuses root without this
here="$(cd "$(dirname "$0")/.." && pwd)"
JARS=${JARS:-$here/target/postern.jar}; ROUNDS=${ROUNDS:-1}; N=${N:-400}; WARM=${WARM:-300}; CONCURRENCY=${CONCURRENCY:-1}
JAR=${JARS%% *}  # lib.sh's CA commands and the sink
[ -x /usr/sbin/postfix ] || { echo "relay-to-postfix: install the Debian postfix package" >&2; exit 1; }
W=$(mktemp -d /tmp/postern-relay.XXXXXX); chmod 755 "$W"
PIDS=()
. "$here/bench/lib.sh"
trap bench_cleanup EXIT
SINK=$(free_port); FPORT=$(free_port)
bench_pki ec
java $CLIENT_JAVA_OPTS -jar "$JAR" sink --listen 127.0.0.1:$SINK >"$W/sink.out" 2>&1 & PIDS+=($!)
IDLE_POSTFIX=0 POSTFIX_PROCESSES=100 bench_postfix_config
/usr/sbin/postfix -c "$W/postfix/conf" start >/dev/null 2>&1

# One desktop MTA per build: local submission on loopback, everything relayed to Postfix over TLS
# (encrypt, the client certificate that Postfix requires).
i=0; PORTS=()
for jar in $JARS; do
  i=$((i + 1)); d="$W/desk$i"; port=$(free_port); PORTS+=($port); mkdir -p "$d"
  cat >"$d/main.cf" <<CF
mynetworks = 127.0.0.0/8
mydestination =
myhostname = desk.example
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$FPORT
smtp_tls_security_level = encrypt
smtp_tls_CAfile = $W/CAcert.pem
smtp_tls_cert_file = $W/client-cert.pem
smtp_tls_key_file = $W/client-key.pem
smtp_tls_loglevel = 1
smtp_connection_reuse_count_limit = 1
queue_directory = $d/queue
maillog_file = $d/maillog
CF
  echo "127.0.0.1:$port inet n - n - - smtpd" >"$d/master.cf"
  java $POSTERN_JAVA_OPTS -jar "$jar" -c "$d" start-fg >"$d.out" 2>&1 & PIDS+=($!)
done
for p in $FPORT "${PORTS[@]}"; do
  for t in $(seq 1 300); do (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
done
sent() { grep -c 'status=sent' "$1/maillog" 2>/dev/null || true; }
submit() { # desk_dir port messages: submit and wait until all are relayed
  local before; before=$(sent "$1")
  java $CLIENT_JAVA_OPTS -jar "$JAR" bench --server 127.0.0.1:$2 --concurrency $CONCURRENCY --messages $3 \
      --per-connection 1 --size 2048 | grep -q 'errors=0' || echo "relay-to-postfix: submission errors in $1" >&2
  for t in $(seq 1 1200); do [ $(( $(sent "$1") - before )) -ge "$3" ] && return; sleep 0.1; done
  echo "relay-to-postfix: not all relayed in $1" >&2
}
i=0; for jar in $JARS; do i=$((i + 1)); submit "$W/desk$i" "${PORTS[$((i - 1))]}" "$WARM"; done
echo "relay-to-postfix: $(date -u +%FT%TZ) $(nproc) cores; Postfix $(/usr/sbin/postconf -c "$W/postfix/conf" -h mail_version); N=$N per round, WARM=$WARM, CONCURRENCY=$CONCURRENCY"
for r in $(seq 1 "$ROUNDS"); do
  i=0
  for jar in $JARS; do
    i=$((i + 1)); d="$W/desk$i"; skip=$(wc -l <"$d/maillog")
    submit "$d" "${PORTS[$((i - 1))]}" "$N"
    tail -n +$((skip + 1)) "$d/maillog" >"$W/round"
    # delays=a/b/c/d: c > 0 only on a delivery that set up a new connection (Postfix: 0 on a reused one)
    awk -v jar="$jar" -v r="$r" '
      /status=sent/ && match($0, /delays=[0-9.\/]+/) { split(substr($0, RSTART + 7, RLENGTH - 7), d, "/"); n++; c = d[3] + 0
        if (c > 0) { setup++; if (c >= 0.04) stalled++; hist[c]++ } }
      /TLS connection established to/ { tls++ }
      END { printf "RESULT jar=%s round=%d sent=%d tls_connections=%d setup_gt0=%d stalled=%d c_histogram=", jar, r, n, tls, setup, stalled + 0
            for (k in hist) printf "%s:%d,", k, hist[k]; print "" }' "$W/round"
  done
done
