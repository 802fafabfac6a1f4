import { beforeAll, describe, expect, it } from 'vitest';
import { convertSeries } from '../../core/dicom/convert.ts';
import { scanDicom } from '../../core/dicom/scan.ts';
import { readSeg, segmentLabelMatch } from '../../core/dicom/segRead.ts';
import type { DicomSeries } from '../../core/dicom/types.ts';
import type { ImageVolume, LabelVolume } from '../../core/volume.ts';
import { loadDcm2niix } from '../../node/dicom.ts';
import { ct3Files, dicomFixturesPresent } from '../../node/testing/dicomFixtures.ts';
import { derivedSeriesDescription, dicomExportFiles, segSegmentsFor } from './dicomExport.ts';

describe('segSegmentsFor', () => {
  it('one segment per label present; tumours carry organ, size classes and P', () => {
    const labels = new Uint8Array([0, 1, 1, 2, 2, 5, 6]);
    const segs = segSegmentsFor(labels, [
      { organ: 'liver', sizeClass: 'medium', P: 0.834 },
      { organ: 'liver', sizeClass: 'tiny', P: null },
      { organ: 'kidney', sizeClass: 'small' },
    ]);
    expect(segs.map((s) => [s.labelId, s.label, s.organ ?? null])).toEqual([
      [1, 'Liver', null],
      [2, 'Synthetic liver tumour', 'liver'],
      [5, 'Kidney', null],
      [6, 'Synthetic kidney tumour', 'kidney'],
    ]);
    expect(segs[1].description).toBe('2 synthetic liver tumours, size medium, tiny, P = 0.83, FreeTumor Workbench');
    expect(segs[3].description).toBe('synthetic kidney tumour, size small, FreeTumor Workbench');
  });

  it('says when a tumour label also holds tumours the label map had before', () => {
    const [, tumour] = segSegmentsFor(new Uint8Array([1, 2]), [{ organ: 'liver', sizeClass: 'large' }], new Uint8Array([1, 2]));
    expect(tumour.description).toContain("with the label map's own liver tumour voxels");
  });

  it('the derived series is named synthetic first, within 64 characters', () => {
    expect(derivedSeriesDescription({ description: 'CT Body 3.0' } as DicomSeries)).toBe('SYNTHETIC TUMOUR - CT Body 3.0');
    const long = derivedSeriesDescription({ description: 'x'.repeat(80) } as DicomSeries);
    expect(long).toHaveLength(64);
    expect(long.startsWith('SYNTHETIC TUMOUR - ')).toBe(true);
    expect(derivedSeriesDescription({ description: '' } as DicomSeries)).toBe('SYNTHETIC TUMOUR - FreeTumor');
  });
});

describe.runIf(dicomFixturesPresent('the app DICOM export test'))('dicomExportFiles (3-slice series, real converter)', () => {
  let source: DicomSeries;
  let image: ImageVolume;
  beforeAll(async () => {
    const files = ct3Files();
    source = scanDicom(files).series[0];
    image = (await convertSeries(source, files, await loadDcm2niix())).image;
  });

  it('writes a SEG that reads back voxel for voxel and a derived series that says synthetic, with new UIDs', () => {
    const [nx, ny, nz] = image.dims;
    const data = new Uint8Array(nx * ny * nz);
    // A liver block with a tumour inside it, on two of the three slices.
    for (let k = 0; k < 2; k++) for (let j = 200; j < 300; j++) for (let i = 150; i < 300; i++) data[i + nx * (j + ny * k)] = 1;
    for (let k = 1; k < 2; k++) for (let j = 240; j < 260; j++) for (let i = 200; i < 230; i++) data[i + nx * (j + ny * k)] = 2;
    const labels: LabelVolume = { dims: image.dims, affine: image.affine, data };
    const synthetic: ImageVolume = { ...image, data: image.data.map((v, n) => (data[n] === 2 ? v - 40 : v)) };
    const files = dicomExportFiles({ image: synthetic, labels, source, tumours: [{ organ: 'liver', sizeClass: 'tiny', P: 0.5 }], keepIdentifiers: false }, 'case1');
    expect(files[0].name).toBe('case1/SEG.dcm');
    expect(files.slice(1).map((f) => f.name)).toHaveLength(source.slices.length);
    for (const f of files.slice(1)) expect(f.name).toMatch(/^case1\/derived\/synthetic_\d+\.dcm$/);

    const seg = readSeg({ name: 'SEG.dcm', bytes: files[0].bytes }, { dims: image.dims, affine: image.affine });
    expect(seg.referencedSeriesUID).toBe(source.seriesInstanceUID);
    const match = segmentLabelMatch(seg.segments);
    expect(match.unmatched).toEqual([]);
    for (const [number, id] of match.mapping) {
      const mask = seg.masks.get(number)!;
      let differ = 0;
      for (let n = 0; n < data.length; n++) if (mask[n] !== (data[n] === id ? 1 : 0)) differ++;
      expect(differ, `segment ${number} (label ${id})`).toBe(0);
    }
    expect([...match.mapping.values()].sort()).toEqual([1, 2]);

    const derived = scanDicom(files.slice(1).map((f) => ({ name: f.name, bytes: f.bytes })));
    expect(derived.series).toHaveLength(1);
    const d = derived.series[0];
    expect(d.description).toBe(derivedSeriesDescription(source));
    expect(d.description).toMatch(/^SYNTHETIC TUMOUR/);
    expect(d.seriesInstanceUID).not.toBe(source.seriesInstanceUID);
    expect(d.studyInstanceUID).toBe(source.studyInstanceUID);
    const sourceSops = new Set(source.slices.map((s) => s.sopInstanceUID));
    expect(d.slices.every((s) => !sourceSops.has(s.sopInstanceUID))).toBe(true);
    const empty = (v: unknown) => v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
    expect(source.slices[0].dataset.PatientID).toBe('99000');
    expect(d.slices.every((s) => empty(s.dataset.PatientName) && empty(s.dataset.PatientID))).toBe(true);

    // "Keep DICOM identifiers" reaches the writers.
    const kept = dicomExportFiles({ image: synthetic, labels, source, tumours: [], keepIdentifiers: true });
    expect(scanDicom(kept.slice(1)).series[0].slices[0].dataset.PatientID).toBe('99000');
  });
});
