/**
 * The {@code postern} command line (picocli): daemon control (start, stop, status judged by the
 * lock on master.pid), postconf- and postmap-style tools, {@code queue} (mailq, postqueue -p/-j/-f/-s,
 * postsuper -d/-h/-H/-r, show), route (explains a routing decision), the CA, the demo, the sink and the benchmark. User mistakes print one line and exit non-zero.
 * start and start-fg refuse root without --allow-root or POSTERN_ALLOW_ROOT=yes (RootGuard); start-fg
 * reports readiness to systemd through systemd-notify (SystemdNotify); -V names the build's git
 * commit from the Maven-filtered dev/postern/build.properties (Version).
 */
package dev.postern.cli;
