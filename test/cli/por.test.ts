// --por on a model whose footprint declaration is incomplete: the story of issue 18's silent
// wrong answer. The full search finds the violation; --por must never print "holds" instead
// — it stops with one line naming the step, the key and the declaration to fix (exit 2). And
// an effect's goto with no 'targets' declared: learned, never refused nor ignored.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildModel, check } from '../../src/check.ts';
import type { ModelDefinition } from '../../src/model/definition.ts';
import type { ThreadIndependence } from '../../src/reduce/thread-independence.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

function mmcheck(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/mmcheck.js', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('--por on an incomplete footprint declaration', () => {
  it('without --por: violated (exit 1)', () => {
    const r = mmcheck(['check', 'test/fixtures/undeclared-read.ts']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('violated: no secondary mapping of the page being freed: spte maps page 0 after reclaim started');
  });

  it('with --por: exit 2, one line naming model, thread, step, key and declaration (it printed "holds" before declarations were checked)', () => {
    const r = mmcheck(['check', 'test/fixtures/undeclared-read.ts', '--por']);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(
      "mmcheck: error: model 'undeclared-read', thread 'driver', step 'map': reads 'pte', which its footprint does not declare: add 'pte' to its reads; partial-order reduction (--por) relies on every shared access a step makes being declared",
    );
    expect(r.out).not.toContain('holds');
  });
});

describe("--por on an effect's goto in a step declaring no 'targets'", () => {
  // test/fixtures/effect-goto.ts: the writer's 'again' jumps back to 'bump' through its effect.
  // With the writer's future read off its static control flow, --por deferred 'again', read
  // x = 1 and answered "holds"; before that, it refused the model ("…not among its declared
  // 'targets'"), though nothing was declared. The jump is now learned like a footprint.
  const FIXTURE = 'test/fixtures/effect-goto.ts';
  const VIOLATED = "violated: effect-goto: 'the reader never sees 2'";

  it('without --por: violated (exit 1)', () => {
    const r = mmcheck(['check', FIXTURE]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(VIOLATED);
  });

  it('with --por: accepted, the jump learned, and the same violation (exit 1)', () => {
    const r = mmcheck(['check', FIXTURE, '--por']);
    expect(r.code).toBe(1);
    expect(r.out).toContain(VIOLATED);
    expect(r.out).toMatch(/^partial-order reduction: jump targets learned for 1 step whose effect returns a goto and that declare no 'targets' \(1 reduced search that met new keys or jumps, [\d.]+ s before this search\)$/m);
  });

  it("declared targets are used as declared: right, the same violation; wrong, one line naming them (exit 2)", () => {
    const right = mmcheck(['check', FIXTURE, '--por', '-p', 'targets=declared']);
    expect(right.code).toBe(1);
    expect(right.out).toContain(VIOLATED);
    expect(right.out).not.toContain('jump targets learned');
    const wrong = mmcheck(['check', FIXTURE, '--por', '-p', 'targets=wrong']);
    expect(wrong.code).toBe(2);
    expect(wrong.err.trim()).toBe("mmcheck: error: model 'effect-goto', thread 'writer', step 'again': jumps to 'bump', which is not among its declared 'targets' (partial-order reduction needs every jump declared)");
  });

  it.each(['vector', 'immutable'] as const)('check() on the %s engine, 1 and 2 threads: violated, the jump in the inferred footprints', async (engine) => {
    const def = ((await import(`../../${FIXTURE}`)) as { default: ModelDefinition }).default;
    for (const workers of [1, 2]) {
      const r = await check(def, { por: true, engine, workers });
      expect(r.status === 'violated' && r.violation.property, `${engine}, ${workers} threads`).toBe('the reader never sees 2');
      expect(r.stats.engine).toBe(engine);
    }
    const model = buildModel(def, {});
    const r = await check(model, { por: true, engine });
    expect(r.status).toBe('violated');
    expect((model.independence as ThreadIndependence<unknown>).inferred().jumps).toEqual({ writer: { again: ['bump'] } });
  });
});
