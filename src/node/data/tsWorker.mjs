// Worker threads start without the parent's TypeScript loader; this registers tsx in the thread,
// then loads the .ts module named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.tsModule);
