#!/bin/sh
# Builds libpostern_rsa.so (RSA signatures with the system's OpenSSL 3 libcrypto; see postern_rsa.c)
# into OUT_DIR. Optional: without a C compiler, OpenSSL 3 headers (Debian: gcc libssl-dev) or on a
# platform other than Linux it says why and succeeds, and Postern signs with BoringSSL.
#   sh src/main/native/build.sh OUT_DIR JAVA_HOME
set -eu
out="$1"; jdk="$2"
src="$(dirname "$0")/postern_rsa.c"
cc="${CC:-cc}"
skip() { echo "postern native: not built ($1); RSA signatures stay BoringSSL's"; rm -f "$out/libpostern_rsa.so"; exit 0; }
[ "$(uname -s)" = Linux ] || skip "not Linux"
command -v "$cc" >/dev/null 2>&1 || skip "no C compiler ($cc): apt-get install gcc"
[ -f "$jdk/include/jni.h" ] || skip "no $jdk/include/jni.h (a JDK, not a JRE, is needed)"
printf '#include <openssl/opensslv.h>\n#if OPENSSL_VERSION_MAJOR < 3\n#error old\n#endif\n' |
  "$cc" -E -x c - >/dev/null 2>&1 || skip "no OpenSSL 3 headers: apt-get install libssl-dev"
mkdir -p "$out"
[ "$out/libpostern_rsa.so" -nt "$src" ] && [ "$out/libpostern_rsa.so" -nt "$0" ] && exit 0
"$cc" -shared -fPIC -O2 -Wall -I"$jdk/include" -I"$jdk/include/linux" \
  "$src" -o "$out/libpostern_rsa.so.tmp" -lcrypto || skip "$cc failed (above)"
mv "$out/libpostern_rsa.so.tmp" "$out/libpostern_rsa.so"
echo "postern native: built $out/libpostern_rsa.so"
