/**
 * The project's own demo: the abdominal phantom (src/core/phantom) generated in this tab, in a
 * worker (phantomWorker.ts), and handed to the viewer as in-memory NIfTI files. No network, no
 * third-party data.
 */
import { PHANTOM_DEFAULTS, type PhantomOptions } from '../../core/phantom/index.ts';
import type { VolumeSource } from '../viewer/ViewerController.ts';
import { PHANTOM_IMAGE_NAME, PHANTOM_LABELS_NAME, type PhantomReply, type PhantomRequest } from './phantomMessages.ts';

export { PHANTOM_IMAGE_NAME, PHANTOM_LABELS_NAME } from './phantomMessages.ts';

export interface PhantomCase {
  image: VolumeSource;
  labels: VolumeSource;
  seed: PhantomOptions['seed'];
}

function generate(options: PhantomOptions): Promise<{ image: Uint8Array; labels: Uint8Array }> {
  const worker = new Worker(new URL('./phantomWorker.ts', import.meta.url), { type: 'module', name: 'phantom' });
  return new Promise<{ image: Uint8Array; labels: Uint8Array }>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<PhantomReply>) => {
      const m = e.data;
      if ('error' in m) reject(new Error(`Could not make the phantom demo: ${m.error}`));
      else resolve(m);
    };
    worker.onerror = (e) => reject(new Error(`Could not make the phantom demo: the worker failed (${e.message || 'could not load'}).`));
    worker.postMessage({ options } satisfies PhantomRequest);
  }).finally(() => worker.terminate());
}

export async function makePhantomCase(options: PhantomOptions = {}): Promise<PhantomCase> {
  const { image, labels } = await generate(options);
  const url = (bytes: Uint8Array) => URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  return {
    image: { url: url(image), name: PHANTOM_IMAGE_NAME },
    labels: { url: url(labels), name: PHANTOM_LABELS_NAME },
    seed: options.seed ?? PHANTOM_DEFAULTS.seed,
  };
}
