package dev.postern.rewrite;

import dev.postern.maps.AddressSearch;
import dev.postern.maps.TableList;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** cleanup_map1n_internal(): expansion order, recursion, self-inclusion, the three limits. */
class VirtualAliasTest {
    private static VirtualAlias virtual(String inline, int recursion, int expansion, int length) {
        return new VirtualAlias(new AddressMap(TableList.open("virtual_alias_maps", List.of("inline:{" + inline + "}")),
                new AddressSearch("+", d -> d.equals("desk.example")), "desk.example"), recursion, expansion, length);
    }

    private static VirtualAlias virtual(String inline) {
        return virtual(inline, 1000, 1000, 1000);
    }

    @Test
    void expandsRecursivelyInPostfixOrder() throws Exception {
        VirtualAlias v = virtual("{ list@d.example = a@d.example, b@d.example }, { a@d.example = a1@e.example, a2@e.example }");
        assertEquals(List.of("a1@e.example", "b@d.example", "a2@e.example"), v.expand("list@d.example", true));
        assertEquals(List.of("other@d.example"), v.expand("other@d.example", true));
    }

    @Test
    void anAddressMayExpandToItselfOnce() throws Exception {
        VirtualAlias v = virtual("{ joe@d.example = joe@d.example, archive@e.example }");
        assertEquals(List.of("joe@d.example", "archive@e.example"), v.expand("joe@d.example", true));
    }

    @Test
    void rootToAPersonWithTheExtensionKept() throws Exception {
        VirtualAlias v = virtual("{ root = me@corp.example }");
        assertEquals(List.of("me+cron@corp.example"), v.expand("root+cron@desk.example", true));
        assertEquals(List.of("me@corp.example"), v.expand("root+cron@desk.example", false));
    }

    @Test
    void limitsRefuseTheMessage() {
        RewriteException loop = assertThrows(RewriteException.class,
                () -> virtual("{ a@x.example = b@x.example }, { b@x.example = a@x.example }", 5, 1000, 1000).expand("a@x.example", true));
        assertEquals("unreasonable virtual_alias_maps map nesting for a@x.example -- message not accepted, try again later", loop.warning());
        assertTrue(loop.aliasExpansion());
        RewriteException wide = assertThrows(RewriteException.class,
                () -> virtual("{ l@x.example = a@y, b@y, c@y, d@y }", 1000, 3, 1000).expand("l@x.example", true));
        assertTrue(wide.warning().startsWith("unreasonable virtual_alias_maps map expansion size for l@x.example"), wide.warning());
        RewriteException longer = assertThrows(RewriteException.class,
                () -> virtual("{ l@x.example = averyveryverylongaddress@y.example }", 1000, 1000, 20).expand("l@x.example", true));
        assertTrue(longer.warning().startsWith("unreasonable virtual_alias_maps result averyveryverylongaddress@y.example..."), longer.warning());
    }

    @Test
    void aTableThatCannotAnswerIsAWriteErrorNotAnExpansionError() {
        VirtualAlias v = new VirtualAlias(new AddressMap(TableList.open("virtual_alias_maps", List.of("texthash:/nonexistent/v")),
                new AddressSearch("", d -> false), ""), 1000, 1000, 1000);
        RewriteException e = assertThrows(RewriteException.class, () -> v.expand("a@x.example", true));
        assertFalse(e.aliasExpansion());
        assertEquals("virtual_alias_maps map lookup problem for a@x.example -- message not accepted, try again later", e.warning());
    }
}
