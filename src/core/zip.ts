/**
 * A store-only ZIP archive (no compression) for browser downloads of several files at once (a
 * derived DICOM series, SEG + series). DICOM pixel data barely deflates, and storing keeps this
 * small and synchronous.
 *
 * Reproducible: every entry carries the same fixed DOS date (1980-01-01 00:00), so the same files
 * give the same bytes. Names are UTF-8 (general-purpose flag bit 11). Classic ZIP only: each file
 * and the archive must stay under 4 GiB and 65535 entries (refused beyond; no ZIP64).
 */

export interface ZipEntry {
  /** Path inside the archive, '/'-separated, relative. */
  name: string;
  bytes: Uint8Array;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as ZIP uses). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** DOS time 00:00:00 and date 1980-01-01 ((1980−1980) << 9 | 1 << 5 | 1). */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const UTF8_FLAG = 1 << 11;
const VERSION = 20; // 2.0: what a stored file with directories needs
// "Made by" Unix: Info-ZIP treats MS-DOS-made names as code page 437 even with the UTF-8 flag set.
const MADE_BY = (3 << 8) | VERSION;
const REGULAR_FILE_0644 = (0o100644 << 16) >>> 0;
const MAX_U32 = 0xffffffff;

function checkName(name: string): void {
  if (name === '' || name.startsWith('/') || name.includes('\\') || name.split('/').some((p) => p === '..' || p === '')) {
    throw new Error(`zip: invalid entry name '${name}' (relative '/'-separated path expected)`);
  }
}

export function zipStore(files: ZipEntry[]): Uint8Array<ArrayBuffer> {
  if (files.length > 0xffff) throw new Error(`zip: ${files.length} entries; store-only zip allows 65535`);
  const enc = new TextEncoder();
  const seen = new Set<string>();
  const entries = files.map((f) => {
    checkName(f.name);
    if (seen.has(f.name)) throw new Error(`zip: duplicate entry name '${f.name}'`);
    seen.add(f.name);
    if (f.bytes.length >= MAX_U32) throw new Error(`zip: '${f.name}' is 4 GiB or larger`);
    return { name: enc.encode(f.name), bytes: f.bytes, crc: crc32(f.bytes), offset: 0 };
  });
  const localSize = entries.reduce((n, e) => n + 30 + e.name.length + e.bytes.length, 0);
  const centralSize = entries.reduce((n, e) => n + 46 + e.name.length, 0);
  const total = localSize + centralSize + 22;
  if (localSize >= MAX_U32 || total >= MAX_U32) throw new Error('zip: archive would reach 4 GiB; ZIP64 is not supported');
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  let at = 0;
  const u16 = (x: number): void => {
    v.setUint16(at, x, true);
    at += 2;
  };
  const u32 = (x: number): void => {
    v.setUint32(at, x >>> 0, true);
    at += 4;
  };
  for (const e of entries) {
    e.offset = at;
    u32(0x04034b50);
    u16(VERSION);
    u16(UTF8_FLAG);
    u16(0); // method: stored
    u16(DOS_TIME);
    u16(DOS_DATE);
    u32(e.crc);
    u32(e.bytes.length);
    u32(e.bytes.length);
    u16(e.name.length);
    u16(0);
    out.set(e.name, at);
    at += e.name.length;
    out.set(e.bytes, at);
    at += e.bytes.length;
  }
  const centralStart = at;
  for (const e of entries) {
    u32(0x02014b50);
    u16(MADE_BY);
    u16(VERSION);
    u16(UTF8_FLAG);
    u16(0);
    u16(DOS_TIME);
    u16(DOS_DATE);
    u32(e.crc);
    u32(e.bytes.length);
    u32(e.bytes.length);
    u16(e.name.length);
    u16(0); // extra
    u16(0); // comment
    u16(0); // disk
    u16(0); // internal attributes
    u32(REGULAR_FILE_0644); // external attributes: Unix mode rw-r--r--
    u32(e.offset);
    out.set(e.name, at);
    at += e.name.length;
  }
  const centralLength = at - centralStart;
  u32(0x06054b50);
  u16(0);
  u16(0);
  u16(entries.length);
  u16(entries.length);
  u32(centralLength);
  u32(centralStart);
  u16(0);
  return out;
}
