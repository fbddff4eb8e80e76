// DOT export of the state graph: small models only, with the counterexample highlighted.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bfs } from '../../src/explore/bfs.ts';
import { buildModel } from '../../src/check.ts';
import { stateGraphDot } from '../../src/trace/dot.ts';
import { independentThreads, lockedCounter, scratchDir } from '../helpers.ts';
import lostUpdate from './fixtures/lost-update.ts';

const BIN = new URL('../../bin/mmcheck.js', import.meta.url).pathname;
const WIDE = new URL('./fixtures/wide.ts', import.meta.url).pathname;

describe('stateGraphDot', () => {
  it('has one node per reachable state and one edge per transition', async () => {
    const model = lockedCounter();
    const r = await bfs(model);
    const g = stateGraphDot(model);
    expect(g.status).toBe('ok');
    if (g.status !== 'ok') return;
    expect(g.states).toBe(r.stats.distinctStates);
    expect(g.transitions).toBe(r.stats.transitions);
    expect(g.dot.match(/^ {2}s\d+ \[/gm)).toHaveLength(g.states);
    expect(g.dot.match(/ -> /g)).toHaveLength(g.transitions);
  });

  it('marks violating states and draws the counterexample in red', async () => {
    const model = buildModel(lostUpdate);
    const r = await bfs(model);
    if (r.status !== 'violated') throw new Error('lost-update must be violated');
    const g = stateGraphDot(model, { highlight: r.violation.trace });
    if (g.status !== 'ok') throw new Error(g.status);
    expect(g.dot).toMatch(/violates: no lost update/);
    expect(g.dot.match(/color="#c00000", penwidth=2.5, fontcolor/g)).toHaveLength(r.violation.trace.steps.length);
  });

  it('refuses a graph above the limit', () => {
    const g = stateGraphDot(independentThreads(3, 20), { limit: 5000 }); // 21^3 = 9,261 states
    expect(g).toMatchObject({ status: 'too-large', limit: 5000 });
  });

  it('CLI: --dot above the limit exits 2 with a clear message and writes nothing', async () => {
    const out = join(scratchDir('dot'), 'g.dot');
    const r = await promisify(execFile)(process.execPath, [BIN, 'check', WIDE, '--dot', out]).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dot: the state graph has more than 5,000 states; --dot is for small models/);
    expect(existsSync(out)).toBe(false);
  });

  it('CLI: --dot on a small model writes the graph', async () => {
    const out = join(scratchDir('dot'), 'g.dot');
    await promisify(execFile)(process.execPath, [BIN, 'check', WIDE, '-p', 'steps=2', '--dot', out]);
    expect(readFileSync(out, 'utf8').match(/^ {2}s\d+ \[/gm)).toHaveLength(27);
  });
});
