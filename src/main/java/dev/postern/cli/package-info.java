/**
 * The {@code postern} command line (picocli): daemon control, postconf- and postmap-style tools,
 * route (explains a routing decision), the CA, the demo, the sink and the benchmark. User mistakes print one line and exit non-zero.
 */
package dev.postern.cli;
