// The built-in models, by name: what `mmcheck list` shows and `mmcheck check NAME` loads.
// Paths are relative to this file; each file's default export is a ModelDefinition.

export interface CatalogEntry {
  readonly name: string;
  readonly file: string;
}

export const catalog: readonly CatalogEntry[] = [
  { name: 'range-start-only', file: 'drivers/range-start-only.ts' },
  { name: 'kvm', file: 'drivers/kvm.ts' },
  { name: 'interval-notifier', file: 'drivers/interval-notifier.ts' },
];
