/**
 * The {@code postern} command line (picocli): daemon control, postconf- and postmap-style tools,
 * the CA, the demo, the sink and the benchmark. User mistakes print one line and exit non-zero.
 */
package dev.postern.cli;
