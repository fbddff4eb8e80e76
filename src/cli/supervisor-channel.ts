// The command process's side of the socket to its supervisor (bin/mmcheck.js) before the
// watchdog thread takes it over: lines written synchronously from the main thread, so a model
// whose code then never returns (a top-level loop, a build() that never ends) has already
// told the supervisor what the time limit is and what was running.
import { writeSync } from 'node:fs';

/** The supervisor's socket (fd) in this process, or null when run without a supervisor. */
export function supervisorFd(): number | null {
  const fd = process.env.MMCHECK_SUPERVISOR_FD;
  return fd !== undefined && /^\d+$/.test(fd) ? Number(fd) : null;
}

/**
 * Sends one line to the supervisor, if there is one. Only the main thread, and only before
 * the watchdog thread has opened the socket (startWatchdog), may call it.
 */
export function tellSupervisor(line: string): void {
  const fd = supervisorFd();
  if (fd === null) return;
  try {
    writeSync(fd, `${line.replace(/\n/g, ' ')}\n`);
  } catch {
    // The supervisor is gone: it can no longer enforce anything.
  }
}

/**
 * Says how long model code may run before the search starts (`--time-limit`): from the next
 * `enterPhase` until the watchdog is up, the supervisor ends the run that limit plus a second
 * later, printing what was running (exit 3).
 */
export function tellTimeLimit(ms: number): void {
  if (Number.isFinite(ms)) tellSupervisor(`time-limit ${ms}`);
}

/**
 * Says what runs next before the search starts, as it ends a verdict line if it never returns:
 * "model 'm.ts' never finished loading: its top-level code was still running".
 */
export function enterPhase(what: string): void {
  tellSupervisor(`phase ${what}`);
}
