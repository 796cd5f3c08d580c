package dev.postern.qmgr;

import dev.postern.mail.MailAddress;
import dev.postern.mail.MessageContent;
import dev.postern.mail.RecipientResult;
import dev.postern.queue.QueuedMessage;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A message in active/ while its destination groups are delivered, possibly in parallel. It
 * collects each recipient's outcome; the last group to finish hands it to {@link Completion}.
 * The queue file may be rewritten between groups (done recipients recorded), which changes where
 * the content starts, so agents read the content through {@link #content()}, which always opens
 * the current file with the matching offset (an already open stream keeps reading the old inode).
 */
final class ActiveMessage {
    private QueuedMessage current;
    private final Instant picked;
    private int pendingGroups;
    private final List<MailAddress> sent = new ArrayList<>();
    private final List<MailAddress> unrecorded = new ArrayList<>();
    private final Map<MailAddress, RecipientResult> deferred = new LinkedHashMap<>();
    private final List<RecipientResult> failed = new ArrayList<>();

    ActiveMessage(QueuedMessage message, Instant picked) {
        this.current = message;
        this.picked = picked;
    }

    Instant picked() {
        return picked;
    }

    synchronized QueuedMessage current() {
        return current;
    }

    synchronized void replace(QueuedMessage reread) {
        this.current = reread;
    }

    String queueId() {
        return current().envelope().id().toString();
    }

    synchronized void expectGroups(int n) {
        pendingGroups = n;
    }

    /** Records one group's outcomes; true when it was the last group of the message. */
    synchronized boolean groupDone(List<RecipientResult> results) {
        for (RecipientResult r : results) {
            if (r instanceof RecipientResult.Sent) {
                sent.add(r.recipient());
                unrecorded.add(r.recipient());
            } else if (r instanceof RecipientResult.Deferred) {
                deferred.put(r.recipient(), r);
            } else {
                failed.add(r);
            }
        }
        return --pendingGroups == 0;
    }

    /** Sent recipients not yet recorded in the queue file; the caller records them. */
    synchronized List<MailAddress> takeUnrecorded() {
        List<MailAddress> out = List.copyOf(unrecorded);
        unrecorded.clear();
        return out;
    }

    synchronized List<RecipientResult> deferred() {
        return List.copyOf(deferred.values());
    }

    synchronized List<RecipientResult> failed() {
        return List.copyOf(failed);
    }

    synchronized List<MailAddress> sent() {
        return List.copyOf(sent);
    }

    /** The content as agents see it: always the current file at its current offset. */
    MessageContent content() {
        return new MessageContent() {
            @Override
            public InputStream open() throws IOException {
                synchronized (ActiveMessage.this) {
                    return current.content().open();
                }
            }

            @Override
            public long size() {
                synchronized (ActiveMessage.this) {
                    return current.content().size();
                }
            }
        };
    }
}
