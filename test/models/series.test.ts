// The 2017 series' drivers in their versions: every (version, path) verdict with its shortest trace, and the traces history describes.
import { describe, expect, it } from 'vitest';
import { catalog } from '../../models/catalog.ts';
import { check, type ModelDefinition } from '../../src/index.ts';
import { PROPERTY_SHORT } from '../../models/mm/index.ts';
import { parseParamArgs } from '../../src/model/params.ts';
import { checkMutants } from '../../src/cli/commands/mutants.ts';

/**
 * Model → parameters → the properties violated with their shortest counterexample's length
 * ('holds': none), then the distinct states of the whole search. Each verdict is explained
 * from the driver's code in docs/series.md; the state counts are regression figures (a change
 * in the kernel side or a driver shows here first).
 */
const IOMMU_WALKER: Record<string, string> = {
  'defaults': 'holds; 103 states',
  'version=v4.10 path=reclaim': 'holds; 97 states',
  'version=v4.10 path=lazyfree': 'coh 8; 89 states',
  'version=v4.10 path=dontneed': 'holds; 76 states',
  'version=v4.10 path=migrate': 'holds; 163 states',
  'version=v4.13-rc path=reclaim': 'holds; 88 states',
  'version=v4.13-rc path=lazyfree': 'holds; 72 states',
  'version=v4.13-rc path=dontneed': 'holds; 76 states',
  'version=v4.13-rc path=migrate': 'holds; 154 states',
  'version=v4.13 path=lazyfree': 'holds; 92 states',
  'version=v4.13 path=dontneed': 'holds; 76 states',
  'version=v4.13 path=migrate': 'holds; 169 states',
  'version=v4.15 path=reclaim': 'holds; 99 states',
  'version=v4.15 path=lazyfree': 'holds; 88 states',
  'version=v4.15 path=dontneed': 'holds; 76 states',
  'version=v4.15 path=migrate': 'holds; 169 states',
  'version=v4.10 path=migrate huge=true': 'uaf 10, coh 5; 143 states',
  'version=v4.13-rc path=migrate huge=true': 'uaf 10, coh 4; 140 states',
  'version=v4.13 path=migrate huge=true': 'holds; 155 states',
  'version=v4.15 path=migrate huge=true': 'holds; 149 states',
};

