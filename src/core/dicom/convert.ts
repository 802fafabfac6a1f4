/**
 * convertSeries: one scanned series → a float32 HU volume, through dcm2niix (WASM, injected by the
 * caller), then checked against the DICOM headers: dims = columns × rows × slices, the affine = the
 * one the slice positions give (seriesAffine), the NIfTI scaling = RescaleSlope/Intercept.
 *
 * Only the series' own files go into the converter, so a folder of several series never reaches
 * it, and whatever dcm2niix splits off (echoes, tilt-corrected or equalised copies) is an error,
 * not a silent pick. Its NIfTI is read and re-written by our writer: its header text (descrip holds
 * the acquisition time) and sidecar never leave this function.
 */
import { VolumeError } from '../errors.ts';
import { DATATYPE_CODES, readNifti, writeNifti, type NiftiDatatype } from '../nifti/index.ts';
import { encodeHeader, parseHeader } from '../nifti/header.ts';
import { voxelToWorld, type ImageVolume, type Vec3 } from '../volume.ts';
import { fileList } from './scan.ts';
import { seriesAffine } from './seriesGeometry.ts';
import type { Dcm2niixFactory, Dcm2niixModule, DicomFileInput, DicomProgress, DicomSeries } from './types.ts';

export interface ConvertOptions {
  onProgress?: (p: DicomProgress) => void;
  /** Refuse volumes larger than this (passed to the NIfTI reader). */
  maxVoxels?: number;
}

export interface ConvertResult {
  image: ImageVolume;
  /** .nii.gz bytes written by our own writer from `image` (int16 when lossless, else float32). */
  nifti: Uint8Array;
  /** What dcm2niix printed (file names in it are our own /in/NNNNN.dcm, not the user's). */
  log: string[];
}

/** dcm2niix's name suffixes when it writes more than one volume, and what each means. */
const SPLIT_SUFFIXES: [RegExp, string][] = [
  [/_e\d+/, 'one volume per echo'],
  [/_Tilt/, 'a gantry-tilt-corrected copy'],
  [/_Eq/, 'a copy resampled to equal slice spacing'],
  [/_ph/, 'a phase image'],
  [/_(real|imaginary)/, 'real/imaginary parts'],
  [/_c\d+/, 'one volume per coil'],
  [/_i\d+/, 'volumes split by instance'],
  [/_ROI/, 'region-of-interest volumes'],
];

/** How the series is named in errors: number, description and UID, never patient data. */
export function seriesLabel(s: DicomSeries): string {
  const parts = ['DICOM series'];
  if (s.seriesNumber !== null) parts.push(`#${s.seriesNumber}`);
  if (s.description) parts.push(`"${s.description}"`);
  parts.push(`(${s.seriesInstanceUID || 'no SeriesInstanceUID'})`);
  return parts.join(' ');
}

export async function convertSeries(series: DicomSeries, files: DicomFileInput[], factory: Dcm2niixFactory, opts: ConvertOptions = {}): Promise<ConvertResult> {
  const label = seriesLabel(series);
  const fail = (problem: string): never => {
    throw new VolumeError(label, problem);
  };
  if (series.problems.length) fail(`cannot convert: ${series.problems.join('; ')}`);
  if (series.slices.length === 0) fail('cannot convert: the series has no image slices');
  const byName = new Map(files.map((f) => [f.name, f.bytes]));
  const missing = series.slices.filter((s) => !byName.has(s.file)).map((s) => s.file);
  if (missing.length) fail(`the scanned file(s) ${fileList(missing)} are not among the files given to convert`);

  const log: string[] = [];
  const total = 100;
  let lastDone = -1;
  const progress = (done: number) => {
    if (done === lastDone) return;
    lastDone = done;
    opts.onProgress?.({ stage: 'converting', done, total });
  };
  const onLine = (line: string) => {
    const m = /^Progress:\s*([\d.]+)/.exec(line);
    if (m) progress(Math.min(total, Math.round(Number(m[1]) * total)));
    else log.push(line);
  };
  progress(0);
  let mod: Dcm2niixModule;
  try {
    mod = await factory({ print: onLine, printErr: onLine });
  } catch (e) {
    return fail(`the DICOM converter (dcm2niix WASM) failed to start: ${(e as Error)?.message ?? String(e)}`);
  }
  mod.FS.mkdir('/in');
  mod.FS.mkdir('/out');
  // Our own names inside the converter: user file names may hold anything, and are kept out of its log.
  series.slices.forEach((s, n) => mod.FS.writeFile(`/in/${String(n).padStart(5, '0')}.dcm`, byName.get(s.file)!));
  const tail = () => (log.length ? ` — dcm2niix said: ${log.filter((l) => /error|warning|unable|unsupported/i.test(l)).slice(-4).join(' | ') || log.slice(-3).join(' | ')}` : '');
  let rc: number;
  try {
    // -b n: no JSON sidecar (-ba y anonymises it should one be asked for); -l n: uint16 → int16
    // when lossless; -x n: no cropping; -i n: keep derived images (the scan chose the files).
    rc = mod.callMain(['-o', '/out', '-f', 'series', '-z', 'n', '-b', 'n', '-ba', 'y', '-l', 'n', '-x', 'n', '-i', 'n', '--progress', 'y', '/in']);
  } catch (e) {
    return fail(`dcm2niix crashed: ${(e as Error)?.message ?? String(e)}${tail()}`);
  }
  if (rc !== 0) fail(`dcm2niix failed (exit code ${rc})${tail()}`);
  const outputs = mod.FS.readdir('/out').filter((f) => /\.nii$/.test(f)).sort();
  if (outputs.length === 0) fail(`dcm2niix wrote no volume${tail()}`);
  if (outputs.length > 1) {
    const why = [...new Set(outputs.flatMap((o) => SPLIT_SUFFIXES.filter(([re]) => re.test(o)).map(([, w]) => w)))];
    fail(`dcm2niix split the series into ${outputs.length} volumes (${outputs.join(', ')}${why.length ? `: ${why.join(', ')}` : ''}); one series must give one 3-D volume`);
  }
  progress(total);

  opts.onProgress?.({ stage: 'checking', done: 0, total: 1 });
  const raw = mod.FS.readFile(`/out/${outputs[0]}`);
  let volume: ImageVolume;
  let datatypeCode: number;
  let scl: [number, number];
  try {
    const img = await readNifti(widenUint16(raw, label), label, { maxVoxels: opts.maxVoxels });
    volume = img.volume;
    datatypeCode = img.header.datatypeCode;
    scl = [img.header.sclSlope, img.header.sclInter];
  } catch (e) {
    if (e instanceof VolumeError) return fail(`dcm2niix's output is not a single 3-D volume: ${e.problem}`);
    throw e;
  }
  checkAgainstSeries(series, volume, datatypeCode, scl, fail);
  opts.onProgress?.({ stage: 'checking', done: 1, total: 1 });

  const datatype: NiftiDatatype = fitsInt16(volume.data) ? 'int16' : 'float32';
  const nifti = await writeNifti(volume, { gzip: true, datatype, fileName: label });
  return { image: volume, nifti, log };
}

