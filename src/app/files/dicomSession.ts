import { scanDicom } from '../../core/dicom/scan.ts';
import { convertSeries } from '../../core/dicom/convert.ts';
import { seriesUidOf } from '../../core/dicom/derivedObject.ts';
import { masksToLabelVolume, readSeg, segmentLabelMatch } from '../../core/dicom/segRead.ts';
import type { Dcm2niixFactory, DicomFileInput, DicomProgress, DicomScan } from '../../core/dicom/types.ts';
import { writeNifti } from '../../core/nifti/index.ts';
import { plainData } from './plainData.ts';
import type { Converted, DicomBackend, DroppedFile, Grid, SegDecoded, SegLabels, Scanned } from './dicomMessages.ts';

function count(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  return n;
}

/**
 * The DICOM work behind the app's open: read a drop, scan it, convert a series, decode a SEG onto
 * the open grid. Core calls only (the CLI's), with the dcm2niix build injected; the app runs it in
 * a Web Worker (dicomWorker.ts), tests run it in Node with Node's build.
 */
export class DicomSession implements DicomBackend {
  /** Only the latest drop: a CT series is hundreds of MB, and an older drop is never asked for again. */
  private held: { scanId: number; files: DicomFileInput[]; scan: DicomScan } | null = null;
  private seg: { segId: number; masks: Map<number, Uint8Array>; grid: Grid; file: string } | null = null;
  private nextId = 1;

  constructor(private readonly dcm2niix: Dcm2niixFactory) {}

  async scan(dropped: DroppedFile[], onProgress?: (p: DicomProgress) => void): Promise<Scanned> {
    this.held = null;
    this.seg = null;
    const files: DicomFileInput[] = [];
    for (const [n, d] of dropped.entries()) {
      onProgress?.({ stage: 'reading', done: n, total: dropped.length });
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await d.file.arrayBuffer());
      } catch (err) {
        throw new Error(`Could not read "${d.name}": ${err instanceof Error ? err.message : String(err)}`);
      }
      files.push({ name: d.name, bytes });
    }
    onProgress?.({ stage: 'reading', done: dropped.length, total: dropped.length });
    // Plain data: the scan crosses postMessage to the page, and back to the export workers.
    const scan = plainData(scanDicom(files, onProgress));
    const scanId = this.nextId++;
    this.held = { scanId, files, scan };
    return { scanId, scan };
  }

  async convert(scanId: number, seriesUID: string, onProgress?: (p: DicomProgress) => void): Promise<Converted> {
    const { files, scan } = this.heldScan(scanId);
    const series = scan.series.find((s) => s.seriesInstanceUID === seriesUID);
    if (!series) throw new Error(`series ${seriesUID} is not among the dropped files`);
    const names = new Set(series.slices.map((s) => s.file));
    const { image, nifti, log } = await convertSeries(series, files.filter((f) => names.has(f.name)), this.dcm2niix, { onProgress });
    return { nifti, grid: { dims: [...image.dims], affine: [...image.affine] }, referenceUID: seriesUidOf(series), log };
  }

  async readSeg(scanId: number, file: string, grid: Grid): Promise<SegDecoded> {
    const input = this.heldScan(scanId).files.find((f) => f.name === file);
    if (!input) throw new Error(`"${file}" is not among the dropped files`);
    const r = readSeg(input, grid);
    const match = segmentLabelMatch(r.segments);
    const segId = this.nextId++;
    this.seg = { segId, masks: r.masks, grid, file };
    return {
      segId,
      segments: r.segments,
      referencedSeriesUID: r.referencedSeriesUID,
      mapping: [...match.mapping],
      unmatched: match.unmatched,
      voxels: [...r.masks].map(([n, m]) => [n, count(m)]),
    };
  }

  async segLabels(segId: number, mapping: [number, number][]): Promise<SegLabels> {
    const seg = this.seg;
    if (!seg || seg.segId !== segId) throw new Error('the SEG is no longer held; drop it again');
    const labels = masksToLabelVolume(seg.masks, new Map(mapping), seg.grid);
    const nifti = await writeNifti(labels, { datatype: 'uint8', fileName: seg.file });
    return { nifti, voxels: count(labels.data) };
  }

  release(scanId: number): void {
    if (this.held?.scanId !== scanId) return;
    this.held = null;
    this.seg = null;
  }

  private heldScan(scanId: number): { files: DicomFileInput[]; scan: DicomScan } {
    if (!this.held || this.held.scanId !== scanId) throw new Error('those files are no longer held; drop them again');
    return this.held;
  }
}
