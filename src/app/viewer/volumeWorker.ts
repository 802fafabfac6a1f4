/// <reference lib="webworker" />
/**
 * Reads a volume off the page's thread: fetch, gunzip, header checks, niivue's own parse (byte
 * order, type conversion, RAS matrices, robust intensity range). The page gets the finished fields
 * and the voxels by transfer, and only has to put them on an NVImage.
 */
import { NVImage } from '@niivue/niivue';
import { datatypeName, sniffNifti } from '../files/sniffNifti.ts';
import type { VolumeLoaded, VolumeReply, VolumeRequest } from './volumeMessages.ts';
import { volumeTooLarge } from './volumeLimits.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

type Voxels = Exclude<NVImage['img'], null | undefined>;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * niivue keeps a copy of the voxels cut from the file; when the file is uncompressed, in this
 * machine's byte order and unconverted, a view into the file's buffer holds the same values, and
 * the tab keeps one copy instead of two.
 */
function shareFileBuffer(img: Voxels, file: ArrayBuffer, voxOffset: number, gzipped: boolean): Voxels {
  if (gzipped || !Number.isInteger(voxOffset)) return img;
  const Ctor = img.constructor as { new (b: ArrayBuffer, o: number, n: number): Voxels; BYTES_PER_ELEMENT: number };
  if (voxOffset % Ctor.BYTES_PER_ELEMENT !== 0 || voxOffset + img.byteLength > file.byteLength) return img;
  const view = new Ctor(file, voxOffset, img.length);
  // Same values, or niivue changed them (byte swap, conversion): then keep niivue's.
  const probes = [0, img.length >> 1, img.length - 1, img.length >> 3, (img.length * 7) >> 3];
  for (const p of probes) if (!Object.is(view[p], img[p])) return img;
  return view;
}

function dataOnly(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) if (typeof value !== 'function' && value !== undefined) out[key] = value;
  return out;
}

async function load(req: VolumeRequest): Promise<{ reply: VolumeLoaded; transfer: Transferable[] }> {
  const t0 = performance.now();
  let file: ArrayBuffer;
  try {
    const res = await fetch(req.url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    file = await res.arrayBuffer();
  } catch (err) {
    throw new Error(`Could not read "${req.name}": ${message(err)}.`);
  }
  const bytes = new Uint8Array(file);
  let summary;
  try {
    summary = await sniffNifti(req.name, bytes);
  } catch (err) {
    throw new Error(`Could not open "${req.name}": ${message(err)}.`);
  }
  const refusal = volumeTooLarge(req.name, summary.dims, req.limits);
  if (refusal) throw new Error(refusal);
  let volume: NVImage;
  try {
    // With a buffer niivue fetches nothing (the url only names the format) and reads the buffer
    // without changing it: the file's bytes stay as read.
    volume = await NVImage.loadFromUrl({ url: req.name, name: req.name, buffer: file, colormap: req.colormap });
  } catch (err) {
    throw new Error(`Could not open "${req.name}": ${message(err)}.`);
  }
  if (!volume?.img || !volume.hdr) throw new Error(`Could not open "${req.name}": no image data (${datatypeName(summary.datatype)}).`);
  const expected = summary.dims[0] * summary.dims[1] * summary.dims[2];
  if (volume.img.length < expected) throw new Error(`Could not open "${req.name}": the file is truncated.`);
  volume.img = shareFileBuffer(volume.img, file, volume.hdr.vox_offset, summary.gzipped);
  // The header's parser leaves methods on it as own properties, which cannot be posted; the
  // page's NVImage reads only fields (as NVImage.clone(), a shallow copy, already assumes).
  const fields = dataOnly(volume as unknown as Record<string, unknown>);
  fields.hdr = dataOnly(volume.hdr as unknown as Record<string, unknown>);
  const transfer: Transferable[] = [file];
  if (volume.img.buffer !== file) transfer.push(volume.img.buffer as ArrayBuffer);
  return { reply: { id: req.id, fields, datatype: summary.datatype, bytes, ms: performance.now() - t0 }, transfer };
}

scope.onmessage = (e: MessageEvent<VolumeRequest>) => {
  const req = e.data;
  load(req)
    .then(({ reply, transfer }) => scope.postMessage(reply satisfies VolumeReply, transfer))
    .catch((err: unknown) => scope.postMessage({ id: req.id, error: message(err) } satisfies VolumeReply));
};
