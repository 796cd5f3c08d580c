package dev.postern.smtpd;

import dev.postern.mail.Dsn;
import dev.postern.mail.RecipientDsn;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** MAIL and RCPT DSN parameters with Postfix's smtpd.c replies. */
class DsnParametersTest {
    @Test
    void mailParameters() {
        DsnParameters p = new DsnParameters();
        assertNull(p.mail("RET", "hdrs"));
        assertEquals("501 5.5.4 Bad RET parameter syntax", p.mail("RET", "FULL").oneLine(), "twice");
        assertNull(p.mail("ENVID", "x+2By"));
        assertEquals(new Dsn(Dsn.Ret.HDRS, "x+y"), p.messageDsn());
        assertEquals("501 5.5.4 Bad ENVID parameter syntax", new DsnParameters().mail("ENVID", "").oneLine());
        assertEquals("501 5.5.4 Bad ENVID parameter syntax", new DsnParameters().mail("ENVID", "+C3+A9").oneLine(),
                "8-bit after decoding");
    }

    @Test
    void aParameterGivenTwiceIsRefusedAsPostfixDoes() {
        DsnParameters p = new DsnParameters();
        assertNull(p.rcpt("NOTIFY", "NEVER"));
        assertNull(p.rcpt("ORCPT", "rfc822;x"));
        assertEquals("501 5.5.4 Error: Bad NOTIFY parameter syntax", p.rcpt("NOTIFY", "NEVER").oneLine());
        DsnParameters m = new DsnParameters();
        assertNull(m.mail("ENVID", "a"));
        assertEquals("501 5.5.4 Bad ENVID parameter syntax", m.mail("ENVID", "a").oneLine());
    }

    @Test
    void rcptParameters() {
        DsnParameters p = new DsnParameters();
        assertNull(p.rcpt("NOTIFY", "failure,delay"));
        assertNull(p.rcpt("ORCPT", "utf-8;j\u00f6rg\\x{2B}1@example.org"));
        assertEquals(new RecipientDsn(Set.of(RecipientDsn.Notify.FAILURE, RecipientDsn.Notify.DELAY), "utf-8",
                "j\u00f6rg+1@example.org"), p.recipientDsn());
        assertEquals("501 5.5.4 Error: Bad ORCPT parameter syntax", p.rcpt("ORCPT", "rfc822;a@b").oneLine(), "twice");
        assertEquals("501 5.5.4 Error: Bad ORCPT parameter syntax", new DsnParameters().rcpt("ORCPT", ";a@b").oneLine());
        assertEquals("501 5.5.4 Error: Bad ORCPT parameter syntax", new DsnParameters().rcpt("ORCPT", "rfc822;").oneLine());
        assertEquals("501 5.5.4 Error: Bad NOTIFY parameter syntax", new DsnParameters().rcpt("NOTIFY", "NEVER,DELAY").oneLine());
    }
}
