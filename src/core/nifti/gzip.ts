/**
 * Gzip through the platform's CompressionStream / DecompressionStream (Node 20 and browsers),
 * streamed so that a small file that inflates to gigabytes is stopped as soon as it passes the
 * size its own header promises.
 */
import { VolumeError } from '../errors.ts';

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decide the decompressed size limit from the first bytes. Called once with at least
 * `prefixBytes` bytes (or all there are, if the stream ends sooner); may throw to reject the file.
 */
export interface InflateLimit {
  prefixBytes: number;
  limit(prefix: Uint8Array): number;
}

function toBlobPart(bytes: Uint8Array): BlobPart {
  // Blob accepts any ArrayBufferView at runtime; the cast only satisfies TS's ArrayBuffer generics.
  return bytes as Uint8Array<ArrayBuffer>;
}

export async function gunzip(bytes: Uint8Array, file: string, bound: InflateLimit): Promise<Uint8Array> {
  const stream = new Blob([toBlobPart(bytes)]).stream().pipeThrough(new DecompressionStream('gzip'));
  const reader = stream.getReader();
  const head: Uint8Array[] = [];
  let headLength = 0;
  let out: Uint8Array | undefined;
  let limit = Infinity;
  let length = 0;

  const settleLimit = (): void => {
    const prefix = concat(head, headLength);
    limit = bound.limit(prefix);
    out = new Uint8Array(Math.max(limit, prefix.length));
    out.set(prefix);
    length = prefix.length;
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
      if (!out) {
        head.push(value);
        headLength += value.length;
        if (headLength >= bound.prefixBytes) settleLimit();
        if (out && length > limit) throw tooLarge(file, limit);
        continue;
      }
      if (length + value.length > limit) throw tooLarge(file, limit);
      out.set(value, length);
      length += value.length;
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    throw e;
  }
  if (!out) settleLimit();
  return out!.subarray(0, length);
}

function tooLarge(file: string, limit: number): VolumeError {
  return new VolumeError(file, `gzip data inflates past the ${limit} bytes its header accounts for (dims do not match the data size, or a gzip bomb)`);
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const all = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([toBlobPart(bytes)]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
