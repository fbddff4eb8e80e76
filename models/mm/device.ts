// The device side: the driver's page table for the device (`spte`) and what the device can
// still reach after that table changed (`tlb`: its TLB, a DMA in flight), until the driver
// flushes or waits — kvm_flush_remote_tlbs, mlx5's UMR completion (mlx5_ib_update_xlt waits
// for it), amdgpu's fence wait, an IOMMU's invalidation-completion wait. The invariants
// (invariants.ts) judge what the device can reach: `spte` and `tlb` together.
//
// A stale translation is kept in one slot per address: when the device page table drops or
// replaces a page while an older stale one is still unflushed, the older one is kept (it is
// the one most likely to be freed first). FIXME: two unflushed stale pages at one address
// show as one; no driver here leaves two.
import { mm, type AnyMm, type MmState } from './state.ts';
import { setFields } from '../../src/model/records.ts';

/** Keeps `page` (with its write bit) as what the device can still reach at v, unless an older stale translation is there. */
function keepStale(m: MmState, v: number, page: number, write: boolean): MmState {
  if (m.tlb.get(v) !== null) return m;
  return setFields(m, { tlb: m.tlb.set(v, page), tlbWrite: m.tlbWrite.set(v, write) });
}

/**
 * The driver's device page table entry of v := page (or none), with its permission. Caller
 * holds the driver's lock. Replacing a different page leaves the old one reachable until a flush.
 */
export function setSpte<T extends AnyMm>(s: T, v: number, page: number | null, writable = true): T {
  let m = mm(s);
  const old = m.spte.get(v);
  if (old !== null && old !== undefined && old !== page) m = keepStale(m, v, old, m.spteWrite.get(v)!);
  return setFields(m, { spte: m.spte.set(v, page), spteWrite: m.spteWrite.set(v, page !== null && writable) }) as unknown as T;
}

/**
 * Zaps the device page table over [start, end) without waiting for the device: what it
 * mapped stays reachable through `tlb` until `flushDevice`.
 */
export function zapSptes<T extends AnyMm>(s: T, start: number, end: number): T {
  let out = s;
  for (let v = start; v < end; v++) if (mm(out).spte.get(v) !== null) out = setSpte(out, v, null);
  return out;
}

/** The driver's flush or wait over [start, end): the device can no longer use a stale translation. */
export function flushDevice<T extends AnyMm>(s: T, start: number, end: number): T {
  let m = mm(s);
  for (let v = start; v < end; v++) {
    if (m.tlb.get(v) !== null) m = setFields(m, { tlb: m.tlb.set(v, null), tlbWrite: m.tlbWrite.set(v, false) });
  }
  return m as unknown as T;
}

/**
 * Zaps the device page table over [start, end) and waits for the device (the flush completes
 * within the same step): nothing of the range stays reachable.
 */
export function clearSptes<T extends AnyMm>(s: T, start: number, end: number): T {
  return flushDevice(zapSptes(s, start, end), start, end);
}

/** The pages the device can reach at v (device page table and stale translation), with their write bits. */
export function deviceReach(s: AnyMm, v: number): { page: number; write: boolean; stale: boolean }[] {
  const m = mm(s);
  const out: { page: number; write: boolean; stale: boolean }[] = [];
  const p = m.spte.get(v);
  if (p !== null && p !== undefined) out.push({ page: p, write: m.spteWrite.get(v)!, stale: false });
  const t = m.tlb.get(v);
  if (t !== null && t !== undefined) out.push({ page: t, write: m.tlbWrite.get(v)!, stale: true });
  return out;
}