/**
 * dcm2niix keeps unsigned 16-bit data as NIfTI uint16 when values pass 32767; our reader does not
 * read uint16, so such a file is widened to int32 (same values, same scaling) before reading.
 */
function widenUint16(bytes: Uint8Array, label: string): Uint8Array {
  const UINT16 = 512;
  const h = parseHeader(bytes, label);
  if (h.datatypeCode !== UINT16) return bytes;
  const n = h.dim.slice(1, h.dim[0] + 1).reduce((a, b) => a * b, 1);
  const src = new DataView(bytes.buffer, bytes.byteOffset + h.voxOffset, Math.min(n * 2, bytes.length - h.voxOffset));
  if (src.byteLength < n * 2) return bytes; // let the reader report the truncation
  const head = encodeHeader({ ...h, datatypeCode: DATATYPE_CODES.int32, bitpix: 32 });
  const out = new Uint8Array(head.length + n * 4);
  out.set(head);
  const dst = new DataView(out.buffer, head.length);
  for (let v = 0; v < n; v++) dst.setInt32(v * 4, src.getUint16(v * 2, h.littleEndian), h.littleEndian);
  return out;
}

function checkAgainstSeries(series: DicomSeries, volume: ImageVolume, datatypeCode: number, scl: [number, number], fail: (p: string) => never): void {
  const want: Vec3 = [series.columns, series.rows, series.slices.length];
  if (volume.dims.some((d, a) => d !== want[a])) {
    fail(`dcm2niix wrote ${volume.dims.join('×')} voxels but the series has ${want.join('×')} (columns × rows × slices)`);
  }
  // Half the smallest voxel at the far corner: any flip or reordering of an axis moves a corner by
  // at least one voxel, while float32 rounding of the header stays far below this.
  const expected = seriesAffine(series);
  const tol = 0.5 * Math.min(series.pixelSpacing[0], series.pixelSpacing[1], series.sliceSpacing || Infinity);
  let worst = 0;
  for (const c of [0, 1, 2, 3, 4, 5, 6, 7]) {
    const v: Vec3 = [c & 1 ? want[0] - 1 : 0, c & 2 ? want[1] - 1 : 0, c & 4 ? want[2] - 1 : 0];
    const a = voxelToWorld(volume.affine, v);
    const b = voxelToWorld(expected, v);
    worst = Math.max(worst, Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]));
  }
  if (!(worst <= tol)) {
    fail(`dcm2niix placed the volume up to ${worst.toFixed(3)} mm away from where the slice positions put it (tolerance ${tol.toFixed(3)} mm); refusing a volume whose voxels would not overlay the DICOM`);
  }
  // Integer output carries the rescale as scl_slope/scl_inter (our reader applies it); a float
  // output would already hold rescaled values.
  const isFloat = datatypeCode === DATATYPE_CODES.float32 || datatypeCode === DATATYPE_CODES.float64;
  const ds = series.slices[0].dataset;
  const slope = Number(ds.RescaleSlope ?? 1) || 1;
  const intercept = Number(ds.RescaleIntercept ?? 0) || 0;
  const [s, i] = scl[0] === 0 || !Number.isFinite(scl[0]) ? [1, 0] : scl;
  const near = (x: number, y: number) => Math.abs(x - y) <= 1e-4 * Math.max(1, Math.abs(y));
  if (!isFloat && !(near(s, slope) && near(i, intercept))) {
    fail(`dcm2niix scaled the data by ${s}/${i} but the DICOM rescale slope/intercept are ${slope}/${intercept}; the HU values would be wrong`);
  }
}

function fitsInt16(data: Float32Array): boolean {
  for (let n = 0; n < data.length; n++) {
    const v = data[n];
    if (!Number.isInteger(v) || v < -32768 || v > 32767) return false;
  }
  return true;
}
