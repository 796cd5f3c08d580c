/**
 * maps - Postfix lookup tables.
 *
 * <h2>Description</h2>
 * {@link dev.postern.maps.LookupTable} answers a key with a value, "not found", or a
 * {@link dev.postern.maps.LookupException} (temporary failure: callers defer, never treat it as not
 * found). Types: hash/texthash (and the other indexed types) read the postmap source file directly
 * and reload it when it changes (mtime and size, checked at most once a second; a broken edit
 * keeps the old contents); inline, static, cidr, regexp. Fixed-string keys are case-folded.
 *
 * <h2>Not yet</h2>
 * A compiled on-disk index; address-form searches (user@domain, @domain, parent domains).
 */
package dev.postern.maps;
