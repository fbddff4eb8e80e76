// Types of model-hooks.mjs.
/** Registers tsx and the model-format hooks in this thread, unless done already. */
export declare function registerModelHooks(): Promise<void>;
