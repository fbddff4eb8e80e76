// The pool of worker threads a search with several threads uses (piscina): one task at a
// time per thread, the TypeScript worker through tsx or a bundle of it (bundle.ts).
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';

/**
 * A pool of `workers - 1` threads for searches with `workers` threads (the calling thread is
 * one of them). `entry` is a bundled worker (bundle.ts); by default threads load the
 * TypeScript worker through tsx.
 */
export function createWorkerPool(workers: number, entry?: string): Piscina {
  const threads = Math.max(1, workers - 1);
  const pool = new Piscina({
    filename: entry !== undefined ? pathToFileURL(entry).href : new URL('./worker-entry.mjs', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
    // One task at a time per thread: the phases of a level are barriers anyway.
    concurrentTasksPerWorker: 1,
  });
  // A thread that dies rejects the task it ran (the search reports that); piscina also
  // emits 'error' when it had no task left, which must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}
