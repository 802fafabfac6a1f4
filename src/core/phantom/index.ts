export { makeAbdomenPhantom, PHANTOM_DEFAULTS, type Phantom, type PhantomOptions } from './abdomenPhantom.ts';
export { totalSegmentatorId } from './anatomy.ts';
