package dev.postern.config;

import java.util.List;
import java.util.Map;

/**
 * One master.cf row: {@code service type private unpriv chroot wakeup maxproc command args}.
 * For inet services {@code name} is the listen address ({@code 587}, {@code 127.0.0.1:2525},
 * {@code [::1]:587}). {@code overrides} are the {@code -o name=value} pairs in order (values raw,
 * already joined across continuation lines); {@code args} the remaining command arguments.
 */
public record MasterService(String name, String type, String command, Map<String, String> overrides,
                            List<String> args, String maxproc, String file, int line) {
    public String origin() {
        return file + ":" + line;
    }
}
