/**
 * Test support for the real DICOM fixtures in ../shared/data (third-party data: read in place,
 * never copied into this repository) and for building broken or re-encoded variants of them in a
 * temp folder: header edits through dcmjs, and RLE / lossless-JPEG encodings of the uncompressed
 * 3-slice series written here (small encoders; the formats are simple enough to write, and no
 * encoder ships with the project). Node only; not part of the public API.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import type { DicomFileInput } from '../../core/dicom/types.ts';
import { SHARED_DATA } from '../sharedData.ts';

export { SHARED_DATA };
/** 20-slice CT, JPEG 2000 lossless, 512×512, 0.9765625 mm, 2 mm slices. */
export const CT_J2K_DIR = join(SHARED_DATA, 'totalsegmentator-dicom', 'example_ct_dicom');
/** TotalSegmentator's labels of that series, as NIfTI on dcm2niix's grid. */
export const CT_J2K_SEG = join(SHARED_DATA, 'totalsegmentator-dicom', 'example_seg_dicom.nii.gz');
/** 3 uncompressed (implicit VR LE) CT slices plus liver.dcm, a DICOM SEG. */
export const CT3_DIR = join(SHARED_DATA, 'dcmqi-ct-3slice');
export const CT3_SLICES = ['ct-3slice_01.dcm', 'ct-3slice_02.dcm', 'ct-3slice_03.dcm'];

/** True when the DICOM fixtures are present; otherwise one visible SKIPPED line naming the folder. */
export function dicomFixturesPresent(what: string): boolean {
  const need = [CT_J2K_DIR, CT_J2K_SEG, ...CT3_SLICES.map((f) => join(CT3_DIR, f))];
  const missing = need.find((p) => !existsSync(p));
  if (!missing) return true;
  console.warn(`SKIPPED ${what}: DICOM fixtures not found at ${missing} (../shared/data beside the checkout; FTW_SHARED overrides)`);
  return false;
}

/** Every file of a fixture folder as converter input, names relative to the folder. */
export function readFolder(dir: string, only?: (name: string) => boolean): DicomFileInput[] {
  return readdirSync(dir)
    .filter((n) => !only || only(n))
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(dir, name))) }));
}

export function ct3Files(): DicomFileInput[] {
  return CT3_SLICES.map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(CT3_DIR, name))) }));
}

type Dict = Record<string, { vr?: string; Value?: unknown[] }>;

function parse(bytes: Uint8Array): { meta: Dict; dict: Dict } {
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return dcmjs.data.DicomMessage.readFile(buf) as unknown as { meta: Dict; dict: Dict };
}

function write(meta: Dict, dict: Dict): Uint8Array {
  const out = new dcmjs.data.DicomDict(meta as Record<string, unknown>);
  out.dict = dict as Record<string, unknown>;
  return new Uint8Array(out.write());
}

/**
 * Change header elements of a file (tag hex → values; null deletes), keeping its transfer syntax
 * and pixel data. Works on raw tags so private elements and VRs survive untouched.
 */
export function editDicom(bytes: Uint8Array, edits: Record<string, unknown[] | null>, vrs: Record<string, string> = {}): Uint8Array {
  const { meta, dict } = parse(bytes);
  for (const [tag, value] of Object.entries(edits)) {
    // Group 0002 lives in the file meta information.
    const target = tag.startsWith('0002') ? meta : dict;
    if (value === null) delete target[tag];
    else target[tag] = { vr: vrs[tag] ?? target[tag]?.vr ?? 'LO', Value: value };
  }
  return write(meta, dict);
}

/** The same slice in Explicit VR Little Endian (dcmjs writes it; pixel data stays native). */
export function toExplicitLittleEndian(bytes: Uint8Array): Uint8Array {
  const { meta, dict } = parse(bytes);
  for (const tag of Object.keys(dict)) if (tag.endsWith('0000')) delete dict[tag];
  meta['00020010'] = { vr: 'UI', Value: ['1.2.840.10008.1.2.1'] };
  return write(meta, dict);
}

/** Stored pixel values of an uncompressed 16-bit slice (as the file's PixelRepresentation says). */
export function storedPixels(bytes: Uint8Array): { rows: number; columns: number; values: Int32Array } {
  const { dict } = parse(bytes);
  const rows = Number(dict['00280010'].Value![0]);
  const columns = Number(dict['00280011'].Value![0]);
  const signed = Number(dict['00280103'].Value![0]) === 1;
  const raw = new Uint8Array((dict['7FE00010'].Value as ArrayBuffer[])[0]);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const values = new Int32Array(rows * columns);
  for (let n = 0; n < values.length; n++) values[n] = signed ? dv.getInt16(2 * n, true) : dv.getUint16(2 * n, true);
  return { rows, columns, values };
}

/**
 * Re-encode an uncompressed 16-bit slice with an encapsulated transfer syntax: the dataset is
 * written by dcmjs in explicit VR little endian without PixelData, then the encapsulated PixelData
 * (empty basic offset table, one fragment, sequence delimiter) is appended by hand.
 */
