/**
 * Reading and writing DICOM Part-10 files through dcmjs, for the SEG reader and the writers.
 * dcmjs does the encoding; this module turns its failures into VolumeErrors naming the file and
 * refuses to let a misspelt keyword vanish silently (dcmjs drops unknown names with a warning).
 */
import dcmjs from 'dcmjs';
import { VolumeError } from '../errors.ts';
import type { DicomDataset, DicomFileInput } from './types.ts';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './uid.ts';

const { DicomMessage, DicomMetaDictionary, DicomDict } = dcmjs.data;

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const UNCOMPRESSED_SYNTAXES = new Set([
  '1.2.840.10008.1.2', // implicit VR little endian
  EXPLICIT_VR_LITTLE_ENDIAN,
  '1.2.840.10008.1.2.1.99', // deflated explicit VR little endian (dcmjs inflates it)
  '1.2.840.10008.1.2.2', // explicit VR big endian (retired, still read by dcmjs)
]);

export interface Part10 {
  meta: DicomDataset;
  /** Naturalized dataset (keyword → value); PixelData, when read, is an array of ArrayBuffers. */
  dataset: DicomDataset;
  transferSyntaxUID: string;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Parse a Part-10 file; `headersOnly` stops before PixelData. Throws VolumeError naming the file. */
export function readPart10(file: DicomFileInput, opts: { headersOnly?: boolean } = {}): Part10 {
  let parsed: { meta: Record<string, unknown>; dict: Record<string, unknown> };
  const read = (ignoreErrors: boolean) =>
    DicomMessage.readFile(toArrayBuffer(file.bytes), {
      ignoreErrors,
      untilTag: opts.headersOnly ? '7FE00010' : null,
      includeUntilTagValue: false,
      noCopy: false,
    });
  try {
    try {
      parsed = read(false);
    } catch (e) {
      // An unknown character set only garbles text (labels); geometry and pixels are still sound.
      if (!/character set/i.test(String((e as Error)?.message))) throw e;
      parsed = read(true);
    }
  } catch (e) {
    throw new VolumeError(file.name, `not a readable DICOM file (${(e as Error).message})`);
  }
  const meta = DicomMetaDictionary.naturalizeDataset(parsed.meta) as DicomDataset;
  const dataset = DicomMetaDictionary.naturalizeDataset(parsed.dict) as DicomDataset;
  return { meta, dataset, transferSyntaxUID: String(meta.TransferSyntaxUID ?? '') };
}

/** Whether dcmjs hands over this transfer syntax's pixel data as plain (not encapsulated) bytes. */
export function isUncompressedSyntax(uid: string): boolean {
  return UNCOMPRESSED_SYNTAXES.has(uid);
}

/** The items of a naturalized sequence: dcmjs gives an array, or (rarely) the lone item itself. */
export function items(value: unknown): DicomDataset[] {
  if (Array.isArray(value)) return value.filter((v) => v && typeof v === 'object') as DicomDataset[];
  if (value && typeof value === 'object' && !(value instanceof ArrayBuffer)) return [value as DicomDataset];
  return [];
}

/** The first item of a sequence, or undefined. */
export function firstItem(value: unknown): DicomDataset | undefined {
  return items(value)[0];
}

/** PixelData as one byte array (dcmjs gives an array of ArrayBuffers, one per fragment/frame). */
export function pixelDataBytes(value: unknown): Uint8Array {
  const parts: Uint8Array[] = [];
  const add = (v: unknown): void => {
    if (v instanceof ArrayBuffer) parts.push(new Uint8Array(v));
    else if (ArrayBuffer.isView(v)) parts.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    else if (Array.isArray(v)) v.forEach(add);
  };
  add(value);
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Numbers from a naturalized multi-valued attribute (DS/IS/FD arrive as numbers or strings). */
export function numbers(value: unknown): number[] {
  const arr = Array.isArray(value) ? value : value === undefined || value === null || value === '' ? [] : [value];
  return arr.map((v) => (typeof v === 'number' ? v : Number(String(v).trim())));
}

export function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(text).join('\\');
  if (typeof value === 'object') {
    const pn = value as { Alphabetic?: string };
    return pn.Alphabetic ?? '';
  }
  return String(value).trim();
}

/** A number as a DS string value that fits the 16-character limit (dcmjs would truncate it). */
export function decimalString(x: number): number {
  if (!Number.isFinite(x)) throw new Error(`decimalString: ${x} is not finite`);
  for (let p = 15; p >= 1; p--) {
    const v = Number(x.toPrecision(p));
    if (String(v).length <= 16) return v;
  }
  return 0;
}

function checkKeywords(ds: DicomDataset, where: string): void {
  for (const [k, v] of Object.entries(ds)) {
    if (k === '_vrMap' || k === '_meta') continue;
    if (!DicomMetaDictionary.nameMap[k]) throw new Error(`DICOM writer: unknown keyword ${k} in ${where}`);
    if (Array.isArray(v) && DicomMetaDictionary.nameMap[k].vr === 'SQ') {
      v.forEach((item, n) => checkKeywords(item as DicomDataset, `${where}.${k}[${n}]`));
    }
  }
}

/**
 * Encode a naturalized dataset as a Part-10 file in explicit VR little endian. SOPClassUID and
 * SOPInstanceUID fill the file meta header. Every keyword must be in the DICOM dictionary.
 */
export function writePart10(dataset: DicomDataset): Uint8Array<ArrayBuffer> {
  checkKeywords(dataset, 'dataset');
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}
