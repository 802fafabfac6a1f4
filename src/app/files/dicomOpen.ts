import { formatMm, seriesSummary } from '../../core/dicom/seriesGeometry.ts';
import type { DicomProgress, DicomScan, DicomSegObject, DicomSeries, DicomSkipped } from '../../core/dicom/types.ts';
import { PROJECT_LABEL_NAMES } from '../../core/labels.ts';
import type { CaseSource } from '../stores/caseStore.ts';
import { useDicomStore, type SeriesChoice } from '../stores/dicomStore.ts';
import { useStatusStore } from '../stores/statusStore.ts';
import type { VolumeSource } from '../viewer/ViewerController.ts';
import { classifyByName } from './classifyFiles.ts';
import type { DicomQuestions } from './dicomDialogs.ts';
import type { DicomBackend } from './dicomMessages.ts';
import { relativePathOf, sharedFolder } from './droppedFiles.ts';

/** The slice of the viewer the opener drives; a recording fake in tests. */
export interface DicomViewer {
  loadCase(image: VolumeSource, label: VolumeSource | null, source: CaseSource): Promise<void>;
  loadLabels(label: VolumeSource): Promise<void>;
}

export interface DicomOpener {
  /**
   * Open what a drop or pick holds as DICOM: a series (chosen when there are several), SEGs on the
   * open series. `niftis` came in the same drop: one of them becomes the series' label map.
   * Resolves to whether anything opened; every failure is a status message, the case stays.
   */
  open(files: readonly File[], niftis?: readonly File[]): Promise<boolean>;
}

/** How many file names a message lists before it says "and N more". */
const LISTED = 4;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function listFiles(items: readonly DicomSkipped[]): string {
  const shown = items.slice(0, LISTED).map((s) => `"${s.file}" (${s.reason})`);
  return items.length > LISTED ? `${shown.join(', ')} and ${items.length - LISTED} more` : shown.join(', ');
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

function safeName(s: string): string {
  return s.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '');
}

/** The converted image's name: the series' folder, else its description, with the series number when a folder holds several. */
export function seriesImageName(series: DicomSeries, scan: DicomScan): string {
  const folderOf = (s: DicomSeries) => sharedFolder(s.slices.map((x) => x.file));
  const folder = folderOf(series);
  const shared = folder !== null && scan.series.filter((s) => folderOf(s) === folder).length > 1;
  const own = safeName(series.description) || (series.seriesNumber !== null ? `series${series.seriesNumber}` : 'dicom_series');
  const name = folder ? (shared ? `${safeName(folder)}_${own}` : safeName(folder)) : own;
  return `${name || 'dicom_series'}.nii.gz`;
}

