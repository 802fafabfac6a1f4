/**
 * Test support: hand-built archives and pickles, so refusals and corner cases are exercised on
 * bytes the tests control rather than on fixtures alone. Not part of the public API.
 */
import { crc32 } from './zip.ts';

export interface ZipOptions {
  /** Compression method written in the headers (the data stays as given). */
  method?: number;
  /** Write zip64 records (saturated 32-bit fields + zip64 extras), as archives past 4 GiB need. */
  zip64?: boolean;
  /** Bytes put before the first entry, to move every entry off its natural alignment. */
  lead?: number;
}

export function storedZip(entries: Array<[string, Uint8Array]>, opts: ZipOptions = {}): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [new Uint8Array(opts.lead ?? 0)];
  let offset = opts.lead ?? 0;
  const central: Uint8Array[] = [];
  for (const [name, data] of entries) {
    const nameBytes = enc.encode(name);
    const local = new Uint8Array(30 + nameBytes.length);
    const lv = new DataView(local.buffer);
    const crc = crc32(data);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(8, opts.method ?? 0, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, nameBytes.length, true);
    local.set(nameBytes, 30);
    const extra = opts.zip64 ? 28 : 0;
    const cd = new Uint8Array(46 + nameBytes.length + extra);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(10, opts.method ?? 0, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, opts.zip64 ? 0xffffffff : data.length, true);
    cv.setUint32(24, opts.zip64 ? 0xffffffff : data.length, true);
    cv.setUint16(28, nameBytes.length, true);
    cv.setUint16(30, extra, true);
    cv.setUint32(42, opts.zip64 ? 0xffffffff : offset, true);
    cd.set(nameBytes, 46);
    if (opts.zip64) {
      const e = 46 + nameBytes.length;
      cv.setUint16(e, 0x0001, true);
      cv.setUint16(e + 2, 24, true);
      cv.setBigUint64(e + 4, BigInt(data.length), true);
      cv.setBigUint64(e + 12, BigInt(data.length), true);
      cv.setBigUint64(e + 20, BigInt(offset), true);
    }
    central.push(cd);
    parts.push(local, data);
    offset += local.length + data.length;
  }
  const cdOffset = offset;
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  parts.push(...central);
  if (opts.zip64) {
    const rec = new Uint8Array(56 + 20);
    const rv = new DataView(rec.buffer);
    rv.setUint32(0, 0x06064b50, true);
    rv.setBigUint64(4, 44n, true);
    rv.setBigUint64(24, BigInt(entries.length), true);
    rv.setBigUint64(32, BigInt(entries.length), true);
    rv.setBigUint64(40, BigInt(cdSize), true);
    rv.setBigUint64(48, BigInt(cdOffset), true);
    rv.setUint32(56, 0x07064b50, true);
    rv.setBigUint64(64, BigInt(cdOffset + cdSize), true);
    rv.setUint32(72, 1, true);
    parts.push(rec);
  }
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, opts.zip64 ? 0xffff : entries.length, true);
  ev.setUint16(10, opts.zip64 ? 0xffff : entries.length, true);
  ev.setUint32(12, opts.zip64 ? 0xffffffff : cdSize, true);
  ev.setUint32(16, opts.zip64 ? 0xffffffff : cdOffset, true);
  parts.push(end);
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

/** Emits pickle opcodes (protocol 2) one call at a time. */
export class PickleWriter {
  private readonly out: number[] = [0x80, 2];
  private op(...b: number[]): this {
    this.out.push(...b);
    return this;
  }
  private u32(n: number): number[] {
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  }
  global(module: string, name: string): this {
    return this.op(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.op(0x58, ...this.u32(b.length), ...b);
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    return this.op(0x4a, ...this.u32(n));
  }
  mark = (): this => this.op(0x28);
  tuple = (): this => this.op(0x74);
  emptyTuple = (): this => this.op(0x29);
  emptyDict = (): this => this.op(0x7d);
  setItems = (): this => this.op(0x75);
  reduce = (): this => this.op(0x52);
  build = (): this => this.op(0x62);
  persId = (): this => this.op(0x51);
  none = (): this => this.op(0x4e);
  bool = (b: boolean): this => this.op(b ? 0x88 : 0x89);
  raw = (...b: number[]): this => this.op(...b);
  bytes(): Uint8Array {
    return Uint8Array.from([...this.out, 0x2e]);
  }
  /** _rebuild_tensor_v2(storage(key, numel), offset, size, stride, False, OrderedDict()). */
  tensor(storageClass: string, key: string, numel: number, offset: number, size: number[], stride: number[]): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', storageClass).str(key).str('cpu').int(numel).tuple().persId();
    this.int(offset).mark();
    for (const s of size) this.int(s);
    this.tuple().mark();
    for (const s of stride) this.int(s);
    this.tuple().bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
    return this;
  }
}

/** A torch.save-shaped archive: `<stem>/data.pkl`, `<stem>/version`, `<stem>/data/<key>`. */
export function torchZip(pickle: Uint8Array, storages: Record<string, Uint8Array>, opts: ZipOptions & { stem?: string; extra?: Array<[string, Uint8Array]> } = {}): Uint8Array {
  const stem = opts.stem ?? 'archive';
  const entries: Array<[string, Uint8Array]> = [
    [`${stem}/data.pkl`, pickle],
    [`${stem}/version`, new TextEncoder().encode('3\n')],
    ...Object.entries(storages).map(([k, v]): [string, Uint8Array] => [`${stem}/data/${k}`, v]),
    ...(opts.extra ?? []),
  ];
  return storedZip(entries, opts);
}

export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
