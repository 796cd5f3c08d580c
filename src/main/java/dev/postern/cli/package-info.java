/**
 * The {@code postern} command line (picocli): daemon control (start, stop, status judged by the
 * lock on master.pid), postconf- and postmap-style tools, {@code queue} (mailq, postqueue -p/-j/-f/-s,
 * postsuper -d/-h/-H/-r, show), route (explains a routing decision), the CA, the demo, the sink and the benchmark. User mistakes print one line and exit non-zero.
 */
package dev.postern.cli;
