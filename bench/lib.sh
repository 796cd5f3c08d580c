# Shared by the bench scripts (sourced): the PKI and Postern's side of the benchmark setup.
# Expects W (work directory), JAR, SINK and PPORT to be set.

# A free loopback port for a server started later: Postfix's master.cf needs a number, so ports are
# picked before the servers bind them.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# For `trap bench_cleanup EXIT`: stops the Postfix instance in $W/postfix (if one was started) and
# the processes in PIDS, then removes $W.
bench_cleanup() {
  /usr/sbin/postfix -c "$W/postfix/conf" stop >/dev/null 2>&1 || true
  for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}

# For scripts that compare a fresh Postern with a fresh Postfix, one of each: builds the jar if
# JAR (default target/postern.jar) is missing, checks for Postfix, makes W (removed at exit with
# everything started), then starts a sink, Postern and Postfix (the seed's submission lines,
# KEY's certificates, both relaying to the sink) and returns once both listen. Sets JAR, W, SINK,
# PPORT, FPORT and POSTERN (the daemon's PID). bench_fresh_pair NAME (for messages and W's name).
bench_fresh_pair() {
  local name=$1 p t
  JAR="${JAR:-$here/target/postern.jar}"
  [ -f "$JAR" ] || (cd "$here" && ./mvnw -q -B -DskipTests -Djdeb.skip=true -Dassembly.skipAssembly=true package)
  [ -x /usr/sbin/postfix ] || { echo "$name: install the Debian postfix package" >&2; exit 1; }
  W=$(mktemp -d "/tmp/postern-$name.XXXXXX"); chmod 755 "$W"; PIDS=()
  trap bench_cleanup EXIT
  SINK=$(free_port); PPORT=$(free_port); FPORT=$(free_port)
  bench_pki "${KEY:-rsa2048}"
  java $CLIENT_JAVA_OPTS -jar "$JAR" sink --listen 127.0.0.1:$SINK >"$W/sink.out" 2>&1 & PIDS+=($!)
  bench_postern_config
  java $POSTERN_JAVA_OPTS -jar "$JAR" -c "$W/postern" start-fg >"$W/postern.out" 2>&1 & POSTERN=$!; PIDS+=($POSTERN)
  IDLE_POSTFIX=0 POSTFIX_PROCESSES=100 bench_postfix_config
  /usr/sbin/postfix -c "$W/postfix/conf" start >/dev/null 2>&1
  for p in $PPORT $FPORT; do for t in $(seq 1 300); do (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done; done
}

# A CA, a server certificate (localhost, 127.0.0.1) and a client certificate, with Postern's CA
# commands; the CA certificate is appended to $W/CAcert.pem (the CA file of both MTAs).
# bench_pki [KEYTYPE [PREFIX]]: KEYTYPE ec (P-256, the default) or rsa2048 (TinyCA2's, what the
# seed's users have); files $W/PREFIXserver-cert.pem, ...-key.pem, PREFIXclient-cert.pem, ...
bench_pki() {
  local type=${1:-ec} pre=${2:-}
  java $CLIENT_JAVA_OPTS -jar "$JAR" ca init --dir "$W/${pre}ca" --cn "Bench CA $type" --key "$type" >/dev/null
  java $CLIENT_JAVA_OPTS -jar "$JAR" ca server --dir "$W/${pre}ca" --cn localhost --dns localhost --dns 127.0.0.1 \
      --out-cert "$W/${pre}server-cert.pem" --out-key "$W/${pre}server-key.pem" >/dev/null
  java $CLIENT_JAVA_OPTS -jar "$JAR" ca client --dir "$W/${pre}ca" --cn desktop.example.org \
      --out-cert "$W/${pre}client-cert.pem" --out-key "$W/${pre}client-key.pem" >/dev/null
  cat "$W/${pre}ca/ca-cert.pem" >>"$W/CAcert.pem"
  chmod 644 "$W"/*.pem
}

# Postern's configuration in $W/postern with the seed's submission lines (STARTTLS required, the
# client certificate is the permission to relay, loopback not in mynetworks), relaying to the sink.
bench_postern_config() {
  mkdir -p "$W/postern"
  cat >"$W/postern/main.cf" <<CF
smtpd_tls_req_ccert = yes
smtpd_tls_CAfile = $W/CAcert.pem
smtpd_tls_cert_file = $W/server-cert.pem
smtpd_tls_key_file = $W/server-key.pem
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
myhostname = localhost
mynetworks = 192.0.2.0/24
smtpd_client_connection_count_limit = 0
# As Postfix in compare-postfix.sh: room for the idle-session scenario (master.cf maxproc "-").
default_process_limit = $(( ${IDLE:-1000} + 100 ))
queue_directory = $W/postern/queue
maillog_file = $W/postern/maillog
relayhost = [127.0.0.1]:$SINK
CF
  # POSTERN_EXTRA_CF: more main.cf lines for Postern only (e.g. to measure a parameter's cost)
  [ -z "${POSTERN_EXTRA_CF:-}" ] || printf '%s\n' "$POSTERN_EXTRA_CF" >>"$W/postern/main.cf"
  cat >"$W/postern/master.cf" <<CF
127.0.0.1:$PPORT inet n - n - - smtpd
  -o smtpd_enforce_tls=yes
  -o smtpd_tls_req_ccert=yes
  -o smtpd_recipient_restrictions=permit_mynetworks,permit_tls_all_clientcerts,reject
CF
  # RSA_PPORT: a second listener, same lines, with the RSA-2048 server certificate (bench_pki rsa2048 rsa-)
  if [ -n "${RSA_PPORT:-}" ]; then
    cat >>"$W/postern/master.cf" <<CF
127.0.0.1:$RSA_PPORT inet n - n - - smtpd
  -o smtpd_enforce_tls=yes
  -o smtpd_tls_req_ccert=yes
  -o smtpd_recipient_restrictions=permit_mynetworks,permit_tls_all_clientcerts,reject
  -o smtpd_tls_cert_file=$W/rsa-server-cert.pem
  -o smtpd_tls_key_file=$W/rsa-server-key.pem
CF
  fi
}

# The JVM options bin/postern gives the daemon (see BENCHMARKS.md for why), read from it.
POSTERN_JAVA_OPTS="${POSTERN_JAVA_OPTS-$(sed -n 's/^daemon_opts="\(.*\)"$/\1/p' "$here/bin/postern")}"
[ -n "$POSTERN_JAVA_OPTS" ] || { echo "bench: no daemon_opts line in $here/bin/postern" >&2; exit 1; }
# And the ones it gives every other command: the load generator (`postern bench`), the sink and
# `postern ca` run with them. The generator shares the machine with the MTA it measures; with the
# JVM's defaults (tiered C2, G1) a 1,500-message run cost it 4.9-5.3 ms of CPU per message at one
# message per connection, with these 2.7-3.1 (2026-12-02), which leaves the MTAs that much more CPU.
CLIENT_JAVA_OPTS="${CLIENT_JAVA_OPTS-$(sed -n 's/^cli_opts="\(.*\)"$/\1/p' "$here/bin/postern")}"
[ -n "$CLIENT_JAVA_OPTS" ] || { echo "bench: no cli_opts line in $here/bin/postern" >&2; exit 1; }

# Postfix with the same submission lines in $W/postfix (conf, queue, data), listening on
# 127.0.0.1:$FPORT and relaying to the sink; RSA_FPORT: a second listener with the RSA-2048 server
# certificate (bench_pki rsa2048 rsa-); default_process_limit = POSTFIX_PROCESSES (Postfix needs one
# smtpd process per session), else as bench_postern_config's. Used by compare-postfix.sh and
# exhaustion.sh.
bench_postfix_config() {
  mkdir -p "$W/postfix/conf" "$W/postfix/queue" "$W/postfix/data"
  chown postfix "$W/postfix/data"
  awk -v port="$FPORT" 'BEGIN{OFS=" "} /^#/ || /^[ \t]/ || NF<8 {print; next} {$5="n"; if ($1=="smtp" && $2=="inet") {$1="127.0.0.1:" port} print}' /etc/postfix/master.cf >"$W/postfix/conf/master.cf"
  cat >>"$W/postfix/conf/master.cf" <<CF
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_req_ccert=yes
  -o smtpd_recipient_restrictions=permit_mynetworks,permit_tls_all_clientcerts,reject
CF
  python3 - "$W/postfix/conf/master.cf" "$FPORT" <<'PY'
import sys
p, port = sys.argv[1], sys.argv[2]
lines = open(p).read().split("\n")
smtpd = [l for l in lines if l.startswith("127.0.0.1:" + port)]
rest = [l for l in lines if not l.startswith("127.0.0.1:" + port)]
tail = [l for l in rest if l.startswith("  -o ")]
rest = [l for l in rest if not l.startswith("  -o ")]
open(p, "w").write("\n".join(rest + smtpd + tail) + "\n")
PY
  if [ -n "${RSA_FPORT:-}" ]; then
    cat >>"$W/postfix/conf/master.cf" <<CF
127.0.0.1:$RSA_FPORT inet n - n - - smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_req_ccert=yes
  -o smtpd_recipient_restrictions=permit_mynetworks,permit_tls_all_clientcerts,reject
  -o smtpd_tls_cert_file=$W/rsa-server-cert.pem
  -o smtpd_tls_key_file=$W/rsa-server-key.pem
CF
  fi
  cat >"$W/postfix/conf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $W/postfix/queue
data_directory = $W/postfix/data
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = localhost
mydestination =
alias_maps =
alias_database =
mynetworks = 192.0.2.0/24
relayhost = [127.0.0.1]:$SINK
smtp_host_lookup = native
smtpd_tls_CAfile = $W/CAcert.pem
smtpd_tls_cert_file = $W/server-cert.pem
smtpd_tls_key_file = $W/server-key.pem
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtpd_relay_restrictions = permit_mynetworks, permit_tls_all_clientcerts, reject
smtpd_client_connection_count_limit = 0
default_process_limit = ${POSTFIX_PROCESSES:-$(( ${IDLE:-1000} + 100 ))}
maillog_file_prefixes = $W
maillog_file = $W/postfix/maillog
CF
}
