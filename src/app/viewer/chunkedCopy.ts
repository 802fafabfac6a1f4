/**
 * Copies of whole volumes made on the page's thread without freezing it: a 512×512×300 int16 CT is
 * 150 MB, and one `slice()` of it (fresh pages, on a busy machine) can block for a second. The copy
 * goes in slabs with a yield between them, so input and drawing go on.
 */
type Voxels = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/** Bytes copied per task: fresh pages fault in as they are written, so on a busy machine a 2 MB slab takes tens of ms. */
export const COPY_SLAB_BYTES = 2 * 1024 * 1024;

/** Let the event loop run (input, frames) before the next slab. */
export function yieldToPage(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

export async function copyInSlabs<T extends Voxels>(src: T, slabBytes = COPY_SLAB_BYTES): Promise<T> {
  const Ctor = src.constructor as new (n: number) => T;
  const out = new Ctor(src.length);
  const step = Math.max(1, Math.floor(slabBytes / src.BYTES_PER_ELEMENT));
  // Yield before each slab, the first too: the caller may be at the end of a long task already.
  for (let at = 0; at < src.length; at += step) {
    await yieldToPage();
    out.set(src.subarray(at, Math.min(src.length, at + step)) as never, at);
  }
  return out;
}
