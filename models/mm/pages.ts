// Page reference counting: get_page / put_page, freeing on the last reference, and the
// allocation of a fresh page by a CPU fault. All pure functions on the shared state.
import type { AnyMm, MmState, Page } from './state.ts';

/** get_page(): one more reference. */
export function getPage<T extends AnyMm>(s: T, page: number): T {
  const m = s as unknown as MmState;
  return m.set('pages', m.pages.update(page, (p: Page | undefined) => p!.set('ref', p!.ref + 1))) as unknown as T;
}

/** put_page(): one reference fewer; the last one frees the page (__put_page → free_unref_page). */
export function putPage<T extends AnyMm>(s: T, page: number): T {
  const m = s as unknown as MmState;
  const p = m.pages.get(page)!;
  if (p.ref <= 0) throw new Error(`put_page on page ${page} with refcount ${p.ref}`);
  const q = p.ref === 1 ? p.merge({ ref: 0, state: 'freed' }) : p.set('ref', p.ref - 1);
  return m.set('pages', m.pages.set(page, q)) as unknown as T;
}

/** The first page never handed out, or -1 (the model ran out of spare pages). */
export function firstUnusedPage(s: AnyMm): number {
  return (s as unknown as MmState).pages.findIndex((p) => p.state === 'unused');
}

/**
 * get_user_pages() on address v, as one step under the PTL (follow_page_pte takes it):
 * the mapped page gets a reference; if the PTE is none, handle_mm_fault installs a fresh
 * page first (mapping ref + gup ref). Returns the new state and the page.
 */
export function gupPage<T extends AnyMm>(s: T, v: number): { state: T; page: number } {
  const m = s as unknown as MmState;
  const mapped = m.pte.get(v);
  if (mapped !== null && mapped !== undefined) return { state: getPage(s, mapped), page: mapped };
  const page = firstUnusedPage(s);
  if (page < 0) throw new Error('no unused page left for a CPU fault (raise the model\'s spare pages)');
  const s2 = m.set('pte', m.pte.set(v, page)).set('pages', m.pages.set(page, m.pages.get(page)!.merge({ ref: 2, state: 'live' }))) as unknown as T;
  return { state: s2, page };
}
