// Tumour synthesis off the main thread. core is pure TypeScript, so the worker runs the very call
// the CLI runs (`freetumor simulate`): readNifti → remapLabels → synthesizeHandcrafted → writeNifti.
import { checkSameGeometry, readNifti, toLabelVolume, writeNifti, type NiftiImage } from '../../core/nifti/index.ts';
import { remapLabels } from '../../core/labels.ts';
import { synthesizeHandcrafted, type HandcraftedSynthesis } from '../../core/tumor/index.ts';
import type { LabelVolume } from '../../core/volume.ts';
import type { DicomSeries } from '../../core/dicom/types.ts';
import { dicomExportFiles } from '../files/dicomExport.ts';
import { zipStore } from '../../core/zip.ts';
import type { CaseFiles, MainToWorker, SynthesisOptions, WorkerToMain } from './messages.ts';
import type { TumourInfo } from '../stores/synthesisStore.ts';

const scope = self as unknown as {
  postMessage(m: WorkerToMain, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<MainToWorker>) => void) | null;
};

interface ParsedCase {
  image: NiftiImage;
  seg: NiftiImage;
  /** The label in the project scheme. */
  label: LabelVolume;
}

let current: { caseId: number; files: CaseFiles; parsed: Promise<ParsedCase> | null } | null = null;
let last: { caseId: number; result: HandcraftedSynthesis; files: CaseFiles; parsed: ParsedCase } | null = null;

async function parse(files: CaseFiles): Promise<ParsedCase> {
  const image = await readNifti(files.image.bytes, files.image.name);
  const seg = await readNifti(files.label.bytes, files.label.name);
  checkSameGeometry(image.volume, seg.volume, files.image.name, files.label.name);
  const source = toLabelVolume(seg, files.label.name);
  const label: LabelVolume = { dims: source.dims, affine: source.affine, data: remapLabels(source.data, files.labelMap) };
  return { image, seg, label };
}

function caseFor(caseId: number): { files: CaseFiles; parsed: Promise<ParsedCase> } {
  if (!current || current.caseId !== caseId) throw new Error('the case changed while the request was on its way; try again');
  current.parsed ??= parse(current.files);
  return { files: current.files, parsed: current.parsed };
}

function summarise(r: HandcraftedSynthesis): TumourInfo[] {
  return r.simulation.tumours.map((t) => ({
    organ: t.organ,
    sizeClass: t.sizeClass,
    centreVoxel: [...t.centreVoxel] as [number, number, number],
    centreMm: [...t.centreWorldMm] as [number, number, number],
    userCentre: t.userCentre,
    voxelCount: t.voxelCount,
    volumeMm3: t.volumeMm3,
    tumourSeed: t.seed,
  }));
}

async function synthesize(requestId: number, caseId: number, o: SynthesisOptions): Promise<void> {
  const t0 = performance.now();
  const { files, parsed: pending } = caseFor(caseId);
  const parsed = await pending;
  const result = synthesizeHandcrafted(parsed.image.volume, parsed.label, {
    seed: o.seed,
    count: o.count,
    organs: [o.organ],
    ...(o.sizeClass ? { sizeClass: o.sizeClass } : {}),
    ...(o.centre ? { centres: [o.centre] } : {}),
    avoidVessels: o.avoidVessels,
  });
  last = { caseId, result, files, parsed };
  // Copies go to the page; the worker keeps its own for the export.
  const image = new Float32Array(result.image.data);
  const tumourLabel = new Uint8Array(result.simulation.tumourLabel);
  scope.postMessage(
    {
      type: 'synthesized',
      requestId,
      image,
      tumourLabel,
      tumours: summarise(result),
      darkening: result.darkening,
      elapsedMs: performance.now() - t0,
    },
    [image.buffer, tumourLabel.buffer],
  );
}

async function exportLast(requestId: number, caseId: number): Promise<void> {
  const t0 = performance.now();
  if (!last || last.caseId !== caseId) throw new Error('nothing synthesised for this case yet');
  const { result, parsed, files } = last;
  // Source header and source datatype: the files open in Slicer / ITK-SNAP exactly on the source grid.
  const image = await writeNifti(result.image, { header: parsed.image.header, datatype: parsed.image.datatype, fileName: files.image.name });
  const label = await writeNifti(result.label, { header: parsed.seg.header, datatype: parsed.seg.datatype, fileName: files.label.name });
  scope.postMessage({ type: 'exported', requestId, image, label, elapsedMs: performance.now() - t0 }, [image.buffer, label.buffer]);
}

async function exportDicom(requestId: number, caseId: number, source: DicomSeries, keepIdentifiers: boolean): Promise<void> {
  const t0 = performance.now();
  if (!last || last.caseId !== caseId) throw new Error('nothing synthesised for this case yet');
  const { result, parsed } = last;
  const files = dicomExportFiles({
    image: result.image,
    labels: result.label,
    sourceLabels: parsed.label.data,
    source,
    tumours: result.simulation.tumours.map((t) => ({ organ: t.organ, sizeClass: t.sizeClass })),
    keepIdentifiers,
  });
  const zip = zipStore(files);
  scope.postMessage({ type: 'exportedDicom', requestId, zip, files: files.length, elapsedMs: performance.now() - t0 }, [zip.buffer]);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

scope.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'setCase') {
    current = { caseId: m.caseId, files: m.files, parsed: null };
    if (last && last.caseId !== m.caseId) last = null;
    return;
  }
  const job =
    m.type === 'synthesize'
      ? synthesize(m.requestId, m.caseId, m.options)
      : m.type === 'exportDicom'
        ? exportDicom(m.requestId, m.caseId, m.source, m.keepIdentifiers)
        : exportLast(m.requestId, m.caseId);
  job.catch((err: unknown) => scope.postMessage({ type: 'error', requestId: m.requestId, message: message(err) }));
};
