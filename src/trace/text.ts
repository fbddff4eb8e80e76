// Text rendering of results: the counterexample a kernel developer reads, step by step, and
// the SPIN/TLC-style summary of figures.
import type { CheckResult, CheckStats, Trace, Violation } from '../explore/result.ts';
import type { StorageStats } from '../search/storage-choice.ts';
import type { CheckpointStats } from '../search/checkpoint-choice.ts';
import type { ExpectationReport, ExpectationRow } from '../explore/expectations.ts';

/** ANSI styling, or none (colour only on a TTY). */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
export const ANSI: Style = { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
const id = (s: string) => s;
export const PLAIN: Style = { bold: id, dim: id, red: id, green: id, yellow: id, cyan: id };

/** 1234567 → "1,234,567" */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/**
 * "10 steps, 1 preemption" (preemptions only when the trace counts them); for a lasso,
 * "5 steps (a lasso: 2 to the loop, a loop of 3), …".
 */
export function traceSize(trace: Trace): string {
  const n = trace.steps.length;
  let steps = `${n} step${n === 1 ? '' : 's'}`;
  if (trace.loopStart !== undefined) {
    const k = trace.loopStart;
    steps += k === n ? ' (a lasso: the last state repeats forever)' : ` (a lasso: ${k} to the loop, a loop of ${n - k})`;
  }
  if (trace.preemptions === undefined) return steps;
  return `${steps}, ${trace.preemptions} preemption${trace.preemptions === 1 ? '' : 's'}`;
}

/** The line closing a lasso's loop: where it goes back to. */
export function loopEnd(trace: Trace): string {
  const k = trace.loopStart!;
  if (k === trace.steps.length) return `-- the state after ${k === 0 ? 'the start' : `step ${k}`} repeats forever: no thread can move --`;
  return `-- back to ${k === 0 ? 'the initial state' : `the state after step ${k}`}: the loop repeats forever --`;
}

/**
 * A trace as numbered steps: thread, label, kernel function, locks the thread holds after
 * the step, then the changes. A step that preempts the previous thread (which could have
 * continued) is marked `preempts <thread>`.
 */
export function renderTrace(trace: Trace, style: Style = PLAIN): string {
  const lines: string[] = [];
  const actorW = Math.max(6, ...trace.steps.map((s) => (s.actor ?? '').length));
  const labelW = Math.max(5, ...trace.steps.map((s) => s.label.length));
  const numW = String(trace.steps.length).length;
  const marker = (text: string) => lines.push(' '.repeat(numW + 2) + style.yellow(text));
  trace.steps.forEach((s, i) => {
    if (i === trace.loopStart) marker('-- loop starts here --');
    const kernel = s.kernel ? style.cyan(s.kernel) : '';
    const locks = s.locksHeld && s.locksHeld.length ? style.yellow(`[holds ${s.locksHeld.join(', ')}]`) : '';
    const prev = i > 0 ? trace.steps[i - 1].actor : undefined;
    const preempt = s.preempts ? style.red(`<- preempts ${prev ?? 'the previous thread'}`) : '';
    const head = `${String(s.index).padStart(numW)}. ${style.bold(pad(s.actor ?? '', actorW))}  ${pad(s.label, labelW)}  ${[kernel, locks, preempt].filter(Boolean).join('  ')}`;
    lines.push(head.trimEnd());
    const indent = ' '.repeat(numW + 2 + 4);
    if (s.note) lines.push(indent + style.dim(s.note));
    for (const c of s.changes) lines.push(`${indent}${c.path}: ${c.before} → ${style.bold(c.after)}`);
  });
  if (trace.loopStart !== undefined) marker(loopEnd(trace));
  return lines.join('\n');
}

/**
 * The whole report of one violation: a header with its size (steps, preemptions), the trace,
 * and a final line naming the property and the values that broke it. `note` (e.g. how the
 * trace was minimised) goes under the header.
 */
export function renderViolation(v: Violation, style: Style = PLAIN, note?: string): string {
  const n = v.trace.steps.length;
  const parts = [
    style.bold(`Counterexample for '${v.property}': ${traceSize(v.trace)}`),
    ...(note ? [style.dim(note)] : []),
    n > 0 ? renderTrace(v.trace, style) : `   (the initial state)${v.trace.loopStart !== undefined ? `\n   ${style.yellow(loopEnd(v.trace))}` : ''}`,
    `${style.red(style.bold('violated:'))} ${v.property}: ${v.message}`,
  ];
  return parts.join('\n');
}

/** Seconds with a sensible precision. */
export function seconds(ms: number): string {
  return ms < 10_000 ? (ms / 1000).toFixed(2) : (ms / 1000).toFixed(1);
}

/** The figures of a run, one fact a line. */
export function renderStats(st: CheckStats): string {
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  return [
    `${count(st.distinctStates)} distinct states, ${count(st.transitions)} transitions, depth ${st.depth}`,
    `${seconds(st.elapsedMs)} s, ${st.liveness !== undefined ? `fair-cycle check ${seconds(st.liveness.checkMs)} s of it, ` : ''}${count(st.statesPerSecond)} states/s, peak memory ${mib(st.peakMemoryBytes)} MiB, seen set ${st.seenSetBytesPerState.toFixed(1)} B/state${st.frontierBytesPerState === undefined ? '' : `, frontier ${st.frontierBytesPerState.toFixed(1)} B/state`}, ${st.workers} worker${st.workers === 1 ? '' : 's'}`,
    `fingerprint collision probability: ${st.collisionProbability.toExponential(1)} (birthday bound over ${count(st.distinctStates)} ${st.fingerprintBits ?? 64}-bit fingerprints)`,
    ...(st.liveness !== undefined
      ? [`liveness: fairness ${st.liveness.fairness}; state graph ${st.liveness.graphBytesPerState.toFixed(1)} B/state (${count(st.liveness.edges)} transitions)`]
      : []),
    ...(st.storage !== undefined ? [storageLine(st.storage)] : []),
    ...(st.checkpoint !== undefined ? checkpointLines(st.checkpoint) : []),
    ...(st.cluster !== undefined
      ? [`cluster: ${st.cluster.nodes.length} node${st.cluster.nodes.length === 1 ? '' : 's'} over NATS, ${mib(st.cluster.bytesSent)} MiB of successors sent between them, ${(st.distinctStates > 0 ? st.cluster.bytesSent / st.distinctStates : 0).toFixed(1)} B sent/state`]
      : []),
    ...(st.engineNote !== undefined ? [`note: ${st.engineNote}`] : []),
    ...(st.hashedStrings !== undefined && st.hashedStrings.length > 0 ? [`note: ${hashedNote(st.hashedStrings)}`] : []),
  ].join('\n');
}

/**
 * What --storage disk held on disk, or what --storage bitstate risked: SPIN's hash factor
 * (bits per state; SPIN calls above 100 good) and the chance a state was missed.
 */
export function storageLine(st: StorageStats): string {
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  if (st.kind === 'disk') {
    const frontier = st.frontierLevels !== undefined ? `; ${st.frontierLevels} level${st.frontierLevels === 1 ? '' : 's'} searched in ${count(st.frontierSlices ?? 0)} slices from files (${mib(st.frontierPeakBytes ?? 0)} MiB at most)` : '';
    return `storage: disk, ${count(st.archived)} fingerprints in a sorted file (${st.flushes} merge${st.flushes === 1 ? '' : 's'}), ${mib(st.diskBytes ?? 0)} MiB on disk at the end, ${mib(st.peakDiskBytes ?? 0)} MiB at most${frontier}`;
  }
  const log2 = Math.log2(st.bits ?? 1);
  return [
    `storage: bitstate, 2^${log2} bits (${mib((st.bits ?? 0) / 8)} MiB), ${st.hashes} bits a state, hash factor ${(st.hashFactor ?? 0) === Infinity ? '∞' : (st.hashFactor ?? 0).toFixed(1)} (bits per state; best above 100)`,
    `bitstate: the figures are a lower bound (a state taken for a seen one hides the states reached only through it): expected states missed ${(st.expectedMissed ?? 0).toExponential(1)}, probability of having missed any ${(st.missProbability ?? 0).toExponential(1)}`,
  ].join('\n');
}

/** Where the run's checkpoints went (--checkpoint), and the one it resumed from (--resume). */
export function checkpointLines(c: CheckpointStats): string[] {
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const lines: string[] = [];
  if (c.resumedFrom !== undefined) lines.push(`resumed: from the checkpoint in ${c.resumedFrom.dir} at depth ${c.resumedFrom.depth} (${count(c.resumedFrom.states)} states, ${count(c.resumedFrom.transitions)} transitions)`);
  if (c.last !== undefined) lines.push(`checkpoint: depth ${c.last.depth} (${count(c.last.states)} states) in ${c.dir}, ${mib(c.last.bytes)} MiB written in ${seconds(c.last.writeMs)} s; ${c.writes} written by this run`);
  else lines.push(`checkpoint: none written by this run into ${c.dir} (one is written at the end of a level, once --checkpoint-every has passed, and at a stop)`);
  return lines;
}

const SHOWN_STRINGS = 5;

function hashedNote(xs: readonly string[]): string {
  const shown = xs.slice(0, SHOWN_STRINGS).map((x) => JSON.stringify(x)).join(', ');
  const more = xs.length > SHOWN_STRINGS ? ` and ${xs.length - SHOWN_STRINGS} more` : '';
  const n = xs.length === 1 ? 'string' : 'strings';
  return `the states held ${xs.length} ${n} in no initial state (${shown}${more}); listing ${xs.length === 1 ? 'it' : 'them'} in the model's \`strings\` gives small codes: smaller states, a faster search`;
}

/** "not checked: 'progress': why" lines for the properties a run left unchecked. */
function uncheckedLines(r: CheckResult, style: Style): string[] {
  if (r.status === 'error' || r.unchecked === undefined) return [];
  // A run incomplete for what it left unchecked names those in its verdict line.
  const shown = r.status === 'incomplete' && r.limit === 'unchecked' ? r.unchecked.filter((u) => u.optedOut === true) : r.unchecked;
  return shown.map((u) => `${style.yellow('not checked')}: '${u.property}': ${u.reason}`);
}

/** Verdict line plus figures, printed at the end of every run. */
export function renderSummary(r: CheckResult, style: Style = PLAIN): string {
  if (r.status === 'error') return `${style.red(style.bold('error'))}: ${r.error.message}`;
  return [verdictLine(r, style), ...uncheckedLines(r, style), renderStats(r.stats)].join('\n');
}

function verdictLine(r: Exclude<CheckResult, { status: 'error' }>, style: Style): string {
  switch (r.status) {
    case 'holds':
      return `${style.green(style.bold('holds'))}: ${r.model}: every ${r.unchecked?.length ? 'checked ' : ''}property holds (${r.properties.join('; ')})`;
    case 'violated': {
      const names = r.violations.map((v) => `'${v.property}'`).join(', ');
      if (r.stoppedEarly) return `${style.red(style.bold('violated'))}: ${r.model}: ${names} (search stopped at the first violation; --all-properties checks the rest)`;
      // Every property checked: what held too.
      const held = r.properties.filter((p) => !r.violations.some((v) => v.property === p));
      return `${style.red(style.bold('violated'))}: ${r.model}: ${names}; ${held.length > 0 ? `holds: ${held.map((p) => `'${p}'`).join(', ')}` : 'no property holds'}`;
    }
    case 'incomplete': {
      // The search was complete; what it could not check is the reason.
      if (r.limit === 'unchecked') return `${style.yellow(style.bold('incomplete'))}: ${r.model}: ${r.reason}; ${r.properties.length > 0 ? `every checked property holds (${r.properties.join('; ')})` : 'no property was checked'}`;
      const found = r.violations.length
        ? `violated so far: ${r.violations.map((v) => `'${v.property}'`).join(', ')}; the other properties hold in what was explored`
        : 'no violation in what was explored';
      return `${style.yellow(style.bold('incomplete'))}: ${r.model}: ${r.reason}; ${found}`;
    }
  }
}

function rowText(x: ExpectationRow): string {
  if (x.expected === undefined) return `'${x.property}' is violated, which the model's expect does not name`;
  return `'${x.property}' was expected ${x.expected === 'holds' ? 'to hold' : 'to be violated'} but ${x.found === 'holds' ? 'holds' : 'is violated'}`;
}

/**
 * The line comparing a result with the model's expectations: "expect: as expected (…)" or
 * each difference, then the expectations the search could not settle, grouped by why.
 */
export function renderExpectations(rep: ExpectationReport, style: Style = PLAIN): string {
  const settled = rep.rows.filter((x) => x.found !== 'unknown');
  const tally = (rows: readonly ExpectationRow[]) => {
    const v = rows.filter((x) => x.found === 'violated').length;
    const h = rows.length - v;
    return [v > 0 ? `${v} violated` : '', h > 0 ? `${h} hold${h === 1 ? 's' : ''}` : ''].filter(Boolean).join(', ');
  };
  if (rep.mismatches.length === 0 && rep.unknown.length === 0) return `${style.green('expect')}: as expected (${tally(settled) || 'nothing declared'})`;
  const parts: string[] = [];
  if (rep.mismatches.length > 0) parts.push(`${style.red(style.bold('differs from the model\'s expect'))}: ${rep.mismatches.map(rowText).join('; ')}`);
  const matched = settled.filter((x) => !rep.mismatches.includes(x));
  if (matched.length > 0) parts.push(`as expected: ${tally(matched)}`);
  const whys = [...new Set(rep.unknown.map((x) => x.why))];
  for (const why of whys) parts.push(`not settled (${why}): ${rep.unknown.filter((x) => x.why === why).map((x) => `'${x.property}'`).join(', ')}`);
  return `${rep.mismatches.length > 0 ? style.red('expect') : style.yellow('expect')}: ${parts.join('; ')}`;
}
