// Liveness at the command line: the case (a polling daemon hid a thread waiting
// forever), lassos in text, JSON (confirmed by `mmcheck replay`, loop and fairness included)
// and HTML, --fairness, and the properties a run leaves unchecked: an incomplete run unless the
// user opted out (--no-liveness).
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../helpers.ts';
import { check } from '../../src/check.ts';
import type { ModelDefinition } from '../../src/model/definition.ts';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const DAEMON = 'test/fixtures/polling-daemon.ts';

function mmcheck(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/mmcheck.js', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('a daemon no longer hides a thread waiting forever', () => {
  it('with the polling daemon: exit 1, the progress violation as a lasso', () => {
    // No state is a deadlock (the daemon can always poll), but the driver waits at
    // 'wait_ready' forever: after 'submit' the behaviour loops on the daemon's poll.
    const r = mmcheck('check', DAEMON, '--workers', '1');
    expect(r.code).toBe(1);
    expect(r.out).toContain("Counterexample for 'progress': 2 steps (a lasso: 1 to the loop, a loop of 1), 0 preemptions");
    const lines = r.out.split('\n');
    const at = (s: string) => lines.findIndex((l) => l.includes(s));
    expect(at('1. driver  submit')).toBeLessThan(at('-- loop starts here --'));
    expect(at('-- loop starts here --')).toBeLessThan(at('2. poll    read_status'));
    expect(at('2. poll    read_status')).toBeLessThan(at('-- back to the state after step 1: the loop repeats forever --'));
    expect(r.out).toContain("violated: progress: not infinitely often: driver finishes or rests at an end point. On the loop, which repeats forever, it never holds: driver is stuck at 'wait_ready', where it waits (guard false). Fairness allows this loop: poll moves on it; driver can never move on it.");
    expect(r.out).toMatch(/^violated: polling-daemon: 'progress'; holds: 'no sleeping under a spinlock', 'assertions', 'deadlock freedom'$/m);
    expect(r.out).toMatch(/^liveness: fairness weak for every thread; state graph [\d.]+ B\/state \(3 transitions\)$/m);
    expect(r.out).toMatch(/^[\d.]+ s, fair-cycle check [\d.]+ s of it, [\d,]+ states\/s, .*, 1 worker$/m);
  });

  it('without the daemon: the same wait is reported as the deadlock it is', () => {
    const r = mmcheck('check', DAEMON, '-p', 'daemon=false');
    expect(r.code).toBe(1);
    expect(r.out).toContain("Counterexample for 'deadlock freedom': 1 step");
    expect(r.out).toContain("violated: deadlock freedom: no thread can move: driver at 'wait_ready' waits (guard false)");
  });

  it('--no-liveness checks safety only: holds (exit 0), and says liveness was not asked for', () => {
    const r = mmcheck('check', DAEMON, '--no-liveness');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^holds: polling-daemon: every checked property holds \(no sleeping under a spinlock; assertions; deadlock freedom\)$/m);
    expect(r.out).toMatch(/^not checked: 'progress': not asked for: --no-liveness checks safety only$/m);
    expect(r.out).not.toMatch(/^liveness:/m);
    // The same with a reduction: the user opted out, so nothing was left out unasked.
    expect(mmcheck('check', DAEMON, '--no-liveness', '--por').code).toBe(0);
  });

  // The daemon's 'progress' is violated (exit 1, above); a run that cannot check it once
  // printed "every checked property holds" and exited 0. It is incomplete: exit 3, the verdict
  // line naming the property left unchecked and why.
  const SAFE = 'every checked property holds (no sleeping under a spinlock; assertions; deadlock freedom)';
  const OPT_OUT = 'or add --no-liveness to check safety only';
  it.each([
    ['--por', `partial-order reduction (--por) leaves out interleavings a fair loop may need; run without --por, ${OPT_OUT}`],
    ['--symmetry', `symmetry reduction (--symmetry) merges threads that fairness tells apart; run without --symmetry, ${OPT_OUT}`],
  ])('%s leaves liveness unchecked: incomplete (exit 3), saying which property and why', (flag, why) => {
    const r = mmcheck('check', DAEMON, flag);
    expect(r.code).toBe(3);
    expect(r.out.split('\n')).toContain(`incomplete: polling-daemon: not checked: 'progress' (${why}); ${SAFE}`);
    expect(r.out).not.toMatch(/^(holds|not checked):/m);
  });

  it('--coverage checks liveness too: the daemon\'s progress is violated (exit 1), with the step counts', () => {
    // --coverage once ran a sequential search that kept no state graph, and left 'progress'
    // unchecked; its hook now runs on the one search, which records the graph.
    const r = mmcheck('check', DAEMON, '--coverage');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^violated: polling-daemon: 'progress'; holds: 'no sleeping under a spinlock', 'assertions', 'deadlock freedom'$/m);
    expect(r.out).toMatch(/^Coverage: \d+ of \d+ steps fired/m);
  });

  it('check() reports it the same way: incomplete, limit "unchecked", the properties and why', async () => {
    const def = ((await import(`../../${DAEMON}`)) as { default: ModelDefinition }).default;
    const r = await check(def, { por: true });
    expect(r.status === 'incomplete' && { limit: r.limit, unchecked: r.unchecked, properties: r.properties }).toEqual({
      limit: 'unchecked',
      unchecked: [{ property: 'progress', reason: `partial-order reduction (--por) leaves out interleavings a fair loop may need; run without --por, ${OPT_OUT}` }],
      properties: ['no sleeping under a spinlock', 'assertions', 'deadlock freedom'],
    });
    const safety = await check(def, { por: true, liveness: false });
    expect(safety.status === 'holds' && safety.unchecked).toEqual([{ property: 'progress', reason: 'not asked for: --no-liveness checks safety only', optedOut: true }]);
    // A violation found is still a violation.
    expect((await check(def, { por: true, params: { daemon: false } })).status).toBe('violated');
  });

  it('--fairness: a bad value is exit 2 with one line', () => {
    const r = mmcheck('check', DAEMON, '--fairness', 'fair');
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe("mmcheck: error: --fairness must be 'none', 'weak', 'strong', got 'fair'");
  });
});

