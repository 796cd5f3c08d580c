#!/usr/bin/env bash
# Whole sessions from Python's smtplib (a client nobody here wrote, one command per round trip, Nagle
# on, as swaks and many MUAs) against Postern and Postfix, one session at a time, alternating the
# MTAs, both fresh (started for the run: the seed's volume, not the matrix's warm saturation).
# Prints, per MTA and per block of sessions, the median and 90th percentile of a whole session
# (connect to the 221 after QUIT) and the median of each step: a stall in one step (e.g. ~40 ms of
# delayed ACK after STARTTLS) shows as that step's median.
#
#   bash bench/smtplib-sessions.sh            # 300 sessions per MTA, RSA-2048 certificates
# knobs: N=300 sessions per MTA, GAP=0.2 seconds between pairs, KEY=rsa2048|ec, POSTERN_JAVA_OPTS, JAR (another build)
# Needs root and the Debian postfix package; loopback only.
set -euo pipefail
export POSTERN_ALLOW_ROOT=yes  # benchmarks run as root: postern start-fg refuses root without this
here="$(cd "$(dirname "$0")/.." && pwd)"
N=${N:-300}; GAP=${GAP:-0.2}; KEY=${KEY:-rsa2048}
. "$here/bench/lib.sh"
bench_fresh_pair smtplib
echo "smtplib-sessions: $(date -u +%FT%TZ) commit $(cd "$here" && git rev-parse --short HEAD) $(nproc) cores; N=$N GAP=$GAP KEY=$KEY; Postfix $(/usr/sbin/postconf -c "$W/postfix/conf" -h mail_version); $(python3 -V); Postern JVM options: $POSTERN_JAVA_OPTS"
python3 - "$W" "$PPORT" "$FPORT" "$N" "$GAP" <<'PY'
import smtplib, ssl, statistics, sys, time
w, pport, fport, n, gap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
ctx = ssl.create_default_context(cafile=f"{w}/CAcert.pem")
ctx.load_cert_chain(f"{w}/client-cert.pem", f"{w}/client-key.pem")
msg = "From: a@desk.example\r\nTo: b@example.org\r\nSubject: bench\r\n\r\n" + "x" * 2000 + "\r\n"
steps = ["connect", "ehlo", "starttls", "ehlo2", "mail", "rcpt", "data", "quit"]
runs = {"postern": [], "postfix": []}
for i in range(n):
    pair = (("postern", pport), ("postfix", fport))
    for mta, port in (pair if i % 2 == 0 else pair[::-1]):
        t = [time.perf_counter()]
        s = smtplib.SMTP("127.0.0.1", port, local_hostname="desk.example"); t.append(time.perf_counter())
        s.ehlo(); t.append(time.perf_counter())
        s.starttls(context=ctx); t.append(time.perf_counter())
        s.ehlo(); t.append(time.perf_counter())
        code = s.mail("a@desk.example")[0]; t.append(time.perf_counter())
        code = max(code, s.rcpt("b@example.org")[0]); t.append(time.perf_counter())
        code = max(code, s.data(msg)[0]); t.append(time.perf_counter())
        s.quit(); t.append(time.perf_counter())
        if code != 250:
            sys.exit(f"smtplib-sessions: {mta} answered {code}")
        runs[mta].append([(b - a) * 1000 for a, b in zip(t, t[1:])])
    time.sleep(gap)
for lo, hi in ((0, min(50, n)), (min(50, n), min(150, n)), (min(150, n), n)):
    if hi <= lo:
        continue
    for mta in ("postern", "postfix"):
        part = runs[mta][lo:hi]
        whole = sorted(sum(r) for r in part)
        per = " ".join(f"{name}={statistics.median(r[k] for r in part):.2f}" for k, name in enumerate(steps))
        print(f"RESULT {mta} sessions={lo + 1}-{hi} session_p50_ms={statistics.median(whole):.2f} "
              f"session_p90_ms={whole[int(len(whole) * 0.9)]:.2f} step_p50_ms: {per}")
PY