const EXPECTED: Record<string, Record<string, string>> = {
  'kvm-2017': {
    'defaults': 'uaf 8, coh 7; 9 states',
    'version=v4.10 path=reclaim part=apic': 'holds; 37 states',
    'version=v4.10 path=lazyfree part=apic': 'holds; 43 states',
    'version=v4.10 path=dontneed part=apic': 'uaf 5, coh 6; 7 states',
    'version=v4.10 path=migrate part=apic': 'holds; 41 states',
    'version=v4.13-rc path=reclaim part=apic': 'holds; 38 states',
    'version=v4.13-rc path=lazyfree part=apic': 'holds; 44 states',
    'version=v4.13-rc path=dontneed part=apic': 'uaf 5, coh 6; 7 states',
    'version=v4.13-rc path=migrate part=apic': 'holds; 42 states',
    'version=v4.13 path=lazyfree part=apic': 'uaf 8, coh 7; 9 states',
    'version=v4.13 path=dontneed part=apic': 'uaf 5, coh 6; 7 states',
    'version=v4.13 path=migrate part=apic': 'uaf 12, coh 7; 13 states',
    'version=v4.15 path=reclaim part=apic': 'uaf 13, coh 12; 67 states',
    'version=v4.15 path=lazyfree part=apic': 'uaf 13, coh 12; 86 states',
    'version=v4.15 path=dontneed part=apic': 'uaf 10, coh 11; 80 states',
    'version=v4.15 path=migrate part=apic': 'uaf 17, coh 12; 82 states',
    'version=v5.8 path=reclaim part=apic': 'holds; 73 states',
    'version=v5.8 path=lazyfree part=apic': 'holds; 101 states',
    'version=v5.8 path=dontneed part=apic': 'holds; 79 states',
    'version=v5.8 path=migrate part=apic': 'holds; 41 states',
    'version=v4.10 path=reclaim part=memory': 'holds; 463 states',
    'version=v4.10 path=lazyfree part=memory': 'coh 12; 598 states',
    'version=v4.10 path=dontneed part=memory': 'holds; 719 states',
    'version=v4.10 path=migrate part=memory': 'holds; 429 states',
    'version=v4.13-rc path=reclaim part=memory': 'holds; 446 states',
    'version=v4.13-rc path=lazyfree part=memory': 'holds; 446 states',
    'version=v4.13-rc path=dontneed part=memory': 'holds; 711 states',
    'version=v4.13-rc path=migrate part=memory': 'holds; 412 states',
    'version=v4.13 path=reclaim part=memory': 'holds; 604 states',
    'version=v4.13 path=lazyfree part=memory': 'holds; 926 states',
    'version=v4.13 path=dontneed part=memory': 'holds; 795 states',
    'version=v4.13 path=migrate part=memory': 'holds; 498 states',
    'version=v4.15 path=reclaim part=memory': 'holds; 604 states',
    'version=v4.15 path=lazyfree part=memory': 'holds; 926 states',
    'version=v4.15 path=dontneed part=memory': 'holds; 795 states',
    'version=v4.15 path=migrate part=memory': 'holds; 498 states',
    'version=v5.8 path=reclaim part=memory': 'holds; 604 states',
    'version=v5.8 path=lazyfree part=memory': 'holds; 926 states',
    'version=v5.8 path=dontneed part=memory': 'holds; 795 states',
    'version=v5.8 path=migrate part=memory': 'holds; 498 states',
    'version=v4.10 path=migrate part=memory huge=true': 'uaf 11, coh 6; 415 states',
    'version=v4.13-rc path=migrate part=memory huge=true': 'uaf 11, coh 5; 398 states',
    'version=v4.13 path=migrate part=memory huge=true': 'holds; 486 states',
    'version=v4.15 path=migrate part=memory huge=true': 'holds; 486 states',
    'version=v5.8 path=migrate part=memory huge=true': 'holds; 486 states',
  },
  'amdgpu-mn': {
    'defaults': 'coh 17; 295 states',
    'version=v4.10 path=reclaim': 'holds; 200 states',
    'version=v4.10 path=lazyfree': 'holds; 360 states',
    'version=v4.10 path=dontneed': 'coh 16; 361 states',
    'version=v4.10 path=migrate': 'holds; 215 states',
    'version=v4.13-rc path=reclaim': 'sleep 5; 194 states',
    'version=v4.13-rc path=lazyfree': 'sleep 5; 226 states',
    'version=v4.13-rc path=dontneed': 'coh 16; 361 states',
    'version=v4.13-rc path=migrate': 'sleep 5; 209 states',
    'version=v4.13 path=lazyfree': 'coh 17; 389 states',
    'version=v4.13 path=dontneed': 'coh 16; 361 states',
    'version=v4.13 path=migrate': 'coh 17; 322 states',
    'version=v4.19 path=reclaim': 'coh 15, dl 7, prog 7; 123 states',
    'version=v4.19 path=lazyfree': 'coh 15, dl 7, prog 7; 148 states',
    'version=v4.19 path=dontneed': 'coh 14, dl 6, prog 6; 115 states',
    'version=v4.19 path=migrate': 'coh 15, dl 7, prog 7; 150 states',
    'version=v4.19 path=oom': 'sleep 2, dl 7, prog 7; 55 states',
  },
  'umem-odp-2017': {
    'defaults': 'sleep 5; 1306 states',
    'version=v4.10 path=reclaim': 'holds; 1425 states',
    'version=v4.10 path=lazyfree': 'coh 12; 1775 states',
    'version=v4.10 path=dontneed': 'holds; 1050 states',
    'version=v4.10 path=migrate': 'holds; 1897 states',
    'version=v4.13-rc path=lazyfree': 'sleep 5; 1142 states',
    'version=v4.13-rc path=dontneed': 'holds; 1050 states',
    'version=v4.13-rc path=migrate': 'sleep 5; 1778 states',
    'version=v4.13 path=reclaim': 'holds; 1358 states',
    'version=v4.13 path=lazyfree': 'holds; 1288 states',
    'version=v4.13 path=dontneed': 'holds; 1050 states',
    'version=v4.13 path=migrate': 'holds; 1830 states',
    'version=v4.19 path=reclaim': 'holds; 1358 states',
    'version=v4.19 path=lazyfree': 'holds; 1288 states',
    'version=v4.19 path=dontneed': 'holds; 1050 states',
    'version=v4.19 path=migrate': 'holds; 1830 states',
    'version=v4.19 path=oom': 'holds; 184 states',
    'version=v4.10 path=migrate huge=true': 'uaf 14, coh 9; 1836 states',
    'version=v4.13-rc path=migrate huge=true': 'uaf 14, coh 8, sleep 4; 1722 states',
    'version=v4.13 path=migrate huge=true': 'holds; 1772 states',
    'version=v4.19 path=migrate huge=true': 'holds; 1772 states',
  },
  'xen-gntdev': {
    'defaults': 'sleep 5; 26 states',
    'version=v4.10 path=reclaim': 'holds; 26 states',
    'version=v4.10 path=lazyfree': 'holds; 26 states',
    'version=v4.10 path=dontneed': 'holds; 23 states',
    'version=v4.10 path=migrate': 'holds; 38 states',
    'version=v4.13-rc path=lazyfree': 'sleep 5; 26 states',
    'version=v4.13-rc path=dontneed': 'holds; 23 states',
    'version=v4.13-rc path=migrate': 'sleep 5; 38 states',
    'version=v4.13 path=reclaim': 'holds; 29 states',
    'version=v4.13 path=lazyfree': 'holds; 29 states',
    'version=v4.13 path=dontneed': 'holds; 23 states',
    'version=v4.13 path=migrate': 'holds; 41 states',
    'version=v4.19 path=reclaim': 'holds; 29 states',
    'version=v4.19 path=lazyfree': 'holds; 29 states',
    'version=v4.19 path=dontneed': 'holds; 23 states',
    'version=v4.19 path=migrate': 'holds; 41 states',
    'version=v4.19 path=oom': 'holds; 31 states',
  },
  'sgi-gru': {
    'defaults': 'holds; 1022 states',
    'version=v4.10 path=reclaim': 'holds; 910 states',
    'version=v4.10 path=lazyfree': 'coh 11; 928 states',
    'version=v4.10 path=dontneed': 'holds; 855 states',
    'version=v4.10 path=migrate': 'holds; 899 states',
    'version=v4.13-rc path=reclaim': 'holds; 905 states',
    'version=v4.13-rc path=lazyfree': 'holds; 720 states',
    'version=v4.13-rc path=dontneed': 'holds; 855 states',
    'version=v4.13-rc path=migrate': 'holds; 894 states',
    'version=v4.13 path=lazyfree': 'holds; 1002 states',
    'version=v4.13 path=dontneed': 'holds; 855 states',
    'version=v4.13 path=migrate': 'holds; 1039 states',
    'version=v4.10 path=migrate huge=true': 'uaf 10, coh 5; 877 states',
    'version=v4.13-rc path=migrate huge=true': 'uaf 10, coh 4; 872 states',
    'version=v4.13 path=migrate huge=true': 'holds; 1009 states',
  },
  'scif-dma': {
    'defaults': 'coh 11; 187 states',
    'version=v4.10 path=reclaim': 'coh 10; 140 states',
    'version=v4.10 path=lazyfree': 'coh 10; 198 states',
    'version=v4.10 path=dontneed': 'coh 10; 207 states',
    'version=v4.10 path=migrate': 'coh 10; 175 states',
    'version=v4.13-rc path=reclaim': 'coh 9; 145 states',
    'version=v4.13-rc path=lazyfree': 'coh 9; 158 states',
    'version=v4.13-rc path=dontneed': 'coh 10; 207 states',
    'version=v4.13-rc path=migrate': 'coh 9; 180 states',
    'version=v4.13 path=lazyfree': 'coh 11; 232 states',
    'version=v4.13 path=dontneed': 'coh 10; 207 states',
    'version=v4.13 path=migrate': 'coh 11; 223 states',
  },
  'hfi1-mmu-rb': {
    'defaults': 'coh 11; 169 states',
    'version=v4.10 path=reclaim': 'coh 10; 137 states',
    'version=v4.10 path=lazyfree': 'coh 10; 186 states',
    'version=v4.10 path=dontneed': 'coh 10; 195 states',
    'version=v4.10 path=migrate': 'coh 10; 158 states',
    'version=v4.13-rc path=reclaim': 'coh 9; 139 states',
    'version=v4.13-rc path=lazyfree': 'coh 9; 153 states',
    'version=v4.13-rc path=dontneed': 'coh 10; 195 states',
    'version=v4.13-rc path=migrate': 'coh 9; 160 states',
    'version=v4.13 path=lazyfree': 'coh 11; 217 states',
    'version=v4.13 path=dontneed': 'coh 10; 195 states',
    'version=v4.13 path=migrate': 'coh 11; 191 states',
  },
  // The IOMMU walkers share one builder (iommu-series.ts) and do the same thing at this level: the same table.
  'amd-iommu-v2': IOMMU_WALKER,
  'intel-svm': IOMMU_WALKER,
  'npu-dma': Object.fromEntries(Object.entries(IOMMU_WALKER).filter(([k]) => !k.startsWith('version=v4.15'))),
};

