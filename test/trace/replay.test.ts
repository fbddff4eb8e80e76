// `mmcheck replay`: a JSON trace written by `check --json` replays step by step; an edited
// trace is caught at the exact step that no longer matches.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../helpers.ts';
import { bfs } from '../../src/explore/bfs.ts';
import { buildModel } from '../../src/check.ts';
import { confirmTrace, firstDifference, type JsonViolation } from '../../src/trace/confirm.ts';
import { resultToJSON } from '../../src/trace/json.ts';
import rangeStartOnly from '../../models/drivers/range-start-only.ts';
import abba from './fixtures/abba.ts';

const run = promisify(execFile);
const BIN = new URL('../../bin/mmcheck.js', import.meta.url).pathname;

async function mmcheck(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** The JSON of a check of range-start-only, as `--json` writes it. */
async function jsonViolation(): Promise<JsonViolation> {
  const model = buildModel(rangeStartOnly);
  const r = await bfs(model);
  const json = JSON.parse(JSON.stringify(resultToJSON(r, { model, params: { faults: 1 }, source: { builtin: 'range-start-only' } })));
  return json.violations[0];
}

describe('confirmTrace', () => {
  it('confirms an unedited trace, step by step and the violation', async () => {
    const v = await jsonViolation();
    const out = confirmTrace(buildModel(rangeStartOnly), v);
    expect(out.status).toBe('confirmed');
    if (out.status === 'confirmed') {
      expect(out.trace.steps.map((s) => s.action)).toEqual(v.trace.steps.map((s) => s.action));
      expect(out.message).toBe(v.message);
    }
  });

  it('confirms a deadlock trace', async () => {
    const model = buildModel(abba);
    const json = JSON.parse(JSON.stringify(resultToJSON(await bfs(model), { model })));
    expect(confirmTrace(model, json.violations[0]).status).toBe('confirmed');
  });

  it('names the step whose resulting state was edited', async () => {
    const v = await jsonViolation();
    const edited = structuredClone(v) as any;
    edited.trace.steps[3].state.shared.pte[0] = 0; // step 4 clears the PTE; claim it did not
    const out = confirmTrace(buildModel(rangeStartOnly), edited);
    expect(out.status).toBe('diverged');
    if (out.status === 'diverged') {
      expect(out.step).toBe(4);
      expect(out.reason).toContain('shared.pte[0]: expected 0, got null');
      expect(out.trace.steps).toHaveLength(4);
    }
  });

  it('names the step whose action is not enabled', async () => {
    const v = await jsonViolation();
    const edited = structuredClone(v) as any;
    edited.trace.steps[2].action = 'fault0: put_page'; // fault0 is at 'map' then
    const out = confirmTrace(buildModel(rangeStartOnly), edited);
    expect(out).toMatchObject({ status: 'diverged', step: 3 });
    if (out.status === 'diverged') expect(out.reason).toMatch(/'fault0: put_page', which is not enabled here; enabled: /);
  });

  it('says so when every step replays but the property holds at the end', async () => {
    const v = await jsonViolation();
    const cut = { ...v, trace: { ...v.trace, steps: v.trace.steps.slice(0, -1) } };
    const out = confirmTrace(buildModel(rangeStartOnly), cut);
    expect(out).toMatchObject({ status: 'diverged', step: v.trace.steps.length });
    if (out.status === 'diverged') expect(out.reason).toMatch(/holds at the end of the trace/);
  });

  it('checks the initial state too', async () => {
    const v = await jsonViolation();
    const edited = structuredClone(v) as any;
    edited.trace.initial.shared.pages[0].ref = 7;
    expect(confirmTrace(buildModel(rangeStartOnly), edited)).toMatchObject({ status: 'diverged', step: 0 });
  });

  it('firstDifference reports the first differing path, ignoring key order', () => {
    expect(firstDifference({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBeNull();
    expect(firstDifference({ a: { b: [1, 2] } }, { a: { b: [1, 3] } })).toBe('a.b[1]: expected 2, got 3');
    expect(firstDifference({ a: 1 }, { a: 1, c: null })).toBe('c: expected (absent), got null');
  });
});

describe('mmcheck check --json/--html and mmcheck replay (CLI)', () => {
  it('writes both files; replay confirms (exit 0); an edited trace diverges (exit 1)', async () => {
    const dir = scratchDir('replay');
    const t = join(dir, 't.json');
    const h = join(dir, 't.html');
    const check = await mmcheck('check', 'range-start-only', '--min-preemptions', '--json', t, '--html', h);
    expect(check.code).toBe(1); // violated: range-start-only is the A4 use-after-free
    expect(check.stdout).toMatch(/8 steps, 1 preemption/);
    expect(readFileSync(h, 'utf8')).toMatch(/^<!DOCTYPE html>/);
    const json = JSON.parse(readFileSync(t, 'utf8'));
    expect(json.violations[0]).toMatchObject({ steps: 8, preemptions: 1, minimized: { method: 'fewest-preemptions', bfsPreemptions: 3 } });

    const ok = await mmcheck('replay', t);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/confirmed: range-start-only: all 8 steps replay and 'no use-after-free' is violated \(8 steps, 1 preemption\)/);

    json.violations[0].trace.steps[5].state.locks['ptl[0]'] = 'fault0';
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify(json));
    const diverged = await mmcheck('replay', bad);
    expect(diverged.code).toBe(1);
    expect(diverged.stdout).toMatch(/diverged: range-start-only: at step 6 of 8: .madvise: clear_pte\[0\]. leads to a different state: locks\.ptl\[0\]: expected "fault0", got "madvise"/);

    const notTrace = join(dir, 'x.json');
    writeFileSync(notTrace, '{"hello": 1}');
    const usage = await mmcheck('replay', notTrace);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/not an mmcheck trace/);
  });
});
