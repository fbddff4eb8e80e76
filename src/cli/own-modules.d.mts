// Types of own-modules.mjs (what 'mmcheck', 'mmcheck/mm' and 'immutable' mean for a model).
/** mmcheck's public entry points (file URLs), as its package.json exports them. */
export declare const PUBLIC_ENTRIES: Readonly<Record<'mmcheck' | 'mmcheck/mm', string>>;
/** A module inside mmcheck from which its own dependencies resolve. */
export declare const ENGINE_PARENT: string;
/** True for a specifier that must resolve to mmcheck's own copy of a package. */
export declare function isSharedPackage(specifier: string): boolean;
