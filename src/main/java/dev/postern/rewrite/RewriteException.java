package dev.postern.rewrite;

/**
 * An address could not be rewritten: a table could not answer, a nesting or expansion went past
 * its limit. The message is not accepted now (Postfix's CLEANUP_STAT_WRITE or CLEANUP_STAT_DEFER):
 * {@link #warning()} is logged after the queue ID, {@link #aliasExpansion()} tells which reply.
 */
public final class RewriteException extends Exception {
    private final boolean aliasExpansion;

    /**
     * @param warning the log text after "QUEUEID: ", as Postfix words it
     * @param aliasExpansion true for virtual alias expansion limits (Postfix's "4.6.0 Alias expansion error")
     */
    public RewriteException(String warning, boolean aliasExpansion) {
        super(warning);
        this.aliasExpansion = aliasExpansion;
    }

    public String warning() {
        return getMessage();
    }

    public boolean aliasExpansion() {
        return aliasExpansion;
    }
}
