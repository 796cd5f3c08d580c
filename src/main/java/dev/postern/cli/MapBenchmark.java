package dev.postern.cli;

import dev.postern.maps.LookupException;
import dev.postern.maps.LookupTable;
import dev.postern.maps.Maps;
import dev.postern.maps.TableCheck;

import java.io.PrintWriter;
import java.util.List;

/**
 * {@code postern map --bench N}: how long a table takes to load, and in-process lookups per second
 * for keys that exist (one thread, after a warm-up), through the same {@link LookupTable} the
 * server uses. Prints one RESULT line for bench/map-lookups.sh.
 */
final class MapBenchmark {
    private MapBenchmark() {}

    static void run(String spec, long lookups, PrintWriter out) throws LookupException {
        long t0 = System.nanoTime();
        LookupTable table = Maps.open(spec);
        table.lookup("warm-up"); // the first lookup may reload; the load is part of opening
        long loadNanos = System.nanoTime() - t0;
        List<TableCheck.Entry> entries = TableCheck.dump(spec);
        String[] keys = new String[entries.size()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = entries.get(i).key();
        }
        if (keys.length == 0) {
            throw new IllegalArgumentException(spec + ": no entries to look up");
        }
        time(table, keys, Math.min(lookups, 1_000_000)); // warm-up for the JIT; not part of the result
        long start = System.nanoTime();
        long found = time(table, keys, lookups);
        double secs = (System.nanoTime() - start) / 1e9;
        Runtime rt = Runtime.getRuntime();
        rt.gc();
        out.printf("RESULT entries=%d load_ms=%d lookups=%d secs=%.3f lookups_per_s=%.0f heap_used_mb=%d found=%d%n",
                entries.size(), loadNanos / 1_000_000, lookups, secs, lookups / secs,
                (rt.totalMemory() - rt.freeMemory()) >> 20, found);
    }

    private static long time(LookupTable table, String[] keys, long n) throws LookupException {
        long found = 0;
        for (long i = 0; i < n; i++) {
            // a large prime stride: every key, in an order the CPU caches cannot predict
            if (table.lookup(keys[(int) ((i * 1_000_003L) % keys.length)]).isPresent()) {
                found++;
            }
        }
        return found;
    }
}
