package dev.postern.mail;

/** A failure that carries exactly the reply the SMTP client sees. */
public class SmtpException extends Exception {
    private final Reply reply;

    public SmtpException(Reply reply) {
        super(reply.oneLine());
        this.reply = reply;
    }

    public Reply reply() {
        return reply;
    }
}
