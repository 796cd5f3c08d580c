package dev.postern.log;

import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientResult;
import dev.postern.testing.Peers;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** postern_maillog_format = json: one object per line, the Postfix record's facts as fields. */
class JsonLogTest {
    private static final String PID = Long.toString(ProcessHandle.current().pid());

    private static List<String> lines(java.util.function.Consumer<MailLog> body) throws java.io.IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MailLog log = MailLog.open(new MailLogSettings("", "mx.example", "postern", 2, Path.of("/nonexistent"), true,
                "%Y%m%d", ""), out);
        body.accept(log);
        log.close();
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** Drops the time, which changes from run to run. */
    private static String untimed(String line) {
        assertTrue(line.matches("\\{\"time\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z\",.*}"), line);
        return line.replaceFirst("\"time\":\"[^\"]+\",", "");
    }

    @Test
    void deliveryRecordCarriesEveryField() throws Exception {
        Instant arrival = Instant.parse("2026-09-01T20:30:30Z");
        RecipientResult r = new RecipientResult.Sent(MailAddress.parse("someone@example.org"), "relay.example[192.0.2.1]:587",
                "2.0.0", "250 2.0.0 Ok: queued as \"0E501803B\"", Duration.ofMillis(1100), Duration.ofMillis(150));
        List<String> lines = lines(log -> log.delivery("smtp", "3225BD", r, arrival, arrival.plusMillis(8_600),
                Duration.ofMillis(8_200), Duration.ofMillis(190)));
        assertEquals(1, lines.size());
        assertEquals("{\"host\":\"mx.example\",\"program\":\"postern/smtp\",\"pid\":" + PID + ",\"severity\":\"info\","
                + "\"event\":\"delivery\",\"queue_id\":\"3225BD\",\"to\":\"someone@example.org\",\"relay\":\"relay.example[192.0.2.1]:587\","
                + "\"delay\":8.6,\"delays\":[8.2,0.19,1.1,0.15],\"dsn\":\"2.0.0\",\"status\":\"sent\","
                + "\"diagnostic\":\"250 2.0.0 Ok: queued as \\\"0E501803B\\\"\","
                + "\"message\":\"3225BD: to=<someone@example.org>, relay=relay.example[192.0.2.1]:587, delay=8.6, "
                + "delays=8.2/0.19/1.1/0.15, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as \\\"0E501803B\\\")\"}",
                untimed(lines.get(0)));
    }

    @Test
    void sessionRecords() throws Exception {
        List<String> lines = lines(log -> {
            log.connect("smtpd", "desk.example[192.0.2.7]");
            log.info("smtpd", "Trusted TLS connection established from desk.example[192.0.2.7]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)");
            log.client("smtpd", "3225BD", "desk.example[192.0.2.7]");
            log.from("3225BD", "me@desk.example", 4321, 2);
            log.reject("smtpd", null, "RCPT", "unknown[192.0.2.9]", "554 5.7.1 <x@y.example>: Relay access denied",
                    "a@b.example", "x@y.example", "ESMTP", "fred");
            log.warning("qmgr", "3225BD: cannot update queue file: disk full\n\u0001");
            log.discarded("3225BE", "<x@desk.example>");
        });
        String head = "\"host\":\"mx.example\",\"program\":";
        assertEquals(List.of(
                "{" + head + "\"postern/smtpd\",\"pid\":" + PID + ",\"severity\":\"info\",\"event\":\"connect\",\"client\":\"desk.example[192.0.2.7]\","
                        + "\"message\":\"connect from desk.example[192.0.2.7]\"}",
                "{" + head + "\"postern/smtpd\",\"pid\":" + PID + ",\"severity\":\"info\",\"event\":\"tls\",\"client\":\"desk.example[192.0.2.7]\","
                        + "\"tls_trust\":\"Trusted\",\"tls\":\"TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\","
                        + "\"message\":\"Trusted TLS connection established from desk.example[192.0.2.7]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\"}",
                "{" + head + "\"postern/smtpd\",\"pid\":" + PID + ",\"severity\":\"info\",\"event\":\"client\",\"queue_id\":\"3225BD\","
                        + "\"client\":\"desk.example[192.0.2.7]\",\"message\":\"3225BD: client=desk.example[192.0.2.7]\"}",
                "{" + head + "\"postern/qmgr\",\"pid\":" + PID + ",\"severity\":\"info\",\"event\":\"from\",\"queue_id\":\"3225BD\","
                        + "\"from\":\"me@desk.example\",\"size\":4321,\"nrcpt\":2,\"message\":\"3225BD: from=<me@desk.example>, size=4321, nrcpt=2 (queue active)\"}",
                "{" + head + "\"postern/smtpd\",\"pid\":" + PID + ",\"severity\":\"info\",\"event\":\"reject\",\"stage\":\"RCPT\","
                        + "\"client\":\"unknown[192.0.2.9]\",\"code\":554,\"dsn\":\"5.7.1\",\"reply\":\"554 5.7.1 <x@y.example>: Relay access denied\","
                        + "\"from\":\"a@b.example\",\"to\":\"x@y.example\",\"proto\":\"ESMTP\",\"helo\":\"fred\","
                        + "\"message\":\"NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 554 5.7.1 <x@y.example>: Relay access denied; "
                        + "from=<a@b.example> to=<x@y.example> proto=ESMTP helo=<fred>\"}",
                // Control characters are escaped: a record stays one line whatever a peer sent.
                "{" + head + "\"postern/qmgr\",\"pid\":" + PID + ",\"severity\":\"warning\",\"queue_id\":\"3225BD\","
                        + "\"message\":\"warning: 3225BD: cannot update queue file: disk full\\n\\u0001\"}",
                "{" + head + "\"postern/cleanup\",\"pid\":" + PID + ",\"severity\":\"info\",\"event\":\"message-id\",\"queue_id\":\"3225BE\","
                        + "\"message_id\":\"<x@desk.example>\",\"message\":\"3225BE: message-id=<x@desk.example>\"}",
                "{" + head + "\"postern/cleanup\",\"pid\":" + PID + ",\"severity\":\"info\",\"event\":\"removed\",\"queue_id\":\"3225BE\","
                        + "\"reason\":\"discarded\",\"message\":\"3225BE: removed (discarded)\"}"),
                lines.stream().map(JsonLogTest::untimed).toList());
        // And a real JSON parser agrees: every line is one object whose message is the text line.
        Peers.require("python3", "python3");
        Peers.Result r = Peers.run(Duration.ofSeconds(30), String.join("\n", lines) + "\n", List.of("python3", "-c",
                "import json,sys\nfor l in sys.stdin: o = json.loads(l); assert isinstance(o, dict); print(o['program'], o['message'].split(':')[0])"));
        assertEquals(0, r.exit(), r.err());
        assertEquals(8, r.out().lines().count(), r.out());
        assertTrue(r.out().contains("postern/qmgr warning\n"), r.out());
    }
}
