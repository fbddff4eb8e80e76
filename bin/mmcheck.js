#!/usr/bin/env node
// mmcheck command-line entry: a thin supervisor of a child process that runs the command
// (bin/mmcheck-run.js). JavaScript signal handlers cannot run while a thread is busy, so a
// model step that never returns would make a single process deaf to Ctrl-C; this process
// runs no model code and always can:
//  - a first SIGINT / SIGTERM / SIGHUP becomes a stop request, sent to the child's watchdog
//    thread (src/cli/watchdog-thread.mjs) through a socket on the child's fd 3 — or, before
//    the child says it can stop cleanly ("stoppable"), passed on as the signal itself;
//  - a second one kills the child (SIGKILL) and exits 130 at once;
//  - if the child has not ended within STOP_GRACE_MS of a stop (the watchdog normally ends a
//    stuck search within a second, with the figures so far), it is killed and the last
//    figures it reported are printed (exit 3);
//  - before the search, model code (a model file's top-level code, build(), the reductions'
//    tables) runs with no watchdog yet: the child says what the time limit is ("time-limit
//    MS") and what it runs ("phase TEXT"); if the watchdog has not started the limit plus
//    LOAD_GRACE_MS after the first phase, the child is killed and TEXT printed as the verdict
//    (exit 3);
//  - the child's exit code is this process's; a child killed by the kernel (SIGKILL: out of
//    memory) is reported in one line (exit 3).
// Its cost: one more Node process (~40 ms of start-up, ~40 MiB resident, see docs/limits.md).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// mmcheck's own modules: the sources in a checkout, the compiled dist/ when installed (no src/).
const own = existsSync(new URL('../src/cli/main.ts', import.meta.url)) ? '../src/' : '../dist/src/';
const { onLines } = await import(new URL(`${own}cli/line-reader.mjs`, import.meta.url).href);

const RUN = fileURLToPath(new URL('./mmcheck-run.js', import.meta.url));
/** How long after a stop request the child may take to end before it is killed. */
const STOP_GRACE_MS = 5000;
/** How long past the time limit model code may run before the search starts, before the child is killed. */
const LOAD_GRACE_MS = 1000;
const INTERRUPTED_TWICE = 130;
const INCOMPLETE = 3;

const child = spawn(process.execPath, [...process.execArgv, RUN, ...process.argv.slice(2)], {
  stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
  env: { ...process.env, MMCHECK_SUPERVISOR_FD: '3', MMCHECK_SUPERVISOR_RSS: String(process.memoryUsage.rss()) },
});
const channel = child.stdio[3];
let stoppable = false;
let signals = 0;
let killedByUs = false;
let lastFigures = '';
/** @type {NodeJS.Timeout | undefined} */
let graceTimer;
/** A signal passed on as a signal (the child could not yet stop cleanly). */
let forwarded;
/** The time limit (ms) the child was given, if any, and what model code it runs before the search. */
let timeLimitMs;
let phase = '';
/** @type {NodeJS.Timeout | undefined} */
let phaseTimer;

const say = (line) => process.stderr.write(`mmcheck: ${line}\n`);

onLines(channel, (line) => {
  if (line.startsWith('time-limit ')) timeLimitMs = Number(line.slice('time-limit '.length));
  else if (line.startsWith('phase ')) {
    phase = line.slice('phase '.length);
    armPhaseLimit();
  } else if (line === 'stoppable') {
    // The watchdog is up: it bounds the search (and its own time limit starts now).
    if (phaseTimer !== undefined) clearTimeout(phaseTimer);
    phaseTimer = undefined;
    stoppable = true;
    // A signal passed on before the watchdog was up may have met a busy main thread.
    if (forwarded !== undefined) channel.write(`stop ${forwarded}\n`);
  } else if (line === 'done') {
    // The search has ended (whatever stopped it): printing and writing files may take their time.
    stoppable = false;
    if (graceTimer !== undefined) clearTimeout(graceTimer);
  }
  else if (line.startsWith('figures ')) lastFigures = line.slice('figures '.length);
  else if (line === 'stopping') armGrace();
});
// The child's end closes when it exits (or its watchdog is gone): nothing more to read.
channel.on('error', () => undefined);
channel.on('end', () => (stoppable = false));

/**
 * Once model code starts running before the search: kills the child if its watchdog has not
 * started by the time limit plus LOAD_GRACE_MS, and prints what was running as the verdict.
 */
function armPhaseLimit() {
  if (phaseTimer !== undefined || timeLimitMs === undefined || !Number.isFinite(timeLimitMs) || stoppable) return;
  phaseTimer = setTimeout(() => {
    killedByUs = true;
    child.kill('SIGKILL');
    process.stdout.write(`incomplete: ${phase} when the time limit of ${(timeLimitMs / 1000).toFixed(1)} s (and ${LOAD_GRACE_MS / 1000} s more) ran out: stopped it; no state was searched\n`);
    process.exit(INCOMPLETE);
  }, timeLimitMs + LOAD_GRACE_MS);
  phaseTimer.unref();
}

/** Kills the child if it has not ended STOP_GRACE_MS from now. */
function armGrace() {
  if (graceTimer !== undefined) return;
  graceTimer = setTimeout(() => {
    killedByUs = true;
    child.kill('SIGKILL');
    say(`the search did not stop within ${STOP_GRACE_MS / 1000} s of the stop request: killed it${lastFigures ? `; figures as last reported: ${lastFigures}` : ''}`);
    process.exit(INCOMPLETE);
  }, STOP_GRACE_MS);
  graceTimer.unref();
}

function onSignal(sig) {
  signals++;
  if (signals > 1) {
    killedByUs = true;
    child.kill('SIGKILL');
    say(`${sig} again: stopped at once`);
    process.exit(INTERRUPTED_TWICE);
  }
  if (stoppable && channel.writable) {
    channel.write(`stop ${sig}\n`);
    armGrace();
  } else {
    // Not searching (loading, printing, another command): the child ends as Node does.
    forwarded = sig;
    child.kill(sig);
  }
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, onSignal);

child.on('error', (e) => {
  say(`error: cannot start the search process: ${e.message}`);
  process.exit(2);
});
child.on('exit', (code, signal) => {
  if (killedByUs) return;
  if (code !== null) process.exit(code);
  if (signal === 'SIGINT' || signal === 'SIGTERM' || signal === 'SIGHUP') {
    // Ended by a signal before it could stop cleanly: as a shell reports it.
    process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 })[signal]);
  }
  say(`the search process was killed by ${signal} (by the kernel's out-of-memory killer, or another process)${lastFigures ? `; figures as last reported: ${lastFigures}` : ''}`);
  process.exit(INCOMPLETE);
});
