// One line of a model catalog: a built-in model's name and its file.

/** A built-in model: the name `mmcheck check NAME` takes, and its file relative to models/. */
export interface CatalogEntry {
  readonly name: string;
  readonly file: string;
}
