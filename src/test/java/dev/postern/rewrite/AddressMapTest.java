package dev.postern.rewrite;

import dev.postern.maps.AddressSearch;
import dev.postern.maps.TableList;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** mail_addr_map(): keys, @domain results, extension propagation, list results, @$myorigin for bare results. */
class AddressMapTest {
    private static AddressMap map(String inline) {
        return new AddressMap(TableList.open("canonical_maps", List.of("inline:{" + inline + "}")),
                new AddressSearch("+", d -> Set.of("desk.example", "localhost").contains(d)), "desk.example");
    }

    @Test
    void fullAddressThenWithoutExtensionPropagatingIt() throws Exception {
        AddressMap m = map("{ joe@old.example = joe@new.example }, { joe+x@old.example = special@new.example }");
        assertEquals(Optional.of(List.of("special@new.example")), m.map("joe+x@old.example", true));
        assertEquals(Optional.of(List.of("joe+y@new.example")), m.map("joe+y@old.example", true));
        assertEquals(Optional.of(List.of("joe@new.example")), m.map("joe+y@old.example", false));
        assertEquals(Optional.empty(), m.map("ann@old.example", true));
    }

    @Test
    void atDomainKeyAndAtDomainResultKeepTheLocalPart() throws Exception {
        AddressMap m = map("{ @old.example = @new.example }");
        assertEquals(Optional.of(List.of("ann+tag@new.example")), m.map("ann+tag@old.example", true));
        AddressMap n = map("{ ann@old.example = @new.example }");
        // found without its extension: the local part loses it, then propagation puts it back
        assertEquals(Optional.of(List.of("ann+tag@new.example")), n.map("ann+tag@old.example", true));
        assertEquals(Optional.of(List.of("ann@new.example")), n.map("ann+tag@old.example", false));
    }

    @Test
    void bareLocalPartOnlyForLocalDomains() throws Exception {
        AddressMap m = map("{ root = admin@corp.example }");
        assertEquals(Optional.of(List.of("admin@corp.example")), m.map("root@desk.example", true));
        assertEquals(Optional.of(List.of("admin@corp.example")), m.map("root@localhost", true));
        assertEquals(Optional.empty(), m.map("root@elsewhere.example", true));
    }

    @Test
    void listResultsAndBareResultsGetMyorigin() throws Exception {
        AddressMap m = map("{ team@desk.example = a@x.example, <b@y.example> c }");
        assertEquals(Optional.of(List.of("a@x.example", "b@y.example", "c@desk.example")), m.map("team@desk.example", true));
    }

    @Test
    void anEmptyResultIsNoAddress() {
        AddressMap m = map("{ x@old.example = <> }");
        RewriteException e = assertThrows(RewriteException.class, () -> m.map("x@old.example", true));
        assertTrue(e.warning().contains("returns non-address result"), e.warning());
    }

    @Test
    void quotedLocalPartsAreLookedUpUnquotedAndKeptQuoted() throws Exception {
        AddressMap m = map("{ @old.example = @new.example }, { a b@x.example = c@y.example }");
        assertEquals(Optional.of(List.of("\"quoted local\"@new.example")), m.map("\"quoted local\"@old.example", true));
        assertEquals(Optional.of(List.of("c@y.example")), m.map("\"a b\"@x.example", true));
    }
}