/**
 * Model → mutant → the property it must break with its shortest counterexample's length, then
 * the distinct states. Each is a near miss of a version where the driver holds (docs/series.md,
 * "Mutants"); `one-page-range` is the kernel's, caught only with a huge page.
 */
const IOMMU_MUTANTS: Record<string, string> = { 'no-invalidate-range': 'uaf 9; 125 states', 'one-page-range': 'uaf 12; 155 states' };
const MUTANTS: Record<string, Record<string, string>> = {
  'kvm-2017': { 'seq-in-start': 'uaf 19; 748 states', 'no-kick': 'uaf 9; 73 states', 'one-page-range': 'uaf 17; 486 states' },
  'amdgpu-mn': { 'no-invalidation-check': 'coh 16; 160 states' },
  'umem-odp-2017': { 'seq-in-start': 'uaf 17; 1818 states', 'no-second-check': 'uaf 17; 1379 states', 'one-page-range': 'uaf 15; 1772 states' },
  'xen-gntdev': { 'lock-when-nonblocking': 'sleep 2; 29 states' },
  'sgi-gru': { 'no-range-active': 'uaf 13; 1329 states', 'no-hw-ignore': 'uaf 13; 1237 states', 'one-page-range': 'uaf 12; 1009 states' },
  'amd-iommu-v2': IOMMU_MUTANTS,
  'intel-svm': IOMMU_MUTANTS,
  'npu-dma': IOMMU_MUTANTS,
};

