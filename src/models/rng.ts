/**
 * The models draw every random number (Mixup split, augmentation) from the project's seeded core
 * generator, so a checkpoint's RNG state resumes the same stream in Node and in the browser.
 */
export type { Rng } from '../core/random.ts';
