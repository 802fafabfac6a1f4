/**
 * scanDicom: what a set of dropped files holds, from their headers only (dcmjs stops reading at
 * PixelData), so hundreds of slices scan in well under a second and nothing is decoded twice.
 *
 * Every file ends somewhere and nothing throws: not-DICOM, localisers and non-image objects go to
 * `skipped` with a reason; SEG objects to `segs`; image slices are grouped by SeriesInstanceUID
 * and each series carries the `problems` that stop its conversion, each naming the file(s). Two
 * series in one drop are not a problem: they are a list to choose from.
 */
import dcmjs from 'dcmjs';
import type { Vec3 } from '../volume.ts';
import { dot, sliceNormal } from './seriesGeometry.ts';
import { transferSyntaxBitLimit, transferSyntaxName, transferSyntaxSupported } from './transferSyntax.ts';
import type { DicomDataset, DicomFileInput, DicomProgress, DicomScan, DicomSegObject, DicomSeries, DicomSliceHeader, DicomSkipped } from './types.ts';

const SEG_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.66.4';

/** SOP classes that are never image slices, by prefix: why a file was left out, in words. */
const NON_IMAGE_SOP_CLASSES: [string, string][] = [
  ['1.2.840.10008.1.3.10', 'a DICOMDIR (media index)'],
  ['1.2.840.10008.5.1.4.1.1.88.', 'a structured report'],
  ['1.2.840.10008.5.1.4.1.1.11.', 'a presentation state'],
  ['1.2.840.10008.5.1.4.1.1.481.', 'a radiotherapy object'],
  ['1.2.840.10008.5.1.4.1.1.104.', 'an encapsulated document'],
  ['1.2.840.10008.5.1.4.1.1.66.5', 'a surface segmentation'],
  ['1.2.840.10008.5.1.4.1.1.66.', 'a registration or fiducials object'],
  ['1.2.840.10008.5.1.4.1.1.66', 'raw data'],
  ['1.2.840.10008.5.1.4.1.1.67', 'a real world value mapping'],
  ['1.2.840.10008.5.1.4.1.1.9.', 'a waveform'],
];

/** Positions closer than this along the normal are the same slice position. */
const SAME_POSITION_MM = 1e-3;
/** A step may differ from the median by this much (mm, or this share of the median if larger). */
const SPACING_TOLERANCE_MM = 0.01;
const SPACING_TOLERANCE_SHARE = 0.01;
/** Slices must stack along their normal; a sideways shift this large (share of the step) is a gantry tilt. */
const SHEAR_TOLERANCE_SHARE = 0.005;
/** Direction cosines and pixel spacings equal to this precision count as the same. */
const ORIENTATION_TOLERANCE = 1e-4;

// dcmjs logs each oddity it tolerates ("Invalid vr type xs - using US") to the console; the scan
// reports what matters itself, per file.
dcmjs.log?.getLogger?.('validation.dcmjs')?.setLevel?.('silent');

interface ParsedImage {
  file: string;
  ds: DicomDataset;
  sopClassUID: string;
  sopInstanceUID: string;
  transferSyntaxUID: string;
  seriesInstanceUID: string;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  return bytes.slice().buffer as ArrayBuffer;
}

function readHeader(bytes: Uint8Array): { meta: DicomDataset; ds: DicomDataset; hasPixelData: boolean } {
  const buffer = toArrayBuffer(bytes);
  const options = { untilTag: '7FE00010', includeUntilTagValue: false, noCopy: true };
  let parsed: { meta: Record<string, unknown>; dict: Record<string, unknown> };
  try {
    parsed = dcmjs.data.DicomMessage.readFile(buffer, options);
  } catch (e) {
    // A character set dcmjs does not know only garbles text fields; the geometry is still sound.
    if (!/character set/i.test(String((e as Error)?.message))) throw e;
    parsed = dcmjs.data.DicomMessage.readFile(buffer, { ...options, ignoreErrors: true });
  }
  const hasPixelData = ['7FE00010', '7FE00008', '7FE00009'].some((t) => t in parsed.dict);
  const naturalize = dcmjs.data.DicomMetaDictionary.naturalizeDataset;
  return { meta: naturalize(parsed.meta), ds: naturalize(parsed.dict), hasPixelData };
}

