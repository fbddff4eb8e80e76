// `mmcheck bench` end to end: four rows per model (none, por, symmetry, both) measured in
// separate processes, JSON for machines and a Markdown table for the README.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { markdownTable, type BenchTable } from '../../src/cli/commands/bench.ts';

const bin = fileURLToPath(new URL('../../bin/mmcheck.js', import.meta.url));

describe('mmcheck bench', () => {
  it('reports none/por/symmetry/both with equal verdicts and factors against none', () => {
    const out = execFileSync(process.execPath, [bin, 'bench', 'range-start-only:faults=2', '--json'], { encoding: 'utf8' });
    const { tables } = JSON.parse(out) as { tables: BenchTable[] };
    expect(tables).toHaveLength(1);
    const t = tables[0];
    expect(t.params).toEqual({ faults: '2' });
    expect(t.rows.map((r) => r.reduction)).toEqual(['none', 'por', 'symmetry', 'both']);
    // range-start-only is the A4 use-after-free (a fault between range_start and the PTE
    // clear re-maps the page about to be freed, and MADV_DONTNEED frees it before range_end):
    // the re-installed SPTE also outlives the cleared CPU PTE past range_end, so
    // coherence breaks too (models/drivers/range-start-only.ts expects both). Every row must
    // find both.
    for (const r of t.rows) expect(r.violated).toEqual(['no secondary mapping outlives its CPU PTE', 'no use-after-free']);
    expect(t.verdictsAgree).toBe(true);
    const none = t.rows[0];
    for (const r of t.rows) {
      expect(r.factor).toBeCloseTo(none.distinctStates / r.distinctStates, 10);
      expect(r.peakMemoryBytes).toBeGreaterThan(0);
    }
    // Two identical fault threads: symmetry must merge some states.
    expect(t.rows[2].distinctStates).toBeLessThan(none.distinctStates);
    expect(markdownTable(t)).toMatch(/^\| symmetry \| violated \(no secondary mapping outlives its CPU PTE, no use-after-free\) \| [\d,]+ \|/m);
  });
});
