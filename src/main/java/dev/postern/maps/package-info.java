/**
 * maps - Postfix lookup tables.
 *
 * <h2>Description</h2>
 * {@link dev.postern.maps.LookupTable} answers a key with a value, "not found", or a
 * {@link dev.postern.maps.LookupException} (temporary failure: callers defer, never treat it as not
 * found). Types: hash/texthash (and the other indexed types) read the postmap source file directly
 * and reload it when it changes (mtime and size, checked at most once a second; a broken edit
 * keeps the old contents); inline, static, cidr, regexp. Fixed-string keys are case-folded.
 * Table files share postmap's syntax: '#' comments, blank lines, and lines starting with
 * whitespace continue the previous one. regexp and cidr tables are not "fixed"
 * ({@link dev.postern.maps.LookupTable#fixed()}): like Postfix, callers ask them about the entire
 * string only, never a domain or user@ part.
 *
 * <h2>Not yet</h2>
 * A compiled on-disk index; address-form searches (user@domain, @domain, parent domains).
 */
package dev.postern.maps;