async function load(name: string): Promise<ModelDefinition> {
  const entry = catalog.find((c) => c.name === name)!;
  return (await import(new URL(`../../models/${entry.file}`, import.meta.url).href)).default;
}
const paramsOf = (text: string) => (text === 'defaults' ? {} : parseParamArgs(text.split(' ')));

/** What one all-properties search finds, as the tables say it: 'uaf 8, coh 7; 9 states' or 'holds; 26 states'. */
async function seen(def: ModelDefinition, name: string, text: string, params: Record<string, unknown> = paramsOf(text)): Promise<string> {
  const r = await check(def, { params, allProperties: true });
  if (r.status === 'error' || r.status === 'incomplete') throw new Error(`${name} ${text}: ${r.status}${r.status === 'error' ? `: ${r.error.message}` : ''}`);
  const violated = r.status === 'violated' ? r.properties.flatMap((p) => r.violations.filter((v) => v.property === p).map((v) => `${PROPERTY_SHORT[p as keyof typeof PROPERTY_SHORT] ?? p} ${v.trace.steps.length}`)) : [];
  return `${violated.join(', ') || 'holds'}; ${r.stats.distinctStates} states`;
}

/** 'uaf 8, coh 7; 9 states' → the violated properties with their lengths, and the states. */
function parseSeen(text: string): { lengths: Record<string, number>; states: number } {
  const [verdict, states] = text.split('; ');
  const lengths = verdict === 'holds' ? {} : Object.fromEntries(verdict.split(', ').map((x) => x.split(' ')).map(([p, n]) => [p, Number(n)]));
  return { lengths, states: Number(states.replace(' states', '')) };
}

/** `name` with `params` is a model error of one line matching `message`. */
async function expectOneLineError(name: string, params: Record<string, unknown>, message: RegExp): Promise<void> {
  const r = await check(await load(name), { params, allProperties: true });
  expect(r.status).toBe('error');
  if (r.status === 'error') {
    expect(r.error.message).toMatch(message);
    expect(r.error.message).not.toMatch(/\n/);
  }
}

