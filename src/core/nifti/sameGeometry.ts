import { VolumeError } from '../errors.ts';
import type { Volume } from '../volume.ts';

type Geometry = Pick<Volume, 'dims' | 'affine'>;

/**
 * Refuse an image/label pair that does not share a voxel grid. The tolerance (mm for the origin,
 * and the same number for direction·spacing entries) absorbs float32 header rounding only.
 */
export function checkSameGeometry(a: Geometry, b: Geometry, fileA: string, fileB: string, tolMm = 1e-3): void {
  if (a.dims[0] !== b.dims[0] || a.dims[1] !== b.dims[1] || a.dims[2] !== b.dims[2]) {
    throw new VolumeError(fileB, `dims ${b.dims.join('×')} do not match ${fileA} (${a.dims.join('×')})`);
  }
  for (let n = 0; n < 12; n++) {
    if (!(Math.abs(a.affine[n] - b.affine[n]) <= tolMm)) {
      const row = (m: number[], r: number) => m.slice(r * 4, r * 4 + 4).map((x) => +x.toFixed(4)).join(' ');
      const r = Math.floor(n / 4);
      throw new VolumeError(fileB, `affine does not match ${fileA}: row ${r} is [${row(b.affine, r)}], expected [${row(a.affine, r)}]`);
    }
  }
}
