// The reductions on every built-in kernel model: the same violated properties as the full
// search, counterexamples that replay unreduced, and the reductions the issue asks for
// (symmetry ≥3× on KVM with three vCPUs; POR fewer states on KVM with two addresses).
import { describe, expect, it } from 'vitest';
import { catalog } from '../../models/catalog.ts';
import type { ModelDefinition } from '../../src/model/definition.ts';
import { buildModel, check } from '../../src/check.ts';
import { expectSameVerdicts } from './compare.ts';

async function load(name: string): Promise<ModelDefinition> {
  const entry = catalog.find((c) => c.name === name)!;
  return ((await import(new URL(`../../models/${entry.file}`, import.meta.url).href)) as { default: ModelDefinition }).default;
}

/** Small parameters per model (defaults, plus a second address or thread where it matters). */
const SMALL: Record<string, Record<string, unknown>[]> = {
  kvm: [{}, { addresses: 2 }, { faults: 3 }, { faults: 2, attempts: 2 }],
  'range-start-only': [{}, { faults: 2 }],
  'umem-odp': [{}, { addresses: 2 }],
  'interval-notifier': [{}, { addresses: 2 }, { faults: 2 }],
  'hmm-mirror': [{}, { mirrors: 2 }, { path: 'migrate' }],
  migration: [{}, { driver: 'interval' }],
  'page-pinning': [{}, { faults: 1 }],
  'mkclean-writable': [{}, { driver: 'keeps-writable' }, { driver: 'kvm' }],
  'thp-invalidate-page': [{}, { op: 'split-unmap' }, { fixed: true }],
  'invalidate-page-under-ptl': [{}, { semantic: 'v4.10' }],
  'invalidate-page-after-ptl': [{}, { faults: 1 }, { semantic: 'v4.13', faults: 1 }],
};

describe('reductions on the built-in models', () => {
  for (const { name } of catalog) {
    for (const params of SMALL[name] ?? [{}]) {
      it(`${name} ${JSON.stringify(params)}: same violated properties with por, symmetry and both`, async () => {
        const def = await load(name);
        await expectSameVerdicts(() => buildModel(def, params), `${name} ${JSON.stringify(params)}`);
      });
    }
  }

  it('kvm with 3 identical vCPU threads: symmetry stores at least 3× fewer states, same verdict', async () => {
    // Three vCPUs run one program (group 'vcpu'); the 3! orderings of them collapse.
    const kvm = await load('kvm');
    const full = await check(kvm, { params: { faults: 3 } });
    const sym = await check(kvm, { params: { faults: 3 }, symmetry: true, liveness: false });
    // KVM's sequence+count protocol holds (models/drivers/kvm.ts explains why from the code).
    expect(full.status).toBe('holds');
    expect(sym.status).toBe('holds');
    expect(full.stats.distinctStates / sym.stats.distinctStates).toBeGreaterThanOrEqual(3);
  });

  it('kvm with 2 addresses: partial-order reduction stores fewer states, same verdict', async () => {
    const kvm = await load('kvm');
    const full = await check(kvm, { params: { addresses: 2 } });
    const por = await check(kvm, { params: { addresses: 2 }, por: true, liveness: false });
    expect(por.status).toBe(full.status);
    expect(por.stats.distinctStates).toBeLessThan(full.stats.distinctStates);
  });

  it('umem-odp with 2 addresses: partial-order reduction stores fewer states, same verdict', async () => {
    const odp = await load('umem-odp');
    const full = await check(odp, { params: { addresses: 2 } });
    const por = await check(odp, { params: { addresses: 2 }, por: true, liveness: false });
    // notifiers_count/notifiers_seq under umem_mutex hold (models/drivers/umem-odp.ts explains why).
    expect(full.status).toBe('holds');
    expect(por.status).toBe('holds');
    expect(por.stats.distinctStates).toBeLessThan(full.stats.distinctStates);
  });
});

describe('reductions on the mutants of the built-in models', () => {
  // Every near-miss variant must be caught with reductions too: same violated properties as
  // the full search (replayed counterexamples), and the property the mutant must break among them.
  for (const { name } of catalog) {
    it(`${name}: every mutant gives the same violations with por, symmetry and both`, async () => {
      const def = await load(name);
      for (const mutant of def.mutants ?? []) {
        const label = `${name} mutant ${mutant.name}`;
        await expectSameVerdicts(() => buildModel(def, mutant.params), label);
        const por = await check(def, { params: mutant.params, por: true, symmetry: true, allProperties: true });
        // A mutant that breaks a liveness property is out of reach of the reductions, which
        // leave liveness unchecked and say so.
        if (buildModel(def, mutant.params).properties.find((p) => p.name === mutant.breaks)?.kind === 'liveness') {
          expect(por.status !== 'error' && por.unchecked?.map((u) => u.property), `${label} with por+symmetry`).toContain(mutant.breaks);
          continue;
        }
        const violated = por.status === 'violated' ? por.violations.map((v) => v.property) : [];
        expect(violated, `${label} with por+symmetry`).toContain(mutant.breaks);
      }
    });
  }
});