/** The trace labels ('thread label') of the shortest counterexample for `property`. */
async function trace(name: string, params: string, property: string): Promise<string[]> {
  const r = await check(await load(name), { params: paramsOf(params), allProperties: true });
  if (r.status !== 'violated') throw new Error(`${name} ${params}: ${r.status}`);
  const v = r.violations.find((x) => x.property === property)!;
  return v.trace.steps.map((s) => `${s.actor} ${s.label}`);
}

describe('the 2017 series drivers', () => {
  it.each(Object.keys(EXPECTED))('%s: every declared (version, path) row has the verdicts and shortest traces of the table', async (name) => {
    const def = await load(name);
    const rows = [{ params: {} as Record<string, unknown>, text: 'defaults' }, ...(def.variants ?? []).map((v) => ({ params: v.params, text: Object.entries(v.params).map(([k, x]) => `${k}=${String(x)}`).join(' ') }))];
    expect(rows.map((r) => r.text).sort()).toEqual(Object.keys(EXPECTED[name]).sort());
    for (const row of rows) {
      expect([name, row.text, await seen(def, name, row.text, row.params)]).toEqual([name, row.text, EXPECTED[name][row.text]]);
    }
  });

  it.each(Object.keys(MUTANTS))('%s: every mutant is caught, with the shortest trace and states of the table', async (name) => {
    const results = await checkMutants(await load(name));
    const seen = Object.fromEntries(results.map((r) => [r.mutant.name, r.caught ? `${PROPERTY_SHORT[r.mutant.breaks as keyof typeof PROPERTY_SHORT] ?? r.mutant.breaks} ${r.traceLength}; ${r.distinctStates} states` : `NOT CAUGHT (${r.status}${r.problem ? `: ${r.problem}` : ''})`]));
    expect([name, seen]).toEqual([name, MUTANTS[name]]);
  });

  it.each(['amd-iommu-v2', 'sgi-gru'])('%s, huge page, v4.13-rc: invalidate_page names address 0, returns, and the device still maps subpage 1 behind the migration entry, then after the free', async (name) => {
    // Under the huge PTE lock the whole huge PTE becomes a migration entry; the callback flushes
    // the 4 KiB of address 0 only. Nothing else runs: the kernel's own order is the bug.
    const coh = await trace(name, 'version=v4.13-rc path=migrate huge=true', 'no secondary mapping outlives its CPU PTE');
    expect(coh).toEqual(['migrate lock_page', 'migrate lock_ptl', 'migrate clear_pte', 'migrate invalidate_page']);
    const uaf = await trace(name, 'version=v4.13-rc path=migrate huge=true', 'no use-after-free');
    expect(uaf.slice(-1)).toEqual(['migrate free_old']);
    expect(uaf.every((s) => s.startsWith('migrate '))).toBe(true);
  });

  it('kvm-2017 guest memory, huge page, v4.10: invalidate_page after the huge PTE lock zaps the SPTE of address 0 only', async () => {
    const t = await trace('kvm-2017', 'version=v4.10 path=migrate part=memory huge=true', 'no secondary mapping outlives its CPU PTE');
    expect(t).toEqual(['migrate lock_page', 'migrate lock_ptl', 'migrate clear_pte', 'migrate unlock_ptl', 'migrate inv_page.lock', 'migrate inv_page.zap']);
  });

  it("one-page-range (the kernel's near miss) shows only on a huge page: on a 4 KiB page the range it computes is the whole page, and the model refuses it as a mistake", async () => {
    const def = await load('amd-iommu-v2');
    const r = await check(def, { params: { mutant: 'one-page-range' }, allProperties: true });
    expect(r.status).toBe('error');
    if (r.status === 'error') expect(r.error.message).toMatch(/one-page-range .*huge=true path=migrate/);
  });

  it.each(['amd-iommu-v2', 'sgi-gru', 'kvm-2017'])('%s: huge=true off path=migrate is one line saying why and what to use', async (name) => {
    await expectOneLineError(name, { huge: true, path: 'reclaim', ...(name === 'kvm-2017' ? { part: 'memory' } : {}) }, /huge=true .*path=migrate only.*use -p path=migrate/);
  });

  it('kvm-2017 v5.8 no-kick: the request is posted but the vCPU stays in guest mode on the page reclaim takes', async () => {
    const t = await trace('kvm-2017', 'version=v5.8 mutant=no-kick', 'no use-after-free');
    expect(t).toContain('reclaim invalidate_range');
    expect(t.some((s) => s.startsWith('vcpu'))).toBe(false);
  });

  it('kvm-2017 v4.15: the vCPU reloads the APIC-access page between range_start and the PTE change (what e649b3f0188f fixed)', async () => {
    const t = await trace('kvm-2017', 'version=v4.15', 'no secondary mapping outlives its CPU PTE');
    const at = (s: string) => t.indexOf(s);
    expect(at('reclaim start.apic')).toBeGreaterThanOrEqual(0);
    expect(at('vcpu gfn_to_page')).toBeGreaterThan(at('reclaim start.apic'));
    expect(at('reclaim clear_pte')).toBeGreaterThan(at('vcpu gfn_to_page'));
    expect(t[t.length - 1]).toBe('vcpu enter_guest');
  });

  it('kvm-2017 v4.13: with ->invalidate_page gone nothing reloads the APIC-access page: the vCPU keeps the page reclaim unmapped', async () => {
    const t = await trace('kvm-2017', 'version=v4.13', 'no use-after-free');
    expect(t.some((s) => s.startsWith('vcpu'))).toBe(false);
    expect(t).toContain('reclaim clear_pte');
  });

  it('amdgpu-mn v4.13-rc: invalidate_page takes rmn->lock under the PTL (the August 2017 report)', async () => {
    const t = await trace('amdgpu-mn', 'version=v4.13-rc path=reclaim', 'no sleeping under a spinlock');
    expect(t[t.length - 1]).toBe('reclaim inv_page.lock');
    expect(t).toContain('reclaim lock_ptl');
  });

  it('amdgpu-mn v4.13: a submission between range_start and the PTE change binds the old page', async () => {
    const t = await trace('amdgpu-mn', 'version=v4.13 path=reclaim', 'no secondary mapping outlives its CPU PTE');
    expect(t.indexOf('cs validate')).toBeGreaterThan(t.indexOf('reclaim start.unbind'));
  });

  it('amdgpu-mn v4.19: the fence allocation under the write side of rmn->lock enters direct reclaim, whose range_start waits for the read side', async () => {
    const t = await trace('amdgpu-mn', 'version=v4.19 path=reclaim', 'deadlock freedom');
    expect(t).toContain('cs mn_lock');
    expect(t[t.length - 1]).toMatch(/^cs job_init\.dr\./);
  });

  it('umem-odp-2017 v4.13-rc: down_read(umem_rwsem) under the PTL', async () => {
    const t = await trace('umem-odp-2017', 'version=v4.13-rc path=reclaim', 'no sleeping under a spinlock');
    expect(t[t.length - 1]).toBe('reclaim inv_page.rwsem');
  });

  it('umem-odp-2017 v4.10: the device maps the page it fetched before the PTE change, then the CPU maps a fresh one, all before invalidate_page', async () => {
    const t = await trace('umem-odp-2017', 'version=v4.10 path=lazyfree', 'no secondary mapping outlives its CPU PTE');
    expect(t.indexOf('fault update_xlt')).toBeGreaterThan(t.indexOf('reclaim clear_pte'));
    expect(t.indexOf('fault gup')).toBeLessThan(t.indexOf('reclaim clear_pte'));
    expect(t.some((s) => s.startsWith('reclaim inv_page'))).toBe(false);
  });

  it("xen-gntdev: its mutex under the PTL in v4.13-rc; in v4.19 the OOM reaper's call try-locks it (-EAGAIN when taken) and every property holds", async () => {
    const t = await trace('xen-gntdev', 'version=v4.13-rc path=reclaim', 'no sleeping under a spinlock');
    expect(t[t.length - 1]).toBe('reclaim inv_page.lock');
    const r = await check(await load('xen-gntdev'), { params: { version: 'v4.19', path: 'oom' }, allProperties: true });
    expect(r.status).toBe('holds');
  });

  it('sgi-gru v4.10: a thread of the process maps a fresh lazyfree page while the GRU TLB holds the old one, before invalidate_page', async () => {
    const t = await trace('sgi-gru', 'version=v4.10 path=lazyfree', 'no secondary mapping outlives its CPU PTE');
    expect(t.indexOf('dropin dropin')).toBeGreaterThanOrEqual(0);
    expect(t.indexOf('cpu cpu_fault')).toBeGreaterThan(t.indexOf('reclaim clear_pte'));
    expect(t).not.toContain('reclaim invalidate_page');
  });

  it('scif-dma: a window pinned before an invalidation and inserted after it stays cached (v4.10: after invalidate_page; v4.13: between range_start and the PTE change)', async () => {
    const old = await trace('scif-dma', 'version=v4.10 path=reclaim', 'no secondary mapping outlives its CPU PTE');
    expect(old.indexOf('rma gup')).toBeLessThan(old.indexOf('reclaim clear_pte'));
    expect(old.indexOf('rma insert_tcw')).toBeGreaterThan(old.indexOf('reclaim inv_page.destroy_tcw'));
    const now = await trace('scif-dma', 'version=v4.13 path=reclaim', 'no secondary mapping outlives its CPU PTE');
    expect(now.indexOf('rma gup')).toBeGreaterThan(now.indexOf('reclaim start.destroy_tcw'));
    expect(now.indexOf('rma gup')).toBeLessThan(now.indexOf('reclaim clear_pte'));
  });

  it('hfi1-mmu-rb v4.10: a buffer pinned before the PTE change is inserted in the cache after invalidate_page, and the engine reads it', async () => {
    const t = await trace('hfi1-mmu-rb', 'version=v4.10 path=reclaim', 'no secondary mapping outlives its CPU PTE');
    expect(t.indexOf('sdma pin')).toBeLessThan(t.indexOf('reclaim clear_pte'));
    expect(t.indexOf('sdma insert')).toBeGreaterThan(t.indexOf('reclaim inv_page.invalidate'));
    expect(t[t.length - 1]).toBe('sdma push');
  });

  it.each(['amd-iommu-v2', 'intel-svm', 'npu-dma'])('%s v4.10: the device maps a fresh lazyfree page before invalidate_page flushes the old one', async (name) => {
    const t = await trace(name, 'version=v4.10 path=lazyfree', 'no secondary mapping outlives its CPU PTE');
    expect(t.indexOf('page_request cpu_fault')).toBeGreaterThan(t.indexOf('reclaim clear_pte'));
    expect(t).not.toContain('reclaim invalidate_page');
  });
});

