package dev.postern.rewrite;

import dev.postern.maps.AddressSearch;
import dev.postern.maps.TableList;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** cleanup_map11_external(): chains, self mappings, loops, multi-valued entries, unreadable tables. */
class CanonicalTest {
    private static AddressMap map(String... specs) {
        return new AddressMap(TableList.open("canonical_maps", List.of(specs)), new AddressSearch("", d -> false), "o.example");
    }

    @Test
    void followsAChainUntilNothingMatches() throws Exception {
        AddressMap m = map("inline:{ a@x = b@x, b@x = c@x }");
        assertEquals("c@x", Canonical.map(m, "a@x", true, w -> { }));
        assertEquals("z@x", Canonical.map(m, "z@x", true, w -> { }));
    }

    @Test
    void stopsAtAnAddressThatMapsToItselfIgnoringCase() throws Exception {
        assertEquals("A@X", Canonical.map(map("inline:{ a@x = A@X }"), "a@x", true, w -> { }), "else it would loop");
        // keys are case-insensitive: B@X is found as b@x and goes on
        assertEquals("c@x", Canonical.map(map("inline:{ a@x = B@X, b@x = c@x }"), "a@x", true, w -> { }));
    }

    /**
     * Postfix's cleanup_map11_external(): after ten lookups it warns, in words that say the message
     * is not accepted, but sets no error, so the message goes on with the tenth result (checked
     * against Postfix 3.7 by AddressRewritingInteropTest's canonical-loop case).
     */
    @Test
    void aLoopWarnsAfterTenRoundsAndKeepsTheTenthResult() throws Exception {
        AddressMap m = map("inline:{ a@x = b@x, b@x = a@x, c@x = d@x, d@x = c@x }");
        List<String> warnings = new ArrayList<>();
        assertEquals("a@x", Canonical.map(m, "a@x", true, warnings::add));
        assertEquals(List.of("unreasonable canonical_maps map nesting for a@x -- message not accepted, try again later"), warnings);
        warnings.clear();
        assertEquals("c@x", Canonical.map(m, "c@x", true, warnings::add));
        assertEquals(List.of("unreasonable canonical_maps map nesting for c@x -- message not accepted, try again later"), warnings);
    }

    @Test
    void onlyTheFirstOfSeveralCountsWithAWarning() throws Exception {
        List<String> warnings = new ArrayList<>();
        assertEquals("b@x", Canonical.map(map("inline:{ a@x = b@x c@x }"), "a@x", true, warnings::add));
        assertEquals(List.of("multi-valued canonical_maps entry for a@x"), warnings);
    }

    @Test
    void aTableThatCannotAnswerDefers() {
        AddressMap m = map("texthash:/nonexistent/canonical");
        RewriteException e = assertThrows(RewriteException.class, () -> Canonical.map(m, "a@x", true, w -> { }));
        assertTrue(e.warning().startsWith("canonical_maps map lookup problem for a@x"), e.warning());
    }
}
