/**
 * Gzip through the platform's CompressionStream / DecompressionStream (Node 20 and browsers),
 * streamed so that a small file that inflates to gigabytes is stopped as soon as it passes the
 * size its own header promises, and so that nothing big is allocated before that header is read.
 */
import { VolumeError } from '../errors.ts';
import { concatBytes as concat } from '../bytes.ts';
import { allocate } from './allocate.ts';

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** What the first inflated bytes say about the rest; `plan` may throw to reject the file. */
export interface InflateBound {
  prefixBytes: number;
  plan(prefix: Uint8Array): InflatePlan;
}

export interface InflatePlan {
  /** The exact inflated size the header declares; inflating past it is an error. */
  size: number;
  /** An index into the output that should sit at an 8-byte-aligned address (the voxel data). */
  alignAt: number;
  /** Names the header fields behind `size`, for the message if it cannot be allocated. */
  sizeFrom: string;
}

/** The whole inflated file, or only its start when the stream ended before `plan.size`. */
export type Inflated =
  | { complete: true; bytes: Uint8Array }
  | { complete: false; prefix: Uint8Array; length: number };

/**
 * Below this much inflated data a file whose gzip trailer disagrees with its header is collected
 * in chunks; past it the output is allocated at the declared (already budget-checked) size. A
 * forged trailer or a truncated stream thus costs at most this much before the truth shows.
 */
const COLLECT_BEFORE_ALLOCATING = 16 * 1024 * 1024;

function toBlobPart(bytes: Uint8Array): BlobPart {
  // Blob accepts any ArrayBufferView at runtime; the cast only satisfies TS's ArrayBuffer generics.
  return bytes as Uint8Array<ArrayBuffer>;
}

/** ISIZE: the inflated size mod 2^32 from the gzip trailer (of the last member only). */
function trailerSize(bytes: Uint8Array): number | undefined {
  if (bytes.length < 18) return undefined;
  const n = bytes.length;
  return (bytes[n - 4] | (bytes[n - 3] << 8) | (bytes[n - 2] << 16) | (bytes[n - 1] << 24)) >>> 0;
}

export async function gunzip(bytes: Uint8Array, file: string, bound: InflateBound): Promise<Inflated> {
  const stream = new Blob([toBlobPart(bytes)]).stream().pipeThrough(new DecompressionStream('gzip'));
  const reader = stream.getReader();
  const isize = trailerSize(bytes);
  let chunks: Uint8Array[] = [];
  let length = 0;
  let plan: InflatePlan | undefined;
  let head: Uint8Array | undefined;
  let out: Uint8Array | undefined;

  const allocateOut = (p: InflatePlan): void => {
    const pad = (8 - (p.alignAt % 8)) % 8;
    out = allocate(file, p.size, `the inflated data (${p.sizeFrom})`, () => new Uint8Array(new ArrayBuffer(p.size + pad), pad, p.size));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    chunks = [];
  };

  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        throw new VolumeError(file, `corrupt gzip data (${errorText(e)})`);
      }
      if (chunk.done) break;
      const value = chunk.value;
      if (plan && length + value.length > plan.size) throw tooLarge(file, plan.size);
      if (out) out.set(value, length);
      else chunks.push(value);
      length += value.length;
      if (!plan && length >= bound.prefixBytes) {
        head = concat(chunks, length);
        plan = bound.plan(head);
        if (length > plan.size) throw tooLarge(file, plan.size);
        // A trailer that agrees with the header is the common case: allocate once, exactly.
        if (isize === plan.size % 2 ** 32) allocateOut(plan);
      }
      if (plan && !out && length >= Math.min(plan.size, COLLECT_BEFORE_ALLOCATING)) allocateOut(plan);
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    throw e;
  }
  if (!plan) {
    // A file shorter than prefixBytes (a tiny NIfTI-1); an empty or cut header is the caller's to name.
    head = concat(chunks, length);
    if (length === 0) return { complete: false, prefix: head, length };
    plan = bound.plan(head);
    if (length > plan.size) throw tooLarge(file, plan.size);
  }
  if (length < plan.size) return { complete: false, prefix: head!, length };
  if (!out) allocateOut(plan);
  return { complete: true, bytes: out! };
}

function tooLarge(file: string, limit: number): VolumeError {
  return new VolumeError(file, `gzip data inflates past the ${limit} bytes its header accounts for (dims do not match the data size, or a gzip bomb)`);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([toBlobPart(bytes)]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