describe('lassos in JSON and HTML; mmcheck replay confirms them', () => {
  it('replay confirms the prefix, that the loop closes and is fair, and the violation; edits diverge', () => {
    const dir = scratchDir('lasso');
    const json = join(dir, 'lasso.json');
    const html = join(dir, 'lasso.html');
    expect(mmcheck('check', DAEMON, '--json', json, '--html', html).code).toBe(1);
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    const v = doc.violations[0];
    expect(v).toMatchObject({ property: 'progress', kind: 'liveness', fairness: { driver: 'weak', poll: 'weak' } });
    expect(v.trace.loopStart).toBe(1);
    expect(v.itf.loop).toBe(1);
    const ok = mmcheck('replay', json);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/confirmed: polling-daemon: all 2 steps replay, the loop from step 1 closes and is fair, and 'progress' is violated/);
    expect(ok.out).toContain('-- loop starts here --');

    // A loop that does not come back to its first state is no lasso.
    const open = join(dir, 'open.json');
    writeFileSync(open, JSON.stringify({ ...doc, violations: [{ ...v, trace: { ...v.trace, loopStart: 0 } }] }));
    const bad = mmcheck('replay', open);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/diverged: polling-daemon: at the end of the trace: every step replays, but the loop does not close: the state after step 2 is not the state after the initial state/);

    const page = readFileSync(html, 'utf8');
    expect(page).toContain('id="loop-start"');
    expect(page).toContain('back to the state after step 1: the loop repeats forever');
  });

  it('the fairness recorded is the one replay checks the loop against', () => {
    // Peterson without fairness: t0 is never scheduled while t1 loops. Under weak fairness
    // that loop is unfair (t0 can move in every state of it), so replaying it as weak diverges.
    const dir = scratchDir('lasso');
    const json = join(dir, 'p.json');
    expect(mmcheck('check', 'peterson', '--fairness', 'none', '--json', json).code).toBe(1);
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc.violations[0].fairness).toEqual({ t0: 'none', t1: 'none' });
    expect(mmcheck('replay', json).code).toBe(0);
    const weak = join(dir, 'weak.json');
    writeFileSync(weak, JSON.stringify({ ...doc, violations: [{ ...doc.violations[0], fairness: { t0: 'weak', t1: 'weak' } }] }));
    const r = mmcheck('replay', weak);
    expect(r.code).toBe(1);
    expect(r.out).toContain('the loop is not fair: t0 (weakly fair) can move in every state of it but never moves');
  });
});
