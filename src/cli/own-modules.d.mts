// Types of own-modules.mjs (what 'mmcheck', 'mmcheck/mm' and 'immutable' mean for a model).
/** The run image's root (file URL ending in '/') when this process runs from one, else null. */
export declare const IMAGE_ROOT: string | null;
/** mmcheck's own src/ (file URL) as the sources (or dist/) hold it: in a run image, the checkout's. */
export declare const OWN_SRC: string;
/** mmcheck's public entry points (file URLs), as its package.json exports them. */
export declare const PUBLIC_ENTRIES: Readonly<Record<'mmcheck' | 'mmcheck/mm', string>>;
/** A module inside mmcheck from which its own dependencies resolve. */
export declare const ENGINE_PARENT: string;
/** True for a specifier that must resolve to mmcheck's own copy of a package. */
export declare function isSharedPackage(specifier: string): boolean;
/** In a run image: the image's compiled copy of one of the checkout's own TypeScript modules (a file URL); any other URL as it is. */
export declare function imageUrl(url: string): string;
