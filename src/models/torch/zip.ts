/**
 * Minimal zip reader for torch.save archives. torch writes every entry STORED (its miniz writer
 * never compresses, so tensors can be read in place), so compressed entries are refused by name
 * rather than inflated: DecompressionStream is asynchronous and would force the whole reader to be.
 * Zip64 records (archives or entries past 4 GiB) are read.
 */
import { TorchReadError } from './errors.ts';

export interface ZipEntry {
  name: string;
  /** Where the entry's bytes start in the archive. */
  dataOffset: number;
  size: number;
  crc32: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

function u64(view: DataView, at: number, file: string, what: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TorchReadError(file, `zip ${what} ${v} is beyond what this reader can address`);
  return Number(v);
}

function findEndRecord(bytes: Uint8Array, view: DataView): number {
  const lowest = Math.max(0, bytes.length - EOCD_SIZE - MAX_COMMENT);
  for (let at = bytes.length - EOCD_SIZE; at >= lowest; at--) {
    if (view.getUint32(at, true) === SIG_EOCD) return at;
  }
  return -1;
}

/** The archive's entries by name; throws naming the file for anything that is not a readable zip. */
export function readZipDirectory(bytes: Uint8Array, file: string): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const startsLikeZip = bytes.length >= 4 && view.getUint32(0, true) === SIG_LOCAL;
  const eocd = bytes.length >= EOCD_SIZE ? findEndRecord(bytes, view) : -1;
  if (eocd < 0) {
    throw new TorchReadError(
      file,
      startsLikeZip
        ? `the zip archive is truncated (its end-of-central-directory record is missing; ${bytes.length} bytes read)`
        : 'not a torch.save file (neither a zip archive nor a legacy torch pickle)',
    );
  }
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== SIG_EOCD64_LOCATOR) {
      throw new TorchReadError(file, 'the zip needs zip64 records but its zip64 locator is missing');
    }
    const rec = u64(view, locator + 8, file, 'zip64 record offset');
    if (rec + 56 > bytes.length || view.getUint32(rec, true) !== SIG_EOCD64) {
      throw new TorchReadError(file, 'the zip64 end record is missing or truncated');
    }
    count = u64(view, rec + 32, file, 'entry count');
    cdSize = u64(view, rec + 40, file, 'central directory size');
    cdOffset = u64(view, rec + 48, file, 'central directory offset');
  }
  if (cdOffset + cdSize > bytes.length) {
    throw new TorchReadError(file, `the zip is truncated (central directory ends at byte ${cdOffset + cdSize}, file has ${bytes.length})`);
  }
  const names = new TextDecoder('utf-8');
  const entries = new Map<string, ZipEntry>();
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cdOffset + cdSize || view.getUint32(at, true) !== SIG_CENTRAL) {
      throw new TorchReadError(file, `zip central directory entry ${i} is damaged`);
    }
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc32 = view.getUint32(at + 16, true);
    let compressed = view.getUint32(at + 20, true);
    let size = view.getUint32(at + 24, true);
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    let local = view.getUint32(at + 42, true);
    const name = names.decode(bytes.subarray(at + 46, at + 46 + nameLen));
    // Zip64 extra field: 64-bit values only for the fields whose 32-bit slot is saturated, in this order.
    for (let e = at + 46 + nameLen, end = e + extraLen; e + 4 <= end; ) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === 0x0001) {
        let p = e + 4;
        if (size === 0xffffffff) (size = u64(view, p, file, 'entry size')), (p += 8);
        if (compressed === 0xffffffff) (compressed = u64(view, p, file, 'entry size')), (p += 8);
        if (local === 0xffffffff) local = u64(view, p, file, 'entry offset');
      }
      e += 4 + len;
    }
    at += 46 + nameLen + extraLen + commentLen;
    if (flags & 1) throw new TorchReadError(file, `zip entry "${name}" is encrypted`);
    if (method !== 0) {
      throw new TorchReadError(file, `zip entry "${name}" is compressed (method ${method === 8 ? 'deflate' : method}); torch.save writes stored entries, re-save the checkpoint with torch.save`);
    }
    if (compressed !== size) throw new TorchReadError(file, `zip entry "${name}" is stored but its sizes disagree (${compressed} vs ${size})`);
    if (local + 30 > bytes.length || view.getUint32(local, true) !== SIG_LOCAL) {
      throw new TorchReadError(file, `zip entry "${name}": local header missing at byte ${local}`);
    }
    const dataOffset = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (dataOffset + size > bytes.length) {
      throw new TorchReadError(file, `the zip is truncated (entry "${name}" ends at byte ${dataOffset + size}, file has ${bytes.length})`);
    }
    entries.set(name, { name, dataOffset, size, crc32 });
  }
  return entries;
}

let crcTable: Uint32Array | undefined;

export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function entryBytes(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  return bytes.subarray(entry.dataOffset, entry.dataOffset + entry.size);
}
