/**
 * The checkpoint format's name and version, apart from checkpoint.ts so that page code that only
 * reads a checkpoint's header (src/app/checkpoints) does not pull tfjs into the page bundle.
 */
export const CHECKPOINT_FORMAT = 'freetumor-checkpoint';
export const CHECKPOINT_VERSION = 1;
