package dev.postern.tls;

/**
 * Certificates, keys or TLS settings that cannot be used. {@link #parameter()} names the setting
 * at fault when one is (so the configuration error can point at its file and line), and
 * {@link #fix()} says what to do; {@link #getMessage()} is the problem and the fix together.
 */
public class TlsSetupException extends Exception {
    private final String parameter;
    private final String problem;
    private final String fix;

    public TlsSetupException(String message) {
        this(null, message, "", null);
    }

    public TlsSetupException(String message, Throwable cause) {
        this(null, message, "", cause);
    }

    public TlsSetupException(String parameter, String problem, String fix) {
        this(parameter, problem, fix, null);
    }

    private TlsSetupException(String parameter, String problem, String fix, Throwable cause) {
        super(fix.isEmpty() ? problem : problem + "; " + fix, cause);
        this.parameter = parameter;
        this.problem = problem;
        this.fix = fix;
    }

    /** The parameter at fault (e.g. smtpd_tls_key_file), or null. */
    public String parameter() {
        return parameter;
    }

    public String problem() {
        return problem;
    }

    /** What to do about it, or "". */
    public String fix() {
        return fix;
    }
}