export function encapsulate(bytes: Uint8Array, transferSyntaxUID: string, encode: (pixels: Uint16Array, rows: number, columns: number) => Uint8Array): Uint8Array {
  const { meta, dict } = parse(bytes);
  const rows = Number(dict['00280010'].Value![0]);
  const columns = Number(dict['00280011'].Value![0]);
  const raw = new Uint8Array((dict['7FE00010'].Value as ArrayBuffer[])[0]);
  const pixels = new Uint16Array(rows * columns);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let n = 0; n < pixels.length; n++) pixels[n] = dv.getUint16(2 * n, true);
  delete dict['7FE00010'];
  // Group lengths of the implicit file would be stale in explicit VR; they are optional.
  for (const tag of Object.keys(dict)) if (tag.endsWith('0000')) delete dict[tag];
  meta['00020010'] = { vr: 'UI', Value: [transferSyntaxUID] };
  const head = write(meta, dict);
  let frame = encode(pixels, rows, columns);
  if (frame.length % 2) frame = concat([frame, new Uint8Array(1)]);
  const element = new Uint8Array(12 + 8 + 8 + frame.length + 8);
  const out = new DataView(element.buffer);
  let at = 0;
  const tag = (g: number, e: number) => {
    out.setUint16(at, g, true);
    out.setUint16(at + 2, e, true);
    at += 4;
  };
  tag(0x7fe0, 0x0010);
  element.set([0x4f, 0x42, 0, 0], at); // "OB", reserved
  at += 4;
  out.setUint32(at, 0xffffffff, true);
  at += 4;
  tag(0xfffe, 0xe000);
  out.setUint32(at, 0, true); // empty basic offset table
  at += 4;
  tag(0xfffe, 0xe000);
  out.setUint32(at, frame.length, true);
  at += 4;
  element.set(frame, at);
  at += frame.length;
  tag(0xfffe, 0xe0dd);
  out.setUint32(at, 0, true);
  return concat([head, element]);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * DICOM RLE (PS3.5 Annex G) of one 16-bit frame: two segments (high bytes, then low bytes), each
 * PackBits-coded row by row, behind the 64-byte segment offset header.
 */
export function encodeRle(pixels: Uint16Array, rows: number, columns: number): Uint8Array {
  const segments = [8, 0].map((shift) => {
    const out: number[] = [];
    for (let r = 0; r < rows; r++) {
      const row = Array.from(pixels.subarray(r * columns, (r + 1) * columns), (v) => (v >> shift) & 0xff);
      packBits(row, out);
    }
    if (out.length % 2) out.push(0x80); // a no-op byte keeps segments even
    return Uint8Array.from(out);
  });
  const header = new DataView(new ArrayBuffer(64));
  header.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((s, n) => {
    header.setUint32(4 + 4 * n, offset, true);
    offset += s.length;
  });
  return concat([new Uint8Array(header.buffer), ...segments]);
}

function packBits(row: number[], out: number[]): void {
  let n = 0;
  while (n < row.length) {
    let run = 1;
    while (n + run < row.length && run < 128 && row[n + run] === row[n]) run++;
    if (run >= 2) {
      out.push(257 - run, row[n]);
      n += run;
      continue;
    }
    const start = n;
    while (n < row.length && n - start < 128 && !(n + 1 < row.length && row[n + 1] === row[n])) n++;
    if (n === start) n++; // a lone byte before a run
    out.push(n - start - 1, ...row.slice(start, n));
  }
}

/**
 * Lossless JPEG (process 14, SOF3), predictor 1 (left neighbour; the first column uses the pixel
 * above), 16-bit precision, point transform 0: valid for both …4.57 and …4.70 (selection value 1).
 * One Huffman table with 5-bit codes for the 17 difference categories keeps the encoder tiny.
 */
export function encodeJpegLossless(pixels: Uint16Array, rows: number, columns: number): Uint8Array {
  const bytes: number[] = [];
  const marker = (m: number) => bytes.push(0xff, m);
  const u16 = (v: number) => bytes.push((v >> 8) & 0xff, v & 0xff);
  marker(0xd8); // SOI
  marker(0xc3); // SOF3
  u16(11);
  bytes.push(16);
  u16(rows);
  u16(columns);
  bytes.push(1, 1, 0x11, 0);
  marker(0xc4); // DHT: class 0 (DC/lossless), table 0
  u16(2 + 1 + 16 + 17);
  bytes.push(0x00);
  const counts = new Array(16).fill(0);
  counts[4] = 17; // seventeen codes of length 5
  bytes.push(...counts);
  for (let s = 0; s <= 16; s++) bytes.push(s);
  marker(0xda); // SOS
  u16(8);
  bytes.push(1, 1, 0x00, 1, 0, 0); // component 1 table 0; Ss = predictor 1; Se = 0; Ah/Al = 0
  let acc = 0;
  let nbits = 0;
  const put = (value: number, length: number) => {
    for (let b = length - 1; b >= 0; b--) {
      acc = (acc << 1) | ((value >> b) & 1);
      if (++nbits === 8) {
        bytes.push(acc);
        if (acc === 0xff) bytes.push(0); // byte stuffing
        acc = 0;
        nbits = 0;
      }
    }
  };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const x = pixels[r * columns + c];
      const pred = r === 0 && c === 0 ? 1 << 15 : c === 0 ? pixels[(r - 1) * columns] : pixels[r * columns + c - 1];
      let diff = (x - pred) & 0xffff;
      if (diff >= 0x8000) diff -= 0x10000; // modulo 2^16, as the decoder wraps
      const mag = Math.abs(diff);
      const ssss = diff === -32768 ? 16 : mag === 0 ? 0 : 32 - Math.clz32(mag);
      put(ssss, 5); // code of category s is s itself (canonical order of 17 equal-length codes)
      if (ssss > 0 && ssss < 16) put(diff > 0 ? diff : diff + (1 << ssss) - 1, ssss);
    }
  }
  if (nbits) put(0x7f, 8 - nbits); // pad with ones
  marker(0xd9); // EOI
  return Uint8Array.from(bytes);
}
