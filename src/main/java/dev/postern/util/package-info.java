/**
 * JDK-only helpers shared by every stage.
 *
 * <h2>Description</h2>
 * {@link dev.postern.util.AtomicFile} is the one durability primitive: write a temp file, fsync it,
 * rename it into place, fsync the directory. {@link dev.postern.util.Durations},
 * {@link dev.postern.util.Sizes} and {@link dev.postern.util.HostPort} parse Postfix's value
 * syntaxes ("300s", "10240000", "[host]:587"). {@link dev.postern.util.DemandTimer} is the
 * periodic task that runs only while it has work: an idle daemon's threads sleep.
 * {@link dev.postern.util.ElasticPool} is the bounded worker pool that starts a thread only when
 * every thread it has is busy, and lets idle ones go.
 *
 * <h2>Security</h2>
 * Touches only the files its callers name.
 */
package dev.postern.util;
