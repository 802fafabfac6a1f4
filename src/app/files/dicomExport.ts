/**
 * The "DICOM SEG + derived series" export, shared by the Synthesize panel's worker and the quality
 * lab's: a SEG of the tumour and organ labels referencing the source series, and the synthetic
 * image as a new series whose description says it is synthetic. Runs in workers (dcmjs via core).
 */
import { writeDerivedSeries } from '../../core/dicom/derivedSeries.ts';
import { writeSeg, type SegSegment } from '../../core/dicom/segWrite.ts';
import type { DicomSeries } from '../../core/dicom/types.ts';
import { ORGAN_IDS, ORGANS, type Organ } from '../../core/labels.ts';
import type { ImageVolume, LabelVolume } from '../../core/volume.ts';

/** What is known of one synthetic tumour: the lab knows its P, the Synthesize panel does not. */
export interface TumourNote {
  organ: Organ;
  sizeClass: string;
  P?: number | null;
}

const ORGAN_LABELS: Record<Organ, string> = { liver: 'Liver', pancreas: 'Pancreas', kidney: 'Kidney' };

/** DICOM LO holds 64 characters. */
const LO = 64;

/** The derived series' description: first words say synthetic, so no listing can hide it. */
export function derivedSeriesDescription(source: DicomSeries): string {
  const head = 'SYNTHETIC TUMOUR';
  return (source.description ? `${head} - ${source.description}` : `${head} - FreeTumor`).slice(0, LO);
}

function voxelIds(data: Uint8Array): Set<number> {
  const seen = new Uint8Array(256);
  for (let i = 0; i < data.length; i++) seen[data[i]] = 1;
  const ids = new Set<number>();
  seen.forEach((v, id) => v && id > 0 && ids.add(id));
  return ids;
}

/**
 * One segment per project label present: organs as the case's label map had them, tumours with
 * their organ, size classes and P. `sourceLabels` (the label map before synthesis) tells whether a
 * tumour segment also holds tumours that were there already.
 */
export function segSegmentsFor(labels: Uint8Array, tumours: readonly TumourNote[], sourceLabels?: Uint8Array): SegSegment[] {
  const present = voxelIds(labels);
  const before = sourceLabels ? voxelIds(sourceLabels) : new Set<number>();
  const out: SegSegment[] = [];
  for (const organ of ORGANS) {
    const ids = ORGAN_IDS[organ];
    if (present.has(ids.organ)) {
      out.push({ labelId: ids.organ, label: ORGAN_LABELS[organ], description: `${ORGAN_LABELS[organ]}, from the case's label map` });
    }
    if (!present.has(ids.tumor)) continue;
    const mine = tumours.filter((t) => t.organ === organ);
    const sizes = mine.map((t) => t.sizeClass).join(', ');
    const ps = mine.filter((t) => t.P !== undefined && t.P !== null && Number.isFinite(t.P)).map((t) => (t.P as number).toFixed(2));
    const parts = [
      mine.length === 1 ? `synthetic ${organ} tumour` : `${mine.length} synthetic ${organ} tumours`,
      sizes ? `size ${sizes}` : null,
      ps.length ? `P = ${ps.join(', ')}` : null,
      before.has(ids.tumor) ? `with the label map's own ${organ} tumour voxels` : null,
      'FreeTumor Workbench',
    ].filter(Boolean);
    out.push({ labelId: ids.tumor, label: `Synthetic ${organ} tumour`, description: parts.join(', '), organ });
  }
  return out;
}

export interface DicomExportInput {
  /** The synthetic image (HU) on the source grid. */
  image: ImageVolume;
  /** Project label ids after synthesis, same grid. */
  labels: LabelVolume;
  sourceLabels?: Uint8Array;
  source: DicomSeries;
  tumours: readonly TumourNote[];
  keepIdentifiers: boolean;
}

/** SEG.dcm and derived/synthetic_NNN.dcm, under `folder/` when given (several tumours in one zip). */
export function dicomExportFiles(input: DicomExportInput, folder = ''): { name: string; bytes: Uint8Array }[] {
  const prefix = folder ? `${folder}/` : '';
  const privacy = { keepIdentifiers: input.keepIdentifiers };
  const segments = segSegmentsFor(input.labels.data, input.tumours, input.sourceLabels);
  const seg = writeSeg(input.labels, input.source, segments, {
    ...privacy,
    seriesDescription: 'FreeTumor SEG - synthetic tumour labels',
  });
  const derived = writeDerivedSeries(input.image, input.source, { ...privacy, seriesDescription: derivedSeriesDescription(input.source) });
  return [{ name: `${prefix}SEG.dcm`, bytes: seg }, ...derived.map((f) => ({ name: `${prefix}derived/${f.name}`, bytes: f.bytes }))];
}
