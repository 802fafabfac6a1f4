/**
 * DICOM series folders for the CLI: read a folder, scan it, pick the series, convert it with the
 * WASM dcm2niix (the same converter the browser app runs in its worker), and hand back a NIfTI
 * image like readNiftiFile does, so every command that takes an image takes a folder too.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { convertSeries } from '../core/dicom/convert.ts';
import { scanDicom } from '../core/dicom/scan.ts';
import { seriesSummary, formatMm } from '../core/dicom/seriesGeometry.ts';
import type { Dcm2niixFactory, DicomFileInput, DicomProgress, DicomScan, DicomSeries, DicomSkipped } from '../core/dicom/types.ts';
import { VolumeError } from '../core/errors.ts';
import { readNifti, type NiftiImage, type ReadNiftiOptions } from '../core/nifti/index.ts';
import { LIMIT_HINT, readNiftiFile, volumeLimitBytes } from './io.ts';
import { Progress } from './progress.ts';

/** The "jpeg" build (OpenJPEG + CharLS); the package exports only its browser entry, so by path. */
const DCM2NIIX_FILE = join('node_modules', '@niivue', 'dcm2niix', 'dist', 'dcm2niix.jpeg.js');

function findDcm2niix(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, DCM2NIIX_FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`cannot find ${DCM2NIIX_FILE} above ${fileURLToPath(import.meta.url)}; run npm install`);
  }
}

/** A factory of fresh dcm2niix instances (one conversion each: its main cannot be re-entered). */
export async function loadDcm2niix(): Promise<Dcm2niixFactory> {
  const create = (await import(pathToFileURL(findDcm2niix()).href)).default as Dcm2niixFactory;
  return (opts) => create(opts);
}

