/**
 * "Open the TotalSegmentator sample": the two files fetched from their source (a pinned commit on
 * GitHub) and opened only if their SHA-256 matches the one recorded here; whatever else comes back
 * (offline, blocked, another file) is refused with a message that says which.
 */
import { concatBytes } from '../../core/bytes.ts';
import type { SampleFile } from '../../core/totalSegmentatorSample.ts';

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (!globalThis.crypto?.subtle) throw new Error('this page cannot compute SHA-256 (crypto.subtle needs https or localhost)');
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Read a response body, refusing one longer than `limit` bytes as soon as it passes it. */
async function readCapped(res: Response, limit: number, what: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get('Content-Length') ?? NaN);
  if (declared > limit) throw new Error(`${what}: the server sends ${declared} bytes, the sample has ${limit}; not opened`);
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new Error(`${what}: more than the sample's ${limit} bytes came back; not opened`);
    }
    parts.push(value);
  }
  return concatBytes(parts, size);
}

/**
 * The file's bytes, verified. `url` defaults to the file's source; tests point it at a local server.
 */
export async function downloadVerified(file: SampleFile, url: string = file.url, signal?: AbortSignal): Promise<Uint8Array> {
  const what = `${file.sourceName} from ${new URL(url).host}`;
  let res: Response;
  try {
    res = await fetch(url, { signal, credentials: 'omit', cache: 'no-cache' });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new Error(`could not download ${what}: offline, or the request was blocked (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!res.ok) throw new Error(`could not download ${what}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  const bytes = await readCapped(res, file.bytes, what);
  const got = await sha256Hex(bytes);
  if (got !== file.sha256) {
    throw new Error(`${what} is not the expected file (SHA-256 ${got.slice(0, 12)}…, expected ${file.sha256.slice(0, 12)}…, ${bytes.length} bytes); not opened`);
  }
  return bytes;
}
