// How many search threads a run gets: what was asked for, at most one per core the process may
// run on. More threads than cores only slow the search (each level's phases wait for the
// slowest thread, and a descheduled thread holds everyone up: `--workers 200` took 64 s where 2
// took 5 s on kvm 2/2/2, with 2.9 GiB resident) and each thread holds its own copy of the
// model and its memo tries (`--workers 1000` started 1,000 threads and 15 GB).
import { availableParallelism } from 'node:os';

/** The thread count a search runs with, and, when the request was lowered, a line saying so. */
export interface ThreadCount {
  readonly threads: number;
  readonly note?: string;
}

/**
 * The search threads for a request of `asked` (undefined: one per core): at most
 * `os.availableParallelism()`, at least 1.
 *
 * @example
 *   searchThreads(1000) // on 2 cores: { threads: 2, note: '--workers 1000: …; using 2 …' }
 */
export function searchThreads(asked: number | undefined, cores = availableParallelism()): ThreadCount {
  if (asked === undefined) return { threads: cores };
  const wanted = Math.max(1, Math.floor(asked));
  if (wanted <= cores) return { threads: wanted };
  return {
    threads: cores,
    note: `--workers ${wanted}: this machine runs ${cores} thread${cores === 1 ? '' : 's'} at once; using ${cores} (more search threads than cores only slow the search)`,
  };
}