/** Every file below `dir` (hidden ones included: the scan says why it skips them), names relative to `dir`. */
export async function readDicomFolder(dir: string, onProgress?: (p: DicomProgress) => void): Promise<DicomFileInput[]> {
  const paths: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (e) {
      throw new VolumeError(d, `cannot read folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    // Code-point order: the same on every machine, whatever its locale.
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() || e.isSymbolicLink()) paths.push(p);
    }
  };
  await walk(dir);
  const files: DicomFileInput[] = [];
  for (const p of paths) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(p));
    } catch (e) {
      throw new VolumeError(p, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    files.push({ name: relative(dir, p), bytes });
    onProgress?.({ stage: 'reading', done: files.length, total: paths.length });
  }
  return files;
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** One series as a line of a choice list: summary, then the UID to pass to --series. */
export function seriesChoiceLine(s: DicomSeries): string {
  const problems = s.problems.length ? ` — cannot convert: ${s.problems.join('; ')}` : '';
  return `${seriesSummary(s)} · ${s.transferSyntaxName} · UID ${s.seriesInstanceUID || '(none)'}${problems}`;
}

/**
 * The series `choice` names (its SeriesInstanceUID or its series number), or the only one.
 * Several series without a choice is an error listing them, never a silent pick.
 */
export function chooseSeries(scan: DicomScan, dir: string, choice?: string): DicomSeries {
  const list = () => scan.series.map((s) => `  ${seriesChoiceLine(s)}`).join('\n');
  if (scan.series.length === 0) {
    const why = scan.skipped.length ? `; skipped: ${scan.skipped.map((s) => `${s.file} (${s.reason})`).slice(0, 5).join(', ')}${scan.skipped.length > 5 ? ` and ${scan.skipped.length - 5} more` : ''}` : '';
    const segs = scan.segs.length ? ` (it holds ${scan.segs.length} DICOM SEG object(s), which are labels, not images)` : '';
    throw new VolumeError(dir, `no DICOM image series found${segs}${why}`);
  }
  if (choice !== undefined) {
    const byUid = scan.series.filter((s) => s.seriesInstanceUID && s.seriesInstanceUID === choice);
    const byNumber = /^-?\d+$/.test(choice) ? scan.series.filter((s) => s.seriesNumber === Number(choice)) : [];
    const found = byUid.length ? byUid : byNumber;
    if (found.length === 1) return found[0];
    if (found.length > 1) throw new VolumeError(dir, `${found.length} series have number ${choice}; choose one by its UID with --series:\n${list()}`);
    throw new VolumeError(dir, `no series with UID or number '${choice}'; the folder holds:\n${list()}`);
  }
  if (scan.series.length > 1) {
    throw new VolumeError(dir, `holds ${scan.series.length} DICOM series; choose one with --series UID|NUMBER:\n${list()}`);
  }
  return scan.series[0];
}

export interface DicomOpenOptions extends ReadNiftiOptions {
  /** SeriesInstanceUID or series number, when the folder holds several series. */
  series?: string;
  onProgress?: (p: DicomProgress) => void;
  /** Where to say which files were skipped and why (default: nowhere). */
  warn?: (line: string) => void;
  factory?: Dcm2niixFactory;
}

/** What came from the folder, for reports: the series chosen and the files left out. */
export interface DicomSource {
  dir: string;
  series: DicomSeries;
  skipped: DicomSkipped[];
  summary: string;
}

export interface ConvertedFolder {
  image: NiftiImage;
  /** .nii.gz bytes from our own writer: no DICOM header text in it. */
  nifti: Uint8Array;
  source: DicomSource;
  log: string[];
}

export async function convertDicomFolder(dir: string, opts: DicomOpenOptions = {}): Promise<ConvertedFolder> {
  const files = await readDicomFolder(dir, opts.onProgress);
  const scan = scanDicom(files, opts.onProgress);
  const series = chooseSeries(scan, dir, opts.series);
  for (const s of scan.skipped) opts.warn?.(`${join(dir, s.file)}: skipped: ${s.reason}`);
  if (series.problems.length) {
    throw new VolumeError(dir, `${seriesSummary(series)}: cannot convert: ${series.problems.join('; ')}`);
  }
  const factory = opts.factory ?? (await loadDcm2niix());
  let converted;
  try {
    converted = await convertSeries(series, files, factory, { onProgress: opts.onProgress, maxVoxels: opts.maxVoxels });
  } catch (e) {
    // Name the folder the user gave, then the series, so the line says where to look.
    if (e instanceof VolumeError) throw new VolumeError(dir, e.message);
    throw e;
  }
  // The converted volume is held like any file read: under the same stated, configurable limit.
  const image = await readNifti(converted.nifti, dir, { maxVoxels: opts.maxVoxels, maxBytes: opts.maxBytes ?? volumeLimitBytes(), limitHint: opts.limitHint ?? LIMIT_HINT });
  return { image, nifti: converted.nifti, source: { dir, series, skipped: scan.skipped, summary: seriesSummary(series) }, log: converted.log };
}

/** A NIfTI file, or a DICOM series folder converted on the fly; `dicom` tells which it was. */
export async function readImageOrDicom(path: string, opts: DicomOpenOptions = {}): Promise<NiftiImage & { dicom?: DicomSource }> {
  if (!(await isDirectory(path))) {
    if (opts.series !== undefined) throw new VolumeError(path, '--series applies to a DICOM series folder, and this is a file');
    return readNiftiFile(path, opts);
  }
  const { image, source } = await convertDicomFolder(path, opts);
  return { ...image, dicom: source };
}

/** The JSON a command prints about a DICOM source (no patient fields: series-level facts only). */
export function dicomSourceJson(source: DicomSource): Record<string, unknown> {
  const s = source.series;
  return {
    folder: source.dir,
    summary: source.summary,
    seriesInstanceUID: s.seriesInstanceUID || null,
    seriesNumber: s.seriesNumber,
    description: s.description,
    modality: s.modality,
    slices: s.slices.length,
    spacing: [formatMm(s.pixelSpacing[1]), formatMm(s.pixelSpacing[0]), formatMm(s.sliceSpacing)].map(Number),
    transferSyntax: `${s.transferSyntaxName} (${s.transferSyntaxUID})`,
    skipped: source.skipped.map((k) => ({ file: k.file, reason: k.reason })),
  };
}


/**
 * Progress of reading, scanning and converting on a terminal's stderr (one bar per stage); in a
 * log or a test (no TTY) nothing, so JSON on stdout and error lines on stderr stay clean.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ((p: DicomProgress) => void) | undefined {
  if (!stream.isTTY) return undefined;
  let stage = '';
  let bar: Progress | null = null;
  return (p) => {
    if (p.stage !== stage) {
      stage = p.stage;
      bar = new Progress({ label: p.stage, total: p.total, unit: p.stage === 'converting' ? '%' : 'files', stream });
    }
    bar!.update(p.done);
  };
}
