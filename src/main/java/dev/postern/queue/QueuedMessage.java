package dev.postern.queue;

import dev.postern.mail.MessageContent;

import java.nio.file.Path;

/** A queue file as read: where it is, its envelope, and its content. */
public record QueuedMessage(Path file, QueueEnvelope envelope, MessageContent content) {
}
