// --por on a model whose footprint declaration is incomplete: the story of issue 18's silent
// wrong answer. The full search finds the violation; --por must never print "holds" instead
// — it stops with one line naming the step, the key and the declaration to fix (exit 2).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
