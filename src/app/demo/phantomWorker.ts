/// <reference lib="webworker" />
/**
 * Generates the phantom demo off the page's thread (0.5–1 s of voxel loops on a laptop core) and
 * sends back the two NIfTI files by transfer.
 */
import { writeNifti } from '../../core/nifti/index.ts';
import { makeAbdomenPhantom } from '../../core/phantom/index.ts';
import { PHANTOM_IMAGE_NAME, PHANTOM_LABELS_NAME, type PhantomReply, type PhantomRequest } from './phantomMessages.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = async (e: MessageEvent<PhantomRequest>) => {
  try {
    const p = makeAbdomenPhantom(e.data.options);
    // Uncompressed: gzip would cost more time than it saves on a copy that never leaves memory.
    const [image, labels] = await Promise.all([
      writeNifti(p.image, { gzip: false, fileName: PHANTOM_IMAGE_NAME }),
      writeNifti(p.labels, { gzip: false, fileName: PHANTOM_LABELS_NAME }),
    ]);
    const transfer = [image.buffer, labels.buffer].filter((b, i, all) => all.indexOf(b) === i) as ArrayBuffer[];
    scope.postMessage({ image, labels } satisfies PhantomReply, transfer);
  } catch (err) {
    scope.postMessage({ error: err instanceof Error ? err.message : String(err) } satisfies PhantomReply);
  }
};
