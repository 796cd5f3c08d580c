/**
 * The {@code postern} command line (picocli): daemon control (start, stop, status judged by the
 * lock on master.pid), postconf- and postmap-style tools, {@code queue} (mailq, postqueue -p/-j/-f/-s,
 * postsuper -d/-h/-H/-r, show), route (explains a routing decision), the CA, the demo, the sink and the benchmark. User mistakes print one line and exit non-zero.
 * start and start-fg refuse root without --allow-root or POSTERN_ALLOW_ROOT=yes (RootGuard); start-fg
 * reports readiness to systemd through systemd-notify (SystemdNotify); -V names the build's git
 * commit from the Maven-filtered dev/postern/build.properties (Version).
 * Every command and subcommand takes {@code --help}, and its help names the Postfix command it stands for.
 *
 * <p>{@code demo} ({@code DemoFiles}, {@code DemoTour}) runs both halves of the seed on loopback: the
 * submission server, a desktop MTA with the seed's client-side lines and maps, and two sinks for
 * "the world" and "the ISP"; it hands the desktop one message per kind of sender and reads the sinks
 * to show where each went. {@code demo --self-test} does it on port 0, runs {@code test} against the
 * submission server and exits 0 only if everything went where the seed says.
 */
package dev.postern.cli;
