package dev.postern.testing;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A small authoritative DNS server on 127.0.0.1 (UDP and TCP on the same ephemeral port) that
 * answers from a zone map: names with records answer NOERROR (empty answer = NODATA), names
 * marked {@link #servfail} answer SERVFAIL, every other name NXDOMAIN. Records every question.
 */
public final class LoopbackDns implements AutoCloseable {
    private static final long TTL = 60;

    private final Map<Name, List<Record>> zone = new ConcurrentHashMap<>();
    private final Set<Name> servfail = ConcurrentHashMap.newKeySet();
    /** "name TYPE" of every question, in arrival order. */
    public final List<String> questions = new CopyOnWriteArrayList<>();
    /** UDP answers cut short with TC (the client then asks over TCP). */
    public volatile int udpTruncated;
    private final DatagramSocket udp;
    private final ServerSocket tcp;

    public LoopbackDns() throws IOException {
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        ServerSocket t = null;
        DatagramSocket u = null;
        for (int i = 0; i < 20 && u == null; i++) { // the same port for both: retry if UDP's is taken
            t = new ServerSocket(0, 50, lo);
            try {
                u = new DatagramSocket(new InetSocketAddress(lo, t.getLocalPort()));
            } catch (IOException e) {
                t.close();
            }
        }
        if (u == null) {
            throw new IOException("no port free for both UDP and TCP");
        }
        udp = u;
        tcp = t;
        start("dns-udp", this::serveUdp);
        start("dns-tcp", this::serveTcp);
    }

    /** The value for postern_dns_servers. */
    public String server() {
        return "127.0.0.1:" + tcp.getLocalPort();
    }

    public LoopbackDns mx(String domain, int preference, String host) {
        return add(new MXRecord(name(domain), DClass.IN, TTL, preference, name(host)));
    }

    /** RFC 7505: {@code domain MX 0 .}. */
    public LoopbackDns nullMx(String domain) {
        return add(new MXRecord(name(domain), DClass.IN, TTL, 0, Name.root));
    }

    public LoopbackDns a(String host, String ip) throws IOException {
        InetAddress a = InetAddress.getByName(ip);
        return add(a.getAddress().length == 4 ? new ARecord(name(host), DClass.IN, TTL, a)
                : new AAAARecord(name(host), DClass.IN, TTL, a));
    }

    /** The reverse record of {@code ip} (in-addr.arpa or ip6.arpa) naming {@code host}. */
    public LoopbackDns ptr(String ip, String host) throws IOException {
        Name reverse = org.xbill.DNS.ReverseMap.fromAddress(InetAddress.getByName(ip));
        return add(new org.xbill.DNS.PTRRecord(reverse, DClass.IN, TTL, name(host)));
    }

    public LoopbackDns cname(String alias, String target) {
        return add(new CNAMERecord(name(alias), DClass.IN, TTL, name(target)));
    }

    /** The name exists but has no records (NODATA for every type). */
    public LoopbackDns exists(String domain) {
        zone.computeIfAbsent(name(domain), k -> new CopyOnWriteArrayList<>());
        return this;
    }

    public LoopbackDns servfail(String domain) {
        servfail.add(name(domain));
        return this;
    }

    private LoopbackDns add(Record r) {
        zone.computeIfAbsent(r.getName(), k -> new CopyOnWriteArrayList<>()).add(r);
        return this;
    }

    private static Name name(String s) {
        try {
            return Name.fromString(s.endsWith(".") ? s : s + ".");
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    byte[] answer(byte[] query) throws IOException {
        Message q = new Message(query);
        Message r = new Message(q.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        r.getHeader().setFlag(Flags.AA);
        if (q.getHeader().getFlag(Flags.RD)) {
            r.getHeader().setFlag(Flags.RD);
        }
        Record question = q.getQuestion();
        r.addRecord(question, Section.QUESTION);
        Name qname = question.getName();
        questions.add(qname.toString(true) + " " + org.xbill.DNS.Type.string(question.getType()));
        if (servfail.contains(qname)) {
            r.getHeader().setRcode(Rcode.SERVFAIL);
            return r.toWire();
        }
        List<Record> records = zone.get(qname);
        if (records == null) {
            r.getHeader().setRcode(Rcode.NXDOMAIN);
            return r.toWire();
        }
        for (Record rec : records) {
            if (rec.getType() == question.getType() || rec instanceof CNAMERecord) {
                r.addRecord(rec, Section.ANSWER);
            }
        }
        return r.toWire();
    }

    private void serveUdp() {
        byte[] buf = new byte[4096];
        while (!udp.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                udp.receive(p);
                byte[] query = java.util.Arrays.copyOf(p.getData(), p.getLength());
                byte[] out = answer(query);
                if (out.length > 512) { // RFC 1035 §4.2.1: too big for UDP, the client must ask again over TCP
                    udpTruncated++;
                    Message tc = new Message(new Message(query).getHeader().getID());
                    tc.getHeader().setFlag(Flags.QR);
                    tc.getHeader().setFlag(Flags.TC);
                    tc.addRecord(new Message(query).getQuestion(), Section.QUESTION);
                    out = tc.toWire();
                }
                udp.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
            } catch (IOException e) {
                // closed, or a malformed query: next one
            }
        }
    }

    private void serveTcp() {
        while (!tcp.isClosed()) {
            try (Socket s = tcp.accept()) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                byte[] q = new byte[in.readUnsignedShort()];
                in.readFully(q);
                byte[] a = answer(q);
                out.writeShort(a.length);
                out.write(a);
                out.flush();
            } catch (IOException e) {
                // next connection
            }
        }
    }

    private static void start(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        udp.close();
        try {
            tcp.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
