import { inflateSync } from 'node:zlib';

/** Decoded 8-bit RGBA pixels. */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * A small PNG decoder for Playwright screenshots (8-bit, non-interlaced, RGB or RGBA): enough to
 * measure what the WebGL canvas shows without a package or preserveDrawingBuffer.
 */
export function decodePng(png: Buffer): Rgba {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let off = 8;
  let width = 0, height = 0, colorType = 0, bitDepth = 0, interlace = 0;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('ascii', off + 4, off + 8);
    const body = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      bitDepth = body[8];
      colorType = body[9];
      interlace = body[12];
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  if (bitDepth !== 8 || interlace !== 0 || (colorType !== 2 && colorType !== 6)) {
    throw new Error(`unsupported PNG: depth ${bitDepth}, colour type ${colorType}, interlace ${interlace}`);
  }
  const bpp = colorType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : null;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? row[x - bpp] : 0;
      const b = prev ? prev[x] : 0;
      const c = prev && x >= bpp ? prev[x - bpp] : 0;
      let v = src[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      row[x] = v & 0xff;
    }
  }
  const data = new Uint8Array(width * height * 4);
  for (let n = 0; n < width * height; n++) {
    data[n * 4] = pixels[n * bpp];
    data[n * 4 + 1] = pixels[n * bpp + 1];
    data[n * 4 + 2] = pixels[n * bpp + 2];
    data[n * 4 + 3] = bpp === 4 ? pixels[n * bpp + 3] : 255;
  }
  return { width, height, data };
}

export interface PixelStats {
  mean: number;
  std: number;
  /** Distinct colours after quantising each channel to 5 bits. */
  colours: number;
}

export function pixelStats(img: Rgba): PixelStats {
  const n = img.width * img.height;
  let sum = 0, sum2 = 0;
  const seen = new Set<number>();
  for (let p = 0; p < n; p++) {
    const r = img.data[p * 4], g = img.data[p * 4 + 1], b = img.data[p * 4 + 2];
    const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    sum += l;
    sum2 += l * l;
    seen.add(((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3));
  }
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(0, sum2 / n - mean * mean)), colours: seen.size };
}

/** Mean absolute per-channel difference of two same-size images, 0–255. */
export function meanAbsDiff(a: Rgba, b: Rgba): number {
  if (a.width !== b.width || a.height !== b.height) throw new Error('size mismatch');
  let d = 0;
  for (let n = 0; n < a.data.length; n += 4) {
    d += Math.abs(a.data[n] - b.data[n]) + Math.abs(a.data[n + 1] - b.data[n + 1]) + Math.abs(a.data[n + 2] - b.data[n + 2]);
  }
  return d / ((a.data.length / 4) * 3);
}

/** Pixels close to an RGB colour tint (label overlays are blended, so match on hue dominance). */
export function countWhere(img: Rgba, pred: (r: number, g: number, b: number) => boolean): number {
  let c = 0;
  for (let n = 0; n < img.data.length; n += 4) if (pred(img.data[n], img.data[n + 1], img.data[n + 2])) c++;
  return c;
}
