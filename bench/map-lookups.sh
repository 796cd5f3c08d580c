#!/usr/bin/env bash
# A 1,000,000-entry hash table: Postern's load time, RSS and in-process lookups/s (postern map
# --bench, the same LookupTable the server uses; keys that exist, visited in a cache-hostile order,
# one thread) next to postmap's compile time and RSS for the same source file, in one run.
# Not a unit test: numbers depend on the machine; run it on an idle one.
#   ENTRIES=1000000 LOOKUPS=20000000 bash bench/map-lookups.sh
set -euo pipefail
export POSTERN_ALLOW_ROOT=yes  # benchmarks run as root: postern start-fg refuses root without this
here="$(cd "$(dirname "$0")/.." && pwd)"
JAR="$here/target/postern.jar"
[ -f "$JAR" ] || (cd "$here" && ./mvnw -q -B -DskipTests -Djdeb.skip=true -Dassembly.skipAssembly=true package)
ENTRIES=${ENTRIES:-1000000}
LOOKUPS=${LOOKUPS:-20000000}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# The sender_dependent_relayhost_maps shape: user@domain -> [relay]:587
awk -v n="$ENTRIES" 'BEGIN { for (i = 0; i < n; i++)
  printf "user%d@domain%d.example\t[relay%d.example]:587\n", i, i % 5000, i % 97 }' >"$W/table"
echo "table: $ENTRIES entries, $(du -h "$W/table" | cut -f1); load average: $(cut -d' ' -f1-3 /proc/loadavg)"

if command -v postmap >/dev/null; then
  cp "$W/table" "$W/pf-table"
  mkdir -p "$W/pf" && : >"$W/pf/main.cf"   # postmap wants a main.cf; an empty one gives the defaults
  /usr/bin/time -f "%e %M" -o "$W/pf.time" postmap -c "$W/pf" "hash:$W/pf-table"
  read -r pf_secs pf_kb <"$W/pf.time"
  echo "RESULT postmap compile_s=$pf_secs max_rss_mb=$((pf_kb / 1024))"
  q0=$(date +%s.%N)
  for i in $(seq 1 1000); do postmap -c "$W/pf" -q "user$((i * 997))@domain$(((i * 997) % 5000)).example" "hash:$W/pf-table" >/dev/null; done
  q1=$(date +%s.%N)
  echo "RESULT postmap -q (a process per lookup): $(echo "1000 / ($q1 - $q0)" | bc -l | xargs printf '%.0f') lookups/s"
else
  echo "postmap not installed: no Postfix comparison"
fi

/usr/bin/time -f "%e %M" -o "$W/pn.time" java ${POSTERN_JAVA_OPTS:-} -jar "$JAR" map --bench "$LOOKUPS" "hash:$W/table" | tee "$W/pn.out"
read -r pn_secs pn_kb <"$W/pn.time"
echo "RESULT postern process wall_s=$pn_secs max_rss_mb=$((pn_kb / 1024)) (load, warm-up and $LOOKUPS lookups)"
