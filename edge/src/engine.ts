/** The engine's entry point, built into `dist/engine.js` (see `engine/index.ts`). */

export * from "./engine/index.js";
