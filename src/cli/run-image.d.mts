// Types of run-image.mjs.
/** The directory of the run image of the checkout at `root` (built now if missing), or null when it cannot be built. */
export declare function runImage(root: string): Promise<string | null>;
