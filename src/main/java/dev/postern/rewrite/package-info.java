/**
 * rewrite - address rewriting: Postfix's canonical(5), virtual(5) aliasing and masquerading, as
 * cleanup applies them to the envelope and to the addresses in message headers, and
 * smtp_generic_maps as the SMTP client applies it on output.
 *
 * <h2>Description</h2>
 * {@link dev.postern.rewrite.AddressMap} is Postfix's mail_addr_map(): an address looked up by the
 * keys of mail_addr_find() ({@code user+ext@domain}, {@code user@domain}, the local part for
 * $myorigin and $mydestination, {@code @domain}), a result of {@code @domain} keeping the local
 * part, the unmatched extension carried over when propagate_unmatched_extensions says so, and a
 * result list split into addresses. {@link dev.postern.rewrite.Canonical} maps one address to one
 * (cleanup_map11.c: at most 10 rounds, stopping when an address maps to itself);
 * {@link dev.postern.rewrite.VirtualAlias} maps one to many (cleanup_map1n.c: each result looked up
 * again, virtual_alias_recursion_limit deep, at most virtual_alias_expansion_limit addresses, each
 * at most virtual_alias_address_length_limit long, an address that expands to itself kept);
 * {@link dev.postern.rewrite.Masquerade} strips subdomains (cleanup_masquerade.c).
 * {@link dev.postern.rewrite.AddressRewriting} puts them together per address class, in Postfix's
 * order (sender_canonical_maps or recipient_canonical_maps, then canonical_maps, then
 * masquerade_domains, each only for the classes its *_classes parameter lists), and
 * {@link dev.postern.rewrite.HeaderAddresses} finds and rewrites the addresses inside From:, To:,
 * Cc: and the other address headers as Postfix's tok822 parser does.
 *
 * <h2>Tier</h2>
 * 3: imports maps, config, mail and util; used by cleanup (tier 4) and smtp (tier 5).
 *
 * <h2>Diagnostics</h2>
 * A table that cannot answer, a nesting or expansion past its limit, or a result Postern cannot
 * carry is a {@link dev.postern.rewrite.RewriteException}: the message is not accepted (451), with
 * Postfix's warning ("QUEUEID: canonical_maps map lookup problem for ... -- message not accepted,
 * try again later").
 */
package dev.postern.rewrite;
