package dev.postern.mail;

import java.io.IOException;
import java.io.InputStream;

/**
 * A queued message's content (headers and body) with CRLF line endings and without dot-stuffing;
 * the SMTP client stuffs on output.
 */
public interface MessageContent {
    InputStream open() throws IOException;

    long size();
}
