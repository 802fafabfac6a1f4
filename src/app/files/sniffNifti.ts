/**
 * Cheap checks on a file before niivue sees it, so a wrong file yields a message that names it
 * instead of a console error and a blank viewer.
 */
export interface NiftiSummary {
  version: 1 | 2;
  dims: [number, number, number];
  datatype: number;
  gzipped: boolean;
}

export const NIFTI_NAME = /\.nii(\.gz)?$/i;

const DATATYPE_NAMES: Record<number, string> = {
  2: 'uint8', 4: 'int16', 8: 'int32', 16: 'float32', 64: 'float64', 256: 'int8', 512: 'uint16', 768: 'uint32',
  1024: 'int64', 1280: 'uint64', 128: 'rgb24', 2304: 'rgba32', 32: 'complex64',
};

export function datatypeName(code: number): string {
  return DATATYPE_NAMES[code] ?? `datatype ${code}`;
}

export class NiftiFileError extends Error {}

async function gunzipHead(bytes: Uint8Array, want: number): Promise<Uint8Array> {
  // Stream just the header: a full CT can be hundreds of MB decompressed.
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let got = 0;
  try {
    while (got < want) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      got += value.length;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  const out = new Uint8Array(got);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function parseNiftiHead(head: Uint8Array, gzipped: boolean): NiftiSummary {
  if (head.length < 348) throw new NiftiFileError('too short to hold a NIfTI header');
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  for (const little of [true, false]) {
    const size = dv.getInt32(0, little);
    if (size === 348) {
      const magic = String.fromCharCode(head[344], head[345], head[346]);
      if (magic !== 'n+1' && magic !== 'ni1') throw new NiftiFileError('NIfTI-1 magic missing (is it an ANALYZE file?)');
      const dims = [1, 2, 3].map((d) => Math.max(1, dv.getInt16(40 + 2 * d, little))) as [number, number, number];
      return { version: 1, dims, datatype: dv.getInt16(70, little), gzipped };
    }
    if (size === 540) {
      if (head.length < 540) throw new NiftiFileError('truncated NIfTI-2 header');
      const dims = [1, 2, 3].map((d) => Math.max(1, Number(dv.getBigInt64(16 + 8 * d, little)))) as [number, number, number];
      return { version: 2, dims, datatype: dv.getInt16(12, little), gzipped };
    }
  }
  throw new NiftiFileError('no NIfTI header found');
}

export async function sniffNifti(name: string, bytes: Uint8Array): Promise<NiftiSummary> {
  if (!NIFTI_NAME.test(name)) throw new NiftiFileError('only NIfTI files (.nii or .nii.gz) can be opened');
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  let head: Uint8Array;
  try {
    head = gzipped ? await gunzipHead(bytes, 540) : bytes.subarray(0, 540);
  } catch {
    throw new NiftiFileError('the gzip stream is corrupt');
  }
  const summary = parseNiftiHead(head, gzipped);
  if (summary.dims.some((d) => d < 1)) throw new NiftiFileError('header has invalid dimensions');
  return summary;
}
