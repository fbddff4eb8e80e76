// Page reference counting: get_page / put_page, freeing on the last reference, and
// get_user_pages() on one address (follow the PTE, or fault a fresh page in). All pure
// functions on the shared state.
import { mm, setPte, type AnyMm, type Page } from './state.ts';
import { setFields } from '../../src/model/records.ts';

/** get_page(): one more reference. */
export function getPage<T extends AnyMm>(s: T, page: number): T {
  const m = mm(s);
  return m.set('pages', m.pages.update(page, (p: Page | undefined) => p!.set('ref', p!.ref + 1))) as unknown as T;
}

/** put_page(): one reference fewer; the last one frees the page (__put_page → free_unref_page). */
export function putPage<T extends AnyMm>(s: T, page: number): T {
  const m = mm(s);
  const p = m.pages.get(page)!;
  if (p.ref <= 0) throw new Error(`put_page on page ${page} with refcount ${p.ref}`);
  const q = p.ref === 1 ? setFields(p, { ref: 0, state: 'freed' }) : p.set('ref', p.ref - 1);
  return m.set('pages', m.pages.set(page, q)) as unknown as T;
}

/** The first page never handed out, or -1 (the model ran out of spare pages). */
export function firstUnusedPage(s: AnyMm): number {
  return mm(s).pages.findIndex((p) => p.state === 'unused');
}

/** alloc_page(): hands out the first unused page with `refs` references. */
export function allocPage<T extends AnyMm>(s: T, refs = 1): { state: T; page: number } {
  const page = firstUnusedPage(s);
  if (page < 0) throw new Error("no unused page left (raise the model's spare pages)");
  const m = mm(s);
  return { state: m.set('pages', m.pages.set(page, setFields(m.pages.get(page)!, { ref: refs, state: 'live' }))) as unknown as T, page };
}

/** What get_user_pages() found at an address. */
export interface GupResult<T> {
  readonly state: T;
  /** The page referenced (+1): the mapped page, a freshly faulted one, or the page under migration. */
  readonly page: number;
  /** The PTE held a migration entry: the caller must wait for the page lock and try again. */
  readonly migrating: boolean;
  /** The PTE the page came from is writable (map_writable). */
  readonly writable: boolean;
}

/**
 * get_user_pages() on address v, as one step under the PTL (follow_page_pte takes it):
 * - a mapped page gets a reference; with `write` a read-only PTE is first made writable by
 *   the write fault (do_wp_page → wp_page_reuse, which also dirties the page);
 * - a migration entry: __migration_entry_wait takes a reference (get_page_unless_zero) on
 *   the page under migration, which the caller drops after wait_on_page_locked();
 * - pte_none: handle_mm_fault → do_anonymous_page installs a fresh page (mapping ref + gup ref).
 */
export function gupPage<T extends AnyMm>(s: T, v: number, write = false): GupResult<T> {
  const m = mm(s);
  const mapped = m.pte.get(v);
  if (mapped !== null && mapped !== undefined) {
    let out = getPage(s, mapped);
    if (write && !m.pteWrite.get(v)) out = setPte(out, v, mapped, true);
    return { state: out, page: mapped, migrating: false, writable: write || m.pteWrite.get(v)! };
  }
  const migrating = m.migration.get(v);
  if (migrating !== null && migrating !== undefined) return { state: getPage(s, migrating), page: migrating, migrating: true, writable: false };
  const fresh = allocPage(s, 2);
  return { state: setPte(fresh.state, v, fresh.page, true), page: fresh.page, migrating: false, writable: true };
}