/**
 * Each driver at a larger scale (docs/series.md, "Scaling"): model → [a declared row at the
 * unscaled size, the scaling parameters added to it, what the scaled search finds]. A scaled
 * model must violate the same properties, with shortest traces no longer (BFS finds the race
 * on one address, or of one fault thread, again: the other threads only wait), in more states.
 */
const IOMMU_SCALED: [string, string, string][] = [
  ['version=v4.10 path=lazyfree', 'faults=2', 'coh 8; 301 states'],
  ['defaults', 'faults=2', 'holds; 337 states'],
  ['version=v4.13 path=migrate', 'faults=2', 'holds; 533 states'],
];
const SCALED: Record<string, [string, string, string][]> = {
  'xen-gntdev': [
    ['defaults', 'addresses=2', 'sleep 5; 224 states'],
    ['defaults', 'faults=2', 'sleep 5; 68 states'],
    ['version=v4.19 path=oom', 'addresses=2', 'holds; 299 states'],
    ['version=v4.19 path=oom', 'faults=2', 'holds; 86 states'],
  ],
  'amd-iommu-v2': [...IOMMU_SCALED, ['version=v4.10 path=lazyfree', 'addresses=2', 'coh 8; 8245 states']],
  'intel-svm': IOMMU_SCALED,
  'npu-dma': IOMMU_SCALED,
  'kvm-2017': [
    ['version=v4.10 path=lazyfree part=memory', 'addresses=2', 'coh 12; 11002 states'],
    ['version=v4.10 path=lazyfree part=memory', 'faults=2', 'coh 12; 14136 states'],
    ['version=v4.13 path=reclaim part=memory', 'attempts=2', 'holds; 1230 states'],
  ],
  'sgi-gru': [
    ['version=v4.10 path=lazyfree', 'faults=2', 'coh 11; 45970 states'],
    ['defaults', 'faults=2', 'holds; 45873 states'],
  ],
  'scif-dma': [
    ['defaults', 'addresses=2', 'coh 11; 15233 states'],
    ['version=v4.10 path=lazyfree', 'faults=2', 'coh 10; 1028 states'],
  ],
  'hfi1-mmu-rb': [
    ['version=v4.10 path=reclaim', 'addresses=2', 'coh 10; 18133 states'],
    ['defaults', 'faults=2', 'coh 11; 3784 states'],
  ],
  'umem-odp-2017': [
    ['defaults', 'faults=2', 'sleep 5; 39706 states'],
    ['version=v4.10 path=lazyfree', 'addresses=2', 'coh 12; 48610 states'],
  ],
};

