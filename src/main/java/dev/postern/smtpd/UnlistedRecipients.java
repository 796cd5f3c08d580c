package dev.postern.smtpd;

import dev.postern.mail.Reply;
import dev.postern.maps.AddressSearch;
import dev.postern.maps.LookupException;
import dev.postern.maps.TableList;

import java.util.List;

/**
 * smtpd_reject_unlisted_recipient for the virtual alias class (Postfix's check_rcpt_maps(), after
 * the restrictions allowed the recipient): an address in virtual_alias_domains (and not in
 * mydestination) must be known to recipient_canonical_maps, canonical_maps or virtual_alias_maps
 * (any of them may rewrite it into something deliverable), else {@code 550 5.1.1 <addr>:
 * Recipient address rejected: User unknown in virtual alias table}. Postern has no local or
 * relay recipient tables, so the other classes are not checked.
 */
final class UnlistedRecipients {
    private final boolean reject;
    private final List<TableList> known;
    private final int code;
    private final boolean showTable;
    private final Policy policy;

    private UnlistedRecipients(boolean reject, List<TableList> known, int code, boolean showTable, Policy policy) {
        this.reject = reject;
        this.known = known;
        this.code = code;
        this.showTable = showTable;
        this.policy = policy;
    }

    /** @throws IllegalArgumentException naming the parameter, for a table that cannot be opened */
    static UnlistedRecipients compile(RestrictionSettings.Unlisted s, Policy policy) {
        return new UnlistedRecipients(s.reject(), List.of(
                TableList.open("recipient_canonical_maps", s.recipientCanonicalMaps()),
                TableList.open("canonical_maps", s.canonicalMaps()),
                TableList.open("virtual_alias_maps", s.virtualAliasMaps())), s.code(), s.showTable(), policy);
    }

    /**
     * The refusal for an unknown virtual alias recipient, else null.
     * @throws LookupException a table could not answer (the recipient is deferred, 451 4.3.0)
     */
    Reply refusal(CheckContext ctx) throws LookupException {
        String rcpt = ctx.recipient();
        if (!reject || rcpt == null) {
            return null;
        }
        String domain = rcpt.substring(rcpt.lastIndexOf('@') + 1);
        if (policy.localDomain(domain) || !policy.virtualAliasDomain(domain)) {
            return null;
        }
        AddressSearch search = policy.addressSearch();
        for (TableList t : known) {
            if (!t.isEmpty() && search.find(t, rcpt, AddressSearch.DEFAULT).isPresent()) {
                return null;
            }
        }
        return Reply.of(code, "5.1.1", "<" + rcpt + ">: Recipient address rejected: User unknown"
                + (showTable ? " in virtual alias table" : ""));
    }
}
