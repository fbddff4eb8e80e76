// @ts-check
// Lines from a stream (the socket between the supervisor, bin/mmcheck.js, and the watchdog
// thread, src/cli/watchdog-thread.mjs): plain JavaScript, so both load it without a loader.

/**
 * Calls `onLine` with each complete line (without its newline) that arrives on `stream`.
 * @param {import('node:stream').Readable} stream
 * @param {(line: string) => void} onLine
 */
export function onLines(stream, onLine) {
  stream.setEncoding('utf8');
  let pending = '';
  stream.on('data', (/** @type {string} */ chunk) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      onLine(line);
    }
  });
}
