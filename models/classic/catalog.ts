// The classic textbook models, by name: spliced into models/catalog.ts by the lead at merge.
// Paths are relative to models/ (like the main catalog's); each default export is a ModelDefinition.
import type { CatalogEntry } from '../catalog-entry.ts';

/** Peterson, dining philosophers and two-phase commit: models with published state counts. */
export const classicCatalog: CatalogEntry[] = [
  { name: 'peterson', file: 'classic/peterson.ts' },
  { name: 'dining-philosophers', file: 'classic/dining-philosophers.ts' },
  { name: 'two-phase-commit', file: 'classic/two-phase-commit.ts' },
];