function seriesLabel(s: DicomSeries): string {
  return `"${s.description || 'unnamed'}"${s.seriesNumber !== null ? ` (#${s.seriesNumber})` : ''}`;
}

export function seriesChoice(s: DicomSeries): SeriesChoice {
  return {
    uid: s.seriesInstanceUID,
    description: s.description,
    seriesNumber: s.seriesNumber,
    slices: s.slices.length,
    summary: seriesSummary(s),
    geometry: `${s.columns}×${s.rows} · ${formatMm(s.pixelSpacing[1])}×${formatMm(s.pixelSpacing[0])}×${formatMm(s.sliceSpacing)} mm`,
    transferSyntax: s.transferSyntaxName,
    problems: s.problems,
  };
}

/** "liver.dcm" → "liver": the SEG's stem names the label map it becomes. */
function stem(path: string): string {
  return path.replace(/^.*\//, '').replace(/\.dcm$/i, '');
}

/**
 * The app's DICOM open: scan and convert in the backend (a Web Worker), the chooser and mapping
 * questions through `ask`, the result into the viewer as a NIfTI Blob URL. The series' headers stay
 * in the DICOM store while its case is open, for the SEG and derived-series export.
 */
export function createDicomOpener(viewer: DicomViewer, backend: DicomBackend, ask: DicomQuestions): DicomOpener {
  const store = () => useDicomStore.getState();
  const status = () => useStatusStore.getState();

  const blobSource = (bytes: Uint8Array, name: string, urls: string[]): VolumeSource => {
    const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/gzip' }));
    urls.push(url);
    return { url, name };
  };

  /** The series to open; 'none' when the user cancelled or nothing in the drop can be converted. */
  async function chooseSeries(scan: DicomScan): Promise<DicomSeries | null | 'none'> {
    const { series } = scan;
    if (series.length === 0) return null;
    if (series.length === 1 && series[0].problems.length === 0) return series[0];
    const choices = { series: series.map(seriesChoice), skipped: scan.skipped };
    // The bar would sit frozen behind the dialog: the user is the one working now.
    store().setProgress(null);
    if (series.every((s) => s.problems.length > 0)) {
      // Said in the status bar, and in full in the dialog (problems and skipped files listed).
      const only = series[0];
      const skipped = scan.skipped.length ? `. Skipped ${plural(scan.skipped.length, 'file')}: ${listFiles(scan.skipped)}` : '';
      const what = series.length === 1 ? `the DICOM series ${seriesLabel(only)} (${plural(only.slices.length, 'file')})` : `any of the ${series.length} DICOM series`;
      status().pushMessage('error', `Could not open ${what}: ${series.flatMap((s) => s.problems).join('; ')}${skipped}`);
      await ask.chooseSeries(choices);
      return 'none';
    }
    const uid = await ask.chooseSeries(choices);
    if (uid === null) {
      status().pushMessage('info', 'No DICOM series opened.');
      return 'none';
    }
    const chosen = series.find((s) => s.seriesInstanceUID === uid);
    if (!chosen) throw new Error(`series ${uid} is not in this drop`);
    if (chosen.problems.length) throw new Error(`Could not open the DICOM series ${seriesLabel(chosen)}: ${chosen.problems.join('; ')}`);
    return chosen;
  }

  /** Why a SEG cannot go on the open case: it names the series it labels and the one that is open. */
  function refusal(seg: DicomSegObject): string {
    const ref = seg.referencedSeriesUID ?? '(none named)';
    const src = store().source;
    if (!src) return `Could not load the DICOM SEG "${seg.file}": it labels series ${ref}, and the open case is not a DICOM series. Open that series first (or drop the SEG together with it).`;
    const own = src.series.seriesInstanceUID ? '' : ' (the series has no Series Instance UID; this is the one the workbench gives it)';
    return `Refused the DICOM SEG "${seg.file}": it labels series ${ref}, but the open series is ${src.referenceUID}${own}.`;
  }

  /** One SEG onto the open DICOM case (its referenced series is the open one). */
  async function applySeg(scanId: number, seg: DicomSegObject): Promise<void> {
    const src = store().source;
    if (!src || seg.referencedSeriesUID !== src.referenceUID) throw new Error(refusal(seg));
    const decoded = await backend.readSeg(scanId, seg.file, src.grid);
    let mapping = decoded.mapping;
    if (decoded.unmatched.length > 0) {
      store().setProgress(null);
      const guesses = new Map(decoded.mapping);
      const voxels = new Map(decoded.voxels);
      const answer = await ask.mapSegments({
        file: seg.file,
        segments: decoded.segments.map((s) => ({ number: s.number, label: s.label, type: s.type, voxels: voxels.get(s.number) ?? 0, guess: guesses.get(s.number) ?? null })),
      });
      if (answer === null) {
        status().pushMessage('info', `The DICOM SEG "${seg.file}" was not loaded (mapping cancelled).`);
        return;
      }
      mapping = answer;
    }
    if (mapping.length === 0) throw new Error(`The DICOM SEG "${seg.file}": no segment is mapped to a project label, so there is nothing to show.`);
    const labels = await backend.segLabels(decoded.segId, mapping);
    const urls: string[] = [];
    try {
      await viewer.loadLabels(blobSource(labels.nifti, `${stem(seg.file)} (DICOM SEG).nii.gz`, urls));
    } finally {
      urls.forEach((u) => URL.revokeObjectURL(u));
    }
    const byNumber = new Map(decoded.segments.map((s) => [s.number, s.label]));
    const what = mapping.map(([n, id]) => `${byNumber.get(n) ?? `segment ${n}`} → ${PROJECT_LABEL_NAMES[id] ?? id}`).join(', ');
    status().pushMessage('info', `Opened the DICOM SEG "${seg.file}" on ${src.imageName}: ${what} (local, not uploaded).`);
  }

  async function openNow(files: readonly File[], niftis: readonly File[]): Promise<boolean> {
    if (files.length === 0) return false;
    const names = files.map(relativePathOf);
    const what = files.length === 1 ? `"${names[0]}"` : plural(files.length, 'file');
    const report = (p: DicomProgress) => store().setProgress({ ...p, what });
    report({ stage: 'reading', done: 0, total: files.length });
    let scanId: number | null = null;
    try {
      const scanned = await backend.scan(files.map((file, n) => ({ name: names[n], file })), report);
      scanId = scanned.scanId;
      const { scan } = scanned;
      if (scan.series.length === 0 && scan.segs.length === 0) {
        const lead = files.length === 1 ? `Could not open "${names[0]}"` : `Could not open any of ${plural(files.length, 'file')}`;
        status().pushMessage('error', `${lead}: neither NIfTI (.nii, .nii.gz) nor a DICOM image series — ${listFiles(scan.skipped)}.`);
        return false;
      }
      const chosen = await chooseSeries(scan);
      if (chosen === 'none') return false;
      let labelFile: File | null = null;
      if (chosen) {
        const converted = await backend.convert(scanId, chosen.seriesInstanceUID, report).catch((err: unknown) => {
          throw new Error(`Could not open the DICOM series ${seriesLabel(chosen)}: ${errorText(err)}`);
        });
        const imageName = seriesImageName(chosen, scan);
        if (niftis.length) {
          const c = classifyByName(niftis);
          labelFile = niftis.length === 1 ? niftis[0] : c.label ?? c.image;
          const rest = niftis.filter((f) => f !== labelFile);
          if (rest.length) status().pushMessage('error', `Ignored ${rest.map((f) => `"${f.name}"`).join(', ')}: a DICOM series takes at most one NIfTI label map.`);
        }
        const urls: string[] = [];
        try {
          const label = labelFile ? { url: URL.createObjectURL(labelFile), name: labelFile.name } : null;
          if (label) urls.push(label.url);
          await viewer.loadCase(blobSource(converted.nifti, imageName, urls), label, 'dicom');
        } finally {
          urls.forEach((u) => URL.revokeObjectURL(u));
        }
        // After loadCase: its imageLoaded event cleared the previous case's source.
        store().setSource({ series: chosen, grid: converted.grid, imageName, referenceUID: converted.referenceUID });
        const skipped = scan.skipped.length ? ` Skipped ${plural(scan.skipped.length, 'file')}: ${listFiles(scan.skipped)}.` : '';
        status().pushMessage(
          'info',
          `Opened the DICOM series ${seriesLabel(chosen)}, ${plural(chosen.slices.length, 'slice')}, as ${imageName}${labelFile ? ` with ${labelFile.name}` : ''} (converted in this tab, not uploaded).${skipped}`,
        );
      }
      const openUid = store().source?.referenceUID ?? null;
      const inDrop = new Set(scan.series.map((x) => x.seriesInstanceUID));
      const fitting = scan.segs.filter((x) => openUid !== null && x.referencedSeriesUID === openUid);
      // A SEG of a series in this drop that was not chosen is simply not wanted now.
      const foreign = scan.segs.filter((x) => !fitting.includes(x) && !(chosen && x.referencedSeriesUID && inDrop.has(x.referencedSeriesUID)));
      let opened = chosen !== null;
      if (fitting.length && labelFile) {
        status().pushMessage('info', `Kept ${labelFile.name} as the label map; ${plural(fitting.length, 'DICOM SEG')} in the drop not loaded.`);
      } else if (fitting.length) {
        // One label map at a time: the first SEG that fits; the others are named.
        const [first, ...others] = fitting;
        try {
          await applySeg(scanId, first);
          opened = true;
        } catch (err) {
          status().pushMessage('error', errorText(err));
        }
        if (others.length) status().pushMessage('info', `Loaded "${first.file}"; ignored ${others.map((x) => `"${x.file}"`).join(', ')} (one label map at a time).`);
      }
      if (foreign.length) status().pushMessage('error', refusal(foreign[0]) + (foreign.length > 1 ? ` (and ${plural(foreign.length - 1, 'other SEG')})` : ''));
      return opened;
    } catch (err) {
      status().pushMessage('error', errorText(err));
      return false;
    } finally {
      store().setProgress(null);
      if (scanId !== null) backend.release(scanId);
    }
  }

  // One drop at a time, like the viewer's loads: a second drop waits until the first (and any
  // question it asked) is done, so their files, dialogs and cases cannot interleave.
  let queue: Promise<unknown> = Promise.resolve();
  function open(files: readonly File[], niftis: readonly File[] = []): Promise<boolean> {
    const run = queue.then(() => openNow(files, niftis));
    queue = run.catch(() => undefined);
    return run;
  }

  return { open };
}
