/**
 * maps - Postfix lookup tables.
 *
 * <h2>Description</h2>
 * {@link dev.postern.maps.LookupTable} answers a key with a value, "not found", or a
 * {@link dev.postern.maps.LookupException} (temporary failure: callers defer, never treat it as not
 * found). Types: hash/texthash (and the other indexed types) read the postmap source file directly;
 * inline, static, cidr, regexp. File tables are immutable snapshots: lookups (on smtpd's event
 * loops) never stat or read a file and take no lock. One background thread ({@code TableWatcher})
 * watches the tables' directories and stats every table file once a second, and swaps in a new
 * snapshot when a file changed: an edit takes effect within about a second, without postmap or a
 * restart. A file that no longer parses, or cannot be read (deleted, permissions), keeps its last
 * good snapshot and logs one warning naming file:line and the problem, never the line's text
 * (the table may be a SASL password file). Write a big table to a temporary name and rename it
 * into place, so a half-written file is never loaded. Fixed-string keys are case-folded.
 * Table files share postmap's syntax: '#' comments, blank lines, and lines starting with
 * whitespace continue the previous one. regexp and cidr tables are not "fixed"
 * ({@link dev.postern.maps.LookupTable#fixed()}): like Postfix, callers ask them about the entire
 * string only, never a domain or user@ part.
 *
 * <p>{@link dev.postern.maps.TableList} is a parameter's list of tables (Postfix's maps_find():
 * first table that knows the key; partial keys only to fixed-string tables; a failing table stops
 * the search). {@link dev.postern.maps.AddressSearch} is the one place that decides which keys an
 * address, host name or client address is looked up as, in Postfix's orders (mail_addr_find(),
 * check_domain_access(), check_addr_access()): {@code user+ext@domain}, {@code user@domain}
 * (recipient_delimiter), the local part when the domain is local, {@code @domain}, the domain and
 * its parents ({@code .parent} keys, or bare parent names for features listed in
 * parent_domain_matches_subdomains), {@code user@}; IP addresses and their prefixes. Its callers
 * pick the steps: smtpd's access checks, qmgr's transport_maps and sender_dependent_relayhost_maps.
 *
 * <h2>Not yet</h2>
 * A compiled on-disk index; quoted local parts (Postfix's external-form query first).
 */
package dev.postern.maps;