function str(v: unknown): string {
  if (Array.isArray(v)) return v.length ? str(v[0]) : '';
  if (v === undefined || v === null) return '';
  return String(v).trim();
}

function num(v: unknown): number | null {
  if (Array.isArray(v)) return v.length ? num(v[0]) : null;
  if (v === undefined || v === null || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function nums(v: unknown, count: number): number[] | null {
  const a = Array.isArray(v) ? v : typeof v === 'string' ? v.split('\\') : null;
  if (!a || a.length !== count) return null;
  const out = a.map(Number);
  return out.every(Number.isFinite) ? out : null;
}

/** A naturalized sequence: dcmjs gives an array, a lone item as an object. */
function items(v: unknown): DicomDataset[] {
  if (Array.isArray(v)) return v as DicomDataset[];
  return v && typeof v === 'object' ? [v as DicomDataset] : [];
}

function strings(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => String(x).trim());
  return typeof v === 'string' ? v.split('\\').map((x) => x.trim()) : [];
}

/** "a, b, c and 4 more": problems name files without flooding the screen. */
export function fileList(files: string[], show = 3): string {
  if (files.length <= show) return files.join(', ');
  return `${files.slice(0, show).join(', ')} and ${files.length - show} more`;
}

function nonImageReason(sopClass: string): string | null {
  for (const [prefix, what] of NON_IMAGE_SOP_CLASSES) if (sopClass === prefix || sopClass.startsWith(prefix)) return what;
  return null;
}

function parseSeg(file: string, ds: DicomDataset, seriesUID: string): DicomSegObject {
  const refSeries = items(ds.ReferencedSeriesSequence)[0];
  return {
    file,
    seriesInstanceUID: seriesUID,
    referencedSeriesUID: str(refSeries?.SeriesInstanceUID) || null,
    segments: items(ds.SegmentSequence).map((s, n) => ({
      number: num(s.SegmentNumber) ?? n + 1,
      label: str(s.SegmentLabel),
      type: str(items(s.SegmentedPropertyTypeCodeSequence)[0]?.CodeMeaning) || null,
      category: str(items(s.SegmentedPropertyCategoryCodeSequence)[0]?.CodeMeaning) || null,
    })),
  };
}

/** One file → an image slice to group, a SEG, or a reason to leave it out. */
function classify(input: DicomFileInput): { image: ParsedImage } | { seg: DicomSegObject } | { skip: string } {
  if (input.bytes.length === 0) return { skip: 'empty file' };
  if (input.bytes.length < 132 || String.fromCharCode(...input.bytes.subarray(128, 132)) !== 'DICM') {
    return { skip: 'not a DICOM file (no DICOM Part 10 "DICM" marker at byte 128)' };
  }
  let header: ReturnType<typeof readHeader>;
  try {
    header = readHeader(input.bytes);
  } catch (e) {
    return { skip: `unreadable DICOM header: ${(e as Error)?.message ?? String(e)}` };
  }
  const { meta, ds, hasPixelData } = header;
  const sopClassUID = str(ds.SOPClassUID) || str(meta.MediaStorageSOPClassUID);
  const seriesInstanceUID = str(ds.SeriesInstanceUID);
  if (sopClassUID === SEG_SOP_CLASS || str(ds.Modality) === 'SEG') return { seg: parseSeg(input.name, ds, seriesInstanceUID) };
  const nonImage = nonImageReason(sopClassUID);
  if (nonImage) return { skip: `not an image: ${nonImage} (SOP class ${sopClassUID})` };
  if (!hasPixelData) return { skip: `not an image: no pixel data${sopClassUID ? ` (SOP class ${sopClassUID})` : ''}` };
  if (strings(ds.ImageType).some((t) => t.toUpperCase() === 'LOCALIZER')) return { skip: 'localiser (ImageType LOCALIZER), not part of a volume' };
  const frames = num(ds.NumberOfFrames) ?? 1;
  if (frames > 1) return { skip: `multi-frame image (${frames} frames in one file): only series of single-slice files are supported` };
  return {
    image: {
      file: input.name,
      ds,
      sopClassUID,
      // Some exports (the TotalSegmentator fixture among them) leave SOPInstanceUID empty in the
      // dataset; the file meta information still names the instance.
      sopInstanceUID: str(ds.SOPInstanceUID) || str(meta.MediaStorageSOPInstanceUID),
      transferSyntaxUID: str(meta.TransferSyntaxUID),
      seriesInstanceUID,
    },
  };
}

export function scanDicom(files: DicomFileInput[], onProgress?: (p: DicomProgress) => void): DicomScan {
  const skipped: DicomSkipped[] = [];
  const segs: DicomSegObject[] = [];
  const bySeries = new Map<string, ParsedImage[]>();
  files.forEach((input, n) => {
    let result: ReturnType<typeof classify>;
    try {
      result = classify(input);
    } catch (e) {
      result = { skip: `unreadable: ${(e as Error)?.message ?? String(e)}` };
    }
    if ('skip' in result) skipped.push({ file: input.name, reason: result.skip });
    else if ('seg' in result) segs.push(result.seg);
    else {
      const key = groupKey(result.image);
      const list = bySeries.get(key) ?? [];
      list.push(result.image);
      bySeries.set(key, list);
    }
    onProgress?.({ stage: 'scanning', done: n + 1, total: files.length });
  });
  const series = [...bySeries.values()].map((images) => buildSeries(images[0].seriesInstanceUID, images));
  series.sort((a, b) => (a.seriesNumber ?? Infinity) - (b.seriesNumber ?? Infinity) || a.description.localeCompare(b.description) || a.seriesInstanceUID.localeCompare(b.seriesInstanceUID));
  return { series, segs, skipped };
}

/**
 * Files are grouped by SeriesInstanceUID. Anonymisers sometimes blank it (the TotalSegmentator
 * fixture has empty Study and Series UIDs); such files are grouped by frame of reference, series
 * number and description instead, and the stack checks below still catch a mix.
 */
function groupKey(image: ParsedImage): string {
  if (image.seriesInstanceUID) return `uid ${image.seriesInstanceUID}`;
  const ds = image.ds;
  return `no uid ${str(ds.FrameOfReferenceUID)} ${str(ds.SeriesNumber)} ${str(ds.SeriesDescription)}`;
}

interface SliceGeometry {
  image: ParsedImage;
  rows: number;
  columns: number;
  pixelSpacing: [number, number];
  position: Vec3;
  orientation: [number, number, number, number, number, number];
}

function geometryOf(image: ParsedImage): SliceGeometry | null {
  const ds = image.ds;
  const rows = num(ds.Rows);
  const columns = num(ds.Columns);
  const spacing = nums(ds.PixelSpacing, 2);
  const position = nums(ds.ImagePositionPatient, 3);
  const orientation = nums(ds.ImageOrientationPatient, 6);
  if (!rows || !columns || !spacing || !position || !orientation || spacing.some((s) => !(s > 0))) return null;
  return {
    image,
    rows,
    columns,
    pixelSpacing: [spacing[0], spacing[1]],
    position: [position[0], position[1], position[2]],
    orientation: orientation as SliceGeometry['orientation'],
  };
}

const close = (a: number, b: number, tol = ORIENTATION_TOLERANCE) => Math.abs(a - b) <= tol;

/** Slices agree on size, pixel spacing and orientation: the key of a consistent subset. */
function gridKey(g: SliceGeometry): string {
  const r = (x: number) => x.toFixed(4);
  return `${g.columns}×${g.rows} · ${r(g.pixelSpacing[1])}×${r(g.pixelSpacing[0])} mm · orientation ${g.orientation.map(r).join('\\')}`;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function buildSeries(uid: string, images: ParsedImage[]): DicomSeries {
  const problems: string[] = [];
  const first = images[0].ds;

  // Transfer syntax: the converter decodes per file, so a mix is fine as long as each is supported.
  const syntaxFiles = new Map<string, string[]>();
  for (const im of images) syntaxFiles.set(im.transferSyntaxUID, [...(syntaxFiles.get(im.transferSyntaxUID) ?? []), im.file]);
  const mainSyntax = [...syntaxFiles.entries()].sort((a, b) => b[1].length - a[1].length)[0][0];
  for (const [ts, list] of syntaxFiles) {
    if (!transferSyntaxSupported(ts)) {
      problems.push(`unsupported transfer syntax ${transferSyntaxName(ts)}${ts ? ` (${ts})` : ''} in ${fileList(list)}: decompress the series (e.g. to Explicit VR Little Endian) before opening it`);
    }
    const bitLimit = transferSyntaxBitLimit(ts);
    const tooDeep = bitLimit ? list.filter((f) => (num(images.find((i) => i.file === f)!.ds.BitsAllocated) ?? 8) > bitLimit) : [];
    if (tooDeep.length) problems.push(`${transferSyntaxName(ts)} with more than ${bitLimit} bits per sample cannot be decoded, in ${fileList(tooDeep)}`);
  }

  const colour = images.filter((i) => (num(i.ds.SamplesPerPixel) ?? 1) !== 1);
  if (colour.length) problems.push(`colour images (SamplesPerPixel ${num(colour[0].ds.SamplesPerPixel)}, ${str(colour[0].ds.PhotometricInterpretation)}) are not supported: ${fileList(colour.map((i) => i.file))}`);

  const rescales = new Map<string, string[]>();
  for (const im of images) {
    const key = `slope ${num(im.ds.RescaleSlope) ?? 1}, intercept ${num(im.ds.RescaleIntercept) ?? 0}`;
    rescales.set(key, [...(rescales.get(key) ?? []), im.file]);
  }
  if (rescales.size > 1) {
    problems.push(`rescale slope/intercept differ between slices (${[...rescales.entries()].map(([k, f]) => `${k}: ${fileList(f, 2)}`).join('; ')}); one volume needs one scaling`);
  }

  const geometries: SliceGeometry[] = [];
  const noGeometry: string[] = [];
  for (const im of images) {
    const g = geometryOf(im);
    if (g) geometries.push(g);
    else noGeometry.push(im.file);
  }
  if (noGeometry.length) {
    problems.push(`no usable ImagePositionPatient / ImageOrientationPatient / PixelSpacing / Rows / Columns in ${fileList(noGeometry)} (a screenshot or secondary capture has no place in the patient)`);
  }

  // Mixed sizes or orientations within one UID: keep the largest consistent group for the fields.
  const groups = new Map<string, SliceGeometry[]>();
  for (const g of geometries) {
    const key = [...groups.keys()].find((k) => sameGrid(groups.get(k)![0], g)) ?? gridKey(g);
    groups.set(key, [...(groups.get(key) ?? []), g]);
  }
  const ranked = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
  if (ranked.length > 1) {
    problems.push(
      `mixed series: the slices differ in size, pixel spacing or orientation — ${ranked.map(([k, g]) => `${g.length} slice(s) ${k} (${fileList(g.map((x) => x.image.file), 2)})`).join('; ')}`,
    );
  }
  const main = ranked[0]?.[1] ?? [];
  const normal: Vec3 = main.length ? sliceNormal(main[0].orientation) : [0, 0, 1];
  const sorted = [...main].sort((a, b) => dot(a.position, normal) - dot(b.position, normal));
  const sliceSpacing = checkStack(sorted, normal, problems);

  const tilt = num(first.GantryDetectorTilt);
  if (tilt && Math.abs(tilt) > 1e-3) problems.push(`gantry tilt of ${tilt}° (GantryDetectorTilt in ${images[0].file}): tilted slices are sheared and would need resampling`);

  const g0 = main[0];
  const slices: DicomSliceHeader[] = sorted.map((g) => ({
    file: g.image.file,
    sopInstanceUID: g.image.sopInstanceUID,
    sopClassUID: g.image.sopClassUID,
    instanceNumber: num(g.image.ds.InstanceNumber),
    position: g.position,
    orientation: g.orientation,
    dataset: g.image.ds,
  }));
  return {
    seriesInstanceUID: uid,
    studyInstanceUID: str(first.StudyInstanceUID),
    frameOfReferenceUID: str(first.FrameOfReferenceUID) || null,
    description: str(first.SeriesDescription),
    seriesNumber: num(first.SeriesNumber),
    modality: str(first.Modality),
    rows: g0?.rows ?? num(first.Rows) ?? 0,
    columns: g0?.columns ?? num(first.Columns) ?? 0,
    pixelSpacing: g0?.pixelSpacing ?? [0, 0],
    sliceSpacing,
    transferSyntaxUID: mainSyntax,
    transferSyntaxName: transferSyntaxName(mainSyntax),
    slices,
    problems,
  };
}

function sameGrid(a: SliceGeometry, b: SliceGeometry): boolean {
  return (
    a.rows === b.rows &&
    a.columns === b.columns &&
    close(a.pixelSpacing[0], b.pixelSpacing[0]) &&
    close(a.pixelSpacing[1], b.pixelSpacing[1]) &&
    a.orientation.every((v, n) => close(v, b.orientation[n]))
  );
}

/**
 * The slices of one grid, sorted along the normal, must form a regular stack: no repeated
 * position, no gap, one step size, no sideways shift. Returns the median step (mm).
 */
function checkStack(sorted: SliceGeometry[], normal: Vec3, problems: string[]): number {
  if (sorted.length === 0) return 0;
  if (sorted.length === 1) {
    problems.push(`only one slice (${sorted[0].image.file}): a volume needs at least two`);
    return 0;
  }
  const along = sorted.map((g) => dot(g.position, normal));
  const steps = along.slice(1).map((z, n) => z - along[n]);
  const duplicates: string[] = [];
  steps.forEach((s, n) => {
    if (s < SAME_POSITION_MM) duplicates.push(`${sorted[n].image.file} and ${sorted[n + 1].image.file}`);
  });
  if (duplicates.length) {
    problems.push(`${duplicates.length} pair(s) of slices at the same position (${fileList(duplicates, 2)}): the series holds more than one volume (several acquisitions, echoes or phases)`);
    return median(steps.filter((s) => s >= SAME_POSITION_MM)) || 0;
  }
  const step = median(steps);
  const tol = Math.max(SPACING_TOLERANCE_MM, SPACING_TOLERANCE_SHARE * step);
  const fmt = (x: number) => String(Number(x.toFixed(3)));
  const gaps: string[] = [];
  const uneven: string[] = [];
  steps.forEach((s, n) => {
    const pair = `${sorted[n].image.file} and ${sorted[n + 1].image.file}`;
    if (s > 1.5 * step) {
      const missing = Math.round(s / step) - 1;
      gaps.push(`${fmt(s)} mm between ${pair} (≈ ${missing} slice${missing === 1 ? '' : 's'} missing)`);
    } else if (Math.abs(s - step) > tol) uneven.push(`${fmt(s)} mm between ${pair}`);
  });
  if (gaps.length) problems.push(`missing slice(s): ${fileList(gaps, 2)}, where the slice spacing is ${fmt(step)} mm`);
  if (uneven.length) problems.push(`inconsistent slice spacing: ${fileList(uneven, 2)}, where the other slices are ${fmt(step)} mm apart`);
  // Sideways shift of the stack (gantry tilt without the tag, or a sheared reconstruction).
  const sheared: string[] = [];
  for (let n = 1; n < sorted.length; n++) {
    const d = [0, 1, 2].map((a) => sorted[n].position[a] - sorted[n - 1].position[a]) as Vec3;
    const s = dot(d, normal);
    const side = Math.hypot(d[0] - s * normal[0], d[1] - s * normal[1], d[2] - s * normal[2]);
    if (side > Math.max(SPACING_TOLERANCE_MM, SHEAR_TOLERANCE_SHARE * Math.abs(s))) sheared.push(`${sorted[n - 1].image.file} → ${sorted[n].image.file} (${fmt(side)} mm)`);
  }
  if (sheared.length) problems.push(`slices are not stacked along their normal (gantry tilt or shear): ${fileList(sheared, 2)}`);
  return step;
}
