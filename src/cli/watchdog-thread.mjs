// @ts-check
// The watchdog thread of a `mmcheck check` run (started by watchdog.ts): a worker thread that
// runs no model code, so it is never blocked by it. Every POLL_MS it
//  - asks the search to stop (the shared stop word, src/explore/stop-request.ts) when the time
//    limit has passed or the process's resident memory has reached its stop threshold;
//  - passes on the supervisor's stop requests (bin/mmcheck.js, over the socket on fd 3): the
//    signal went to the supervisor, whose JavaScript always runs, while this process's main
//    thread may be busy in a step;
//  - once a stop was asked for and the search has not ended GRACE_MS later, finds the model
//    code each search thread is in (the inspector runs an expression on a busy thread) and has
//    the main thread print the figures so far and exit 3 (watchdog.ts finishStuck);
//  - reports the search's figures to the supervisor, which prints them if it must kill us;
//  - ends this process if the supervisor is gone (SIGKILL to itself: nothing else would stop
//    a search that runs forever).
// Plain JavaScript (no TypeScript loader in this thread): it starts in a few milliseconds.
import { writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { threadId, workerData, parentPort } from 'node:worker_threads';
import { onLines } from './line-reader.mjs';

/**
 * @typedef {{
 *   stop: SharedArrayBuffer,
 *   codes: { interrupted: number, 'time-limit': number, memory: number },
 *   figures: SharedArrayBuffer,
 *   deadline: number | null,
 *   memoryStopBytes: number | null,
 *   supervisorFd: number | null,
 *   graceMs: number,
 *   pollMs: number,
 *   ownCode: string,
 * }} WatchdogData
 */
const data = /** @type {WatchdogData} */ (workerData);
const stopWord = new Int32Array(data.stop);
const figures = new Float64Array(data.figures);
/** @type {number | undefined} when this thread first saw a stop request */
let stopSeenAt;
let stuckHandled = false;
let lastFiguresSent = '';

/** @param {string} line */
const say = (line) => {
  try {
    writeSync(2, line);
  } catch {
    // stderr closed: nothing to say it on
  }
};

/** @param {'interrupted' | 'time-limit' | 'memory'} reason */
const request = (reason) => Atomics.compareExchange(stopWord, 0, 0, data.codes[reason]) === 0;

/** @type {Socket | undefined} */
let supervisor;
/** Set once the search has ended: the supervisor's socket then closes in answer to ours. */
let ending = false;
if (data.supervisorFd !== null) {
  supervisor = new Socket({ fd: data.supervisorFd, readable: true, writable: true });
  onLines(supervisor, (line) => {
    if (line.startsWith('stop ')) {
      const sig = line.slice('stop '.length);
      if (request('interrupted')) say(`\nmmcheck: ${sig}: stopping; figures so far follow (again to quit at once)\n`);
    }
  });
  // The supervisor is gone (killed): a search that never ends would run on, unseen.
  supervisor.on('end', () => {
    if (!ending) process.kill(process.pid, 'SIGKILL');
  });
  supervisor.on('error', () => undefined);
  supervisor.write('stoppable\n');
}

/** @param {string} line */
const tell = (line) => {
  if (supervisor !== undefined && supervisor.writable) supervisor.write(line + '\n');
};

const timer = setInterval(() => {
  const now = Date.now();
  if (Atomics.load(stopWord, 0) === 0) {
    if (data.deadline !== null && now >= data.deadline) request('time-limit');
    else if (data.memoryStopBytes !== null && process.memoryUsage.rss() >= data.memoryStopBytes) request('memory');
  }
  if (Atomics.load(stopWord, 0) !== 0 && stopSeenAt === undefined) {
    stopSeenAt = now;
    tell('stopping');
  }
  if (stopSeenAt !== undefined && now - stopSeenAt >= data.graceMs && !stuckHandled) {
    stuckHandled = true;
    void finishStuck(now - stopSeenAt);
  }
  const f = `${Math.round(figures[0]).toLocaleString('en-US')} distinct states, ${Math.round(figures[1]).toLocaleString('en-US')} transitions, depth ${figures[2]}`;
  if (f !== lastFiguresSent) {
    lastFiguresSent = f;
    tell(`figures ${f}`);
  }
}, data.pollMs);

parentPort?.on('message', (m) => {
  if (m === 'end') {
    // The search has ended: the supervisor passes later signals on as signals.
    ending = true;
    clearInterval(timer);
    tell('done');
    if (supervisor !== undefined) supervisor.end(() => parentPort?.postMessage('ended'));
    else parentPort?.postMessage('ended');
  }
});

/**
 * The search has not ended `waitedMs` after a stop: find what each search thread runs (the
 * inspector evaluates an expression on a thread even while it loops) and have the main thread
 * print the figures so far and exit.
 * @param {number} waitedMs
 */
async function finishStuck(waitedMs) {
  const { Session } = await import('node:inspector');
  const session = new Session();
  /** @type {(method: string, params?: object) => Promise<any>} */
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params ?? {}, (e, r) => (e ? reject(e) : resolve(r))));
  const probe = 'JSON.stringify({ running: globalThis.__mmcheckRunningUserCode?.() ?? null, stack: new Error().stack })';
  /** @type {{ thread: string, running: string | null, stack: string }[]} */
  const found = [];
  try {
    session.connectToMainThread();
    const main = await withTimeout(post('Runtime.evaluate', { expression: probe, returnByValue: true }), 500);
    if (main !== undefined) found.push({ thread: 'the main thread', ...JSON.parse(main.result.value) });
    // The pool's worker threads, through the main thread's session.
    /** @type {Map<string, string>} */
    const workers = new Map();
    /** @type {Map<string, (message: any) => void>} */
    const replies = new Map();
    session.on('NodeWorker.attachedToWorker', (/** @type {any} */ ev) => {
      if (ev.params.workerInfo.title !== `[worker ${threadId}]`) workers.set(ev.params.sessionId, ev.params.workerInfo.title.replace(/^\[|\]$/g, ''));
    });
    session.on('NodeWorker.receivedMessageFromWorker', (/** @type {any} */ ev) => replies.get(ev.params.sessionId)?.(JSON.parse(ev.params.message)));
    await withTimeout(post('NodeWorker.enable', { waitForDebuggerOnStart: false }), 500);
    await Promise.all(
      [...workers].map(async ([sessionId, name]) => {
        const reply = new Promise((resolve) => replies.set(sessionId, resolve));
        await post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression: probe, returnByValue: true } }) });
        const r = /** @type {any} */ (await withTimeout(reply, 500));
        if (r?.result?.result?.value !== undefined) found.push({ thread: name, ...JSON.parse(r.result.result.value) });
      }),
    );
  } catch {
    // what was found so far is what can be said
  }
  const busy = found.filter((f) => f.running !== null);
  const where = busy.map((f) => `${f.running}, in ${f.thread === 'the main thread' ? f.thread : f.thread.replace(/^worker/, 'worker thread')}${modelFrame(f.stack)}`);
  const note =
    where.length > 0
      ? `a step did not return within ${(waitedMs / 1000).toFixed(1)} s of the stop: ${where.join('; ')}`
      : `the search did not stop within ${(waitedMs / 1000).toFixed(1)} s of the stop`;
  try {
    const done = await withTimeout(post('Runtime.evaluate', { expression: `globalThis.__mmcheckFinishStuck(${JSON.stringify(note)})`, returnByValue: true }), 2000);
    if (done === undefined) throw new Error('no answer');
  } catch {
    // The main thread could not print: the supervisor kills this process after its grace.
    say(`mmcheck: ${note}\n`);
  }
}

/**
 * The frame of model code nearest the top of `stack` (a file outside mmcheck's own code,
 * `data.ownCode`, and node_modules), as ` at file:line:column`, or ''.
 * @param {string} stack
 */
function modelFrame(stack) {
  for (const line of stack.split('\n').slice(1)) {
    const m = line.match(/\(?((?:file:\/\/)?\/[^()]+?):(\d+):(\d+)\)?$/);
    if (m === null) continue;
    const file = m[1].replace(/^file:\/\//, '');
    if (file.startsWith(data.ownCode) || file.includes('/node_modules/') || file.includes('/mmcheck-workers/')) continue;
    const rel = file.startsWith(process.cwd() + '/') ? file.slice(process.cwd().length + 1) : file;
    return ` at ${rel}:${m[2]}:${m[3]}`;
  }
  return '';
}

/**
 * @template T
 * @param {Promise<T>} p
 * @param {number} ms
 * @returns {Promise<T | undefined>}
 */
function withTimeout(p, ms) {
  return Promise.race([p, new Promise((resolve) => setTimeout(() => resolve(undefined), ms))]);
}
