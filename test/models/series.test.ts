// The 2017 series' drivers in their versions: every (version, path) verdict with its shortest trace, and the traces history describes.
import { describe, expect, it } from 'vitest';
import { catalog } from '../../models/catalog.ts';
import { check, type ModelDefinition } from '../../src/index.ts';
import { PROPERTY_SHORT } from '../../models/mm/index.ts';
import { parseParamArgs } from '../../src/model/params.ts';
import { verdicts } from './verdicts.ts';

/**
 * Model → parameters → the properties violated with their shortest counterexample's length
 * ('holds': none). Each is explained from the driver's code in docs/series.md.
 */
const IOMMU_WALKER: Record<string, string> = {
    'defaults': 'holds',
    'version=v4.10 path=reclaim': 'holds',
    'version=v4.10 path=lazyfree': 'coh 8',
    'version=v4.10 path=dontneed': 'holds',
    'version=v4.10 path=migrate': 'holds',
    'version=v4.13-rc path=reclaim': 'holds',
    'version=v4.13-rc path=lazyfree': 'holds',
    'version=v4.13-rc path=dontneed': 'holds',
    'version=v4.13-rc path=migrate': 'holds',
    'version=v4.13 path=lazyfree': 'holds',
    'version=v4.13 path=dontneed': 'holds',
    'version=v4.13 path=migrate': 'holds',
    'version=v4.15 path=reclaim': 'holds',
    'version=v4.15 path=lazyfree': 'holds',
    'version=v4.15 path=dontneed': 'holds',
    'version=v4.15 path=migrate': 'holds',
};