/** The default-scale row's text with `more` added. */
const scaled = (row: string, more: string) => (row === 'defaults' ? more : `${row} ${more}`);

describe('the 2017 series drivers, scaled', () => {
  it.each(Object.keys(SCALED))('%s: larger configurations violate what the unscaled model violates, with shortest traces no longer, in more states', async (name) => {
    const def = await load(name);
    for (const [row, more, expected] of SCALED[name]) {
      const at1 = parseSeen(EXPECTED[name][row]);
      const text = scaled(row, more);
      const got = await seen(def, name, text);
      expect([name, text, got]).toEqual([name, text, expected]);
      const at2 = parseSeen(got);
      expect([name, text, Object.keys(at2.lengths).sort()]).toEqual([name, text, Object.keys(at1.lengths).sort()]);
      for (const [p, n] of Object.entries(at2.lengths)) expect(n, `${name} ${text}: ${p}`).toBeLessThanOrEqual(at1.lengths[p]);
      expect(at2.states, `${name} ${text}`).toBeGreaterThan(at1.states);
    }
  });

  it.each([
    ['amd-iommu-v2', 'version=v4.10 path=lazyfree', 'addresses=2', { reclaim: 'reclaim0', iommu: 'iommu@0', page_request: 'page_request@0' }],
    ['amd-iommu-v2', 'version=v4.10 path=lazyfree', 'faults=2', { page_request: 'page_request0' }],
    ['kvm-2017', 'version=v4.10 path=lazyfree part=memory', 'addresses=2', { reclaim: 'reclaim0' }],
    ['umem-odp-2017', 'version=v4.10 path=lazyfree', 'addresses=2', { reclaim: 'reclaim0' }],
    ['xen-gntdev', 'version=v4.13-rc path=reclaim', 'addresses=2', { reclaim: 'reclaim0' }],
    ['sgi-gru', 'version=v4.10 path=lazyfree', 'faults=2', { dropin: 'dropin0' }],
    ['scif-dma', 'version=v4.13 path=reclaim', 'addresses=2', { reclaim: 'reclaim0', rma: 'rma@0' }],
    ['hfi1-mmu-rb', 'version=v4.10 path=reclaim', 'addresses=2', { reclaim: 'reclaim0', sdma: 'sdma@0' }],
  ] as const)('%s %s, %s: the shortest race is the unscaled one on address 0, its threads named by address and index', async (name, row, more, renamed) => {
    const property = name === 'xen-gntdev' ? 'no sleeping under a spinlock' : 'no secondary mapping outlives its CPU PTE';
    const at1 = await trace(name, row, property);
    const at2 = await trace(name, scaled(row, more), property);
    const rename = (step: string) => {
      const [actor, ...label] = step.split(' ');
      return [(renamed as Record<string, string>)[actor] ?? actor, ...label].join(' ');
    };
    expect(at2).toEqual(at1.map(rename));
  });

  it.each([
    ['kvm-2017', { faults: 2 }, /scale guest memory \(part=memory\)/],
    ['amd-iommu-v2', { huge: true, path: 'migrate', addresses: 2 }, /huge=true has its own two addresses/],
    ['umem-odp-2017', { huge: true, path: 'migrate', addresses: 2 }, /huge=true has its own two addresses/],
  ] as const)('%s: a scale it cannot take is one line saying why', async (name, params, message) => {
    await expectOneLineError(name, params, message);
  });
});
