// The main-thread side of a `mmcheck check` run's watchdog (watchdog-thread.mjs): starts the
// thread with the search's stop request, figures, time limit and memory threshold, and
// registers what the thread has this thread run, through the inspector, when the search does
// not stop: print the figures so far and exit 3. A model step that loops forever then ends
// the run within about a second of its time limit, its Ctrl-C or its memory threshold,
// naming the step, however busy this thread is.
import { writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LiveSearch } from '../explore/live-search.ts';
import { STOP_REASONS, type StopRequest } from '../explore/stop-request.ts';
import { supervisorFd } from './supervisor-channel.ts';

/** How long after a stop request the search may take to end before it counts as stuck. */
export const STUCK_GRACE_MS = 1000;
/** How often the watchdog looks at the clock, the memory and the supervisor. */
const POLL_MS = 50;

const THREAD = new URL('./watchdog-thread.mjs', import.meta.url);
/** mmcheck's own code: frames in it are not the model's. */
const OWN_CODE = fileURLToPath(new URL('../', import.meta.url));

/** What the watchdog watches. */
export interface WatchdogOptions {
  readonly stop: StopRequest;
  readonly live: LiveSearch;
  /** The search's time limit (ms from now), if any. */
  readonly timeLimitMs?: number;
  /** Resident bytes at which the search is asked to stop (the memory budget's threshold). */
  readonly memoryStopBytes?: number;
  /**
   * Called on this thread, inside whatever it was running, when the search has not ended
   * STUCK_GRACE_MS after a stop: `note` says which model code each thread was in. It must
   * print and end the process.
   */
  readonly onStuck: (note: string) => never;
}

/** A running watchdog. */
export interface Watchdog {
  /** Stops it (the search has ended); the supervisor then passes signals on as signals. */
  end(): Promise<void>;
}

/**
 * Starts the watchdog thread for a search.
 *
 * @example
 *   const dog = startWatchdog({ stop, live, timeLimitMs: 2000, onStuck: (note) => { print(note); hardExit(3); } });
 *   try { await runSearch(model, { stop, live }); } finally { await dog.end(); }
 */
export function startWatchdog(o: WatchdogOptions): Watchdog {
  (globalThis as { __mmcheckFinishStuck?: (note: string) => void }).__mmcheckFinishStuck = o.onStuck;
  const worker = new Worker(THREAD, {
    workerData: {
      stop: o.stop.buffer,
      codes: STOP_REASONS,
      figures: o.live.figures.buffer,
      deadline: o.timeLimitMs !== undefined && Number.isFinite(o.timeLimitMs) ? Date.now() + o.timeLimitMs : null,
      memoryStopBytes: o.memoryStopBytes ?? null,
      supervisorFd: supervisorFd(),
      graceMs: STUCK_GRACE_MS,
      pollMs: POLL_MS,
      ownCode: OWN_CODE,
    },
    // Its own output goes straight to fd 2 (this thread may be too busy to relay it).
    stdout: false,
    stderr: false,
  });
  worker.unref();
  worker.on('error', (e) => writeSync(2, `mmcheck: the watchdog thread failed: ${e.message}; limits then act only between search ranges\n`));
  return {
    async end() {
      const ended = new Promise<void>((resolve) => {
        worker.once('message', () => resolve());
        worker.once('exit', () => resolve());
        setTimeout(resolve, 500).unref();
      });
      worker.postMessage('end');
      await ended;
      await worker.terminate();
    },
  };
}