const EXPECTED: Record<string, Record<string, string>> = {
  'kvm-2017': {
    'defaults': 'uaf 8, coh 7',
    'version=v4.10 path=reclaim part=apic': 'holds',
    'version=v4.10 path=lazyfree part=apic': 'holds',
    'version=v4.10 path=dontneed part=apic': 'uaf 5, coh 6',
    'version=v4.10 path=migrate part=apic': 'holds',
    'version=v4.13-rc path=reclaim part=apic': 'holds',
    'version=v4.13-rc path=lazyfree part=apic': 'holds',
    'version=v4.13-rc path=dontneed part=apic': 'uaf 5, coh 6',
    'version=v4.13-rc path=migrate part=apic': 'holds',
    'version=v4.13 path=lazyfree part=apic': 'uaf 8, coh 7',
    'version=v4.13 path=dontneed part=apic': 'uaf 5, coh 6',
    'version=v4.13 path=migrate part=apic': 'uaf 12, coh 7',
    'version=v4.15 path=reclaim part=apic': 'uaf 13, coh 12',
    'version=v4.15 path=lazyfree part=apic': 'uaf 13, coh 12',
    'version=v4.15 path=dontneed part=apic': 'uaf 10, coh 11',
    'version=v4.15 path=migrate part=apic': 'uaf 17, coh 12',
    'version=v5.8 path=reclaim part=apic': 'holds',
    'version=v5.8 path=lazyfree part=apic': 'holds',
    'version=v5.8 path=dontneed part=apic': 'holds',
    'version=v5.8 path=migrate part=apic': 'holds',
    'version=v4.10 path=reclaim part=memory': 'holds',
    'version=v4.10 path=lazyfree part=memory': 'coh 12',
    'version=v4.10 path=dontneed part=memory': 'holds',
    'version=v4.10 path=migrate part=memory': 'holds',
    'version=v4.13-rc path=reclaim part=memory': 'holds',
    'version=v4.13-rc path=lazyfree part=memory': 'holds',
    'version=v4.13-rc path=dontneed part=memory': 'holds',
    'version=v4.13-rc path=migrate part=memory': 'holds',
    'version=v4.13 path=reclaim part=memory': 'holds',
    'version=v4.13 path=lazyfree part=memory': 'holds',
    'version=v4.13 path=dontneed part=memory': 'holds',
    'version=v4.13 path=migrate part=memory': 'holds',
    'version=v4.15 path=reclaim part=memory': 'holds',
    'version=v4.15 path=lazyfree part=memory': 'holds',
    'version=v4.15 path=dontneed part=memory': 'holds',
    'version=v4.15 path=migrate part=memory': 'holds',
    'version=v5.8 path=reclaim part=memory': 'holds',
    'version=v5.8 path=lazyfree part=memory': 'holds',
    'version=v5.8 path=dontneed part=memory': 'holds',
    'version=v5.8 path=migrate part=memory': 'holds',
  },
  'amdgpu-mn': {
    'defaults': 'coh 17',
    'version=v4.10 path=reclaim': 'holds',
    'version=v4.10 path=lazyfree': 'holds',
    'version=v4.10 path=dontneed': 'coh 16',
    'version=v4.10 path=migrate': 'holds',
    'version=v4.13-rc path=reclaim': 'sleep 5',
    'version=v4.13-rc path=lazyfree': 'sleep 5',
    'version=v4.13-rc path=dontneed': 'coh 16',
    'version=v4.13-rc path=migrate': 'sleep 5',
    'version=v4.13 path=lazyfree': 'coh 17',
    'version=v4.13 path=dontneed': 'coh 16',
    'version=v4.13 path=migrate': 'coh 17',
    'version=v4.19 path=reclaim': 'coh 15, dl 7, prog 7',
    'version=v4.19 path=lazyfree': 'coh 15, dl 7, prog 7',
    'version=v4.19 path=dontneed': 'coh 14, dl 6, prog 6',
    'version=v4.19 path=migrate': 'coh 15, dl 7, prog 7',
    'version=v4.19 path=oom': 'sleep 2, dl 7, prog 7',
  },
  'umem-odp-2017': {
    'defaults': 'sleep 5',
    'version=v4.10 path=reclaim': 'holds',
    'version=v4.10 path=lazyfree': 'coh 12',
    'version=v4.10 path=dontneed': 'holds',
    'version=v4.10 path=migrate': 'holds',
    'version=v4.13-rc path=lazyfree': 'sleep 5',
    'version=v4.13-rc path=dontneed': 'holds',
    'version=v4.13-rc path=migrate': 'sleep 5',
    'version=v4.13 path=reclaim': 'holds',
    'version=v4.13 path=lazyfree': 'holds',
    'version=v4.13 path=dontneed': 'holds',
    'version=v4.13 path=migrate': 'holds',
    'version=v4.19 path=reclaim': 'holds',
    'version=v4.19 path=lazyfree': 'holds',
    'version=v4.19 path=dontneed': 'holds',
    'version=v4.19 path=migrate': 'holds',
    'version=v4.19 path=oom': 'holds',
  },
  'xen-gntdev': {
    'defaults': 'sleep 5',
    'version=v4.10 path=reclaim': 'holds',
    'version=v4.10 path=lazyfree': 'holds',
    'version=v4.10 path=dontneed': 'holds',
    'version=v4.10 path=migrate': 'holds',
    'version=v4.13-rc path=lazyfree': 'sleep 5',
    'version=v4.13-rc path=dontneed': 'holds',
    'version=v4.13-rc path=migrate': 'sleep 5',
    'version=v4.13 path=reclaim': 'holds',
    'version=v4.13 path=lazyfree': 'holds',
    'version=v4.13 path=dontneed': 'holds',
    'version=v4.13 path=migrate': 'holds',
    'version=v4.19 path=reclaim': 'holds',
    'version=v4.19 path=lazyfree': 'holds',
    'version=v4.19 path=dontneed': 'holds',
    'version=v4.19 path=migrate': 'holds',
    'version=v4.19 path=oom': 'holds',
  },
  'sgi-gru': {
    'defaults': 'holds',
    'version=v4.10 path=reclaim': 'holds',
    'version=v4.10 path=lazyfree': 'coh 11',
    'version=v4.10 path=dontneed': 'holds',
    'version=v4.10 path=migrate': 'holds',
    'version=v4.13-rc path=reclaim': 'holds',
    'version=v4.13-rc path=lazyfree': 'holds',
    'version=v4.13-rc path=dontneed': 'holds',
    'version=v4.13-rc path=migrate': 'holds',
    'version=v4.13 path=lazyfree': 'holds',
    'version=v4.13 path=dontneed': 'holds',
    'version=v4.13 path=migrate': 'holds',
  },
  'scif-dma': {
    'defaults': 'coh 11',
    'version=v4.10 path=reclaim': 'coh 10',
    'version=v4.10 path=lazyfree': 'coh 10',
    'version=v4.10 path=dontneed': 'coh 10',
    'version=v4.10 path=migrate': 'coh 10',
    'version=v4.13-rc path=reclaim': 'coh 9',
    'version=v4.13-rc path=lazyfree': 'coh 9',
    'version=v4.13-rc path=dontneed': 'coh 10',
    'version=v4.13-rc path=migrate': 'coh 9',
    'version=v4.13 path=lazyfree': 'coh 11',
    'version=v4.13 path=dontneed': 'coh 10',
    'version=v4.13 path=migrate': 'coh 11',
  },
  'hfi1-mmu-rb': {
    'defaults': 'coh 11',
    'version=v4.10 path=reclaim': 'coh 10',
    'version=v4.10 path=lazyfree': 'coh 10',
    'version=v4.10 path=dontneed': 'coh 10',
    'version=v4.10 path=migrate': 'coh 10',
    'version=v4.13-rc path=reclaim': 'coh 9',
    'version=v4.13-rc path=lazyfree': 'coh 9',
    'version=v4.13-rc path=dontneed': 'coh 10',
    'version=v4.13-rc path=migrate': 'coh 9',
    'version=v4.13 path=lazyfree': 'coh 11',
    'version=v4.13 path=dontneed': 'coh 10',
    'version=v4.13 path=migrate': 'coh 11',
  },
  // The IOMMU walkers share one builder (iommu-series.ts) and do the same thing at this level: the same table.
  'amd-iommu-v2': IOMMU_WALKER,
  'intel-svm': IOMMU_WALKER,
  'npu-dma': Object.fromEntries(Object.entries(IOMMU_WALKER).filter(([k]) => !k.startsWith('version=v4.15'))),
};

async function load(name: string): Promise<ModelDefinition> {
  const entry = catalog.find((c) => c.name === name)!;
  return (await import(new URL(`../../models/${entry.file}`, import.meta.url).href)).default;
}
const paramsOf = (text: string) => (text === 'defaults' ? {} : parseParamArgs(text.split(' ')));

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
      const v = await verdicts(def, row.params);
      const seen = Object.entries(v).filter(([, x]) => x !== 'holds').map(([p, x]) => `${PROPERTY_SHORT[p as keyof typeof PROPERTY_SHORT] ?? p} ${x}`).join(', ') || 'holds';
      expect([name, row.text, seen]).toEqual([name, row.text, EXPECTED[name][row.text]]);
    }
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
