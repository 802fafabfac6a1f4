/**
 * scanDicom on the real fixtures and on broken variants of them built in memory (headers edited
 * with dcmjs, slices left out, junk added). Pure: no converter runs here (src/node/dicom.test.ts
 * converts).
 */
import { describe, expect, it } from 'vitest';
import { CT3_SLICES, CT_J2K_DIR, CT3_DIR, ct3Files, dicomFixturesPresent, editDicom, encapsulate, encodeRle, readFolder } from '../../node/testing/dicomFixtures.ts';
import { scanDicom } from './scan.ts';
import { lpsToRas, seriesAffine, seriesSummary, sliceNormal } from './seriesGeometry.ts';
import { transferSyntaxName, transferSyntaxSupported } from './transferSyntax.ts';
import type { DicomFileInput, DicomProgress } from './types.ts';

const present = dicomFixturesPresent('DICOM scan tests');
const j2k = () => readFolder(CT_J2K_DIR);
const IPP = '00200032';
const IOP = '00200037';

describe('transfer syntaxes', () => {
  it('names each syntax and supports exactly what the converter decodes', () => {
    expect(transferSyntaxName('1.2.840.10008.1.2.4.90')).toBe('JPEG 2000 Image Compression (Lossless Only)');
    for (const uid of ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.81', '1.2.840.10008.1.2.5', '1.2.840.10008.1.2.4.50']) {
      expect(transferSyntaxSupported(uid), uid).toBe(true);
    }
    for (const [uid, name] of [
      ['1.2.840.10008.1.2.4.201', /High-Throughput JPEG 2000/],
      ['1.2.840.10008.1.2.4.110', /JPEG XL/],
      ['1.2.840.10008.1.2.4.102', /MPEG-4/],
      ['1.2.840.10008.1.2.1.99', /Deflated/],
      ['1.2.3.4', /unknown transfer syntax 1\.2\.3\.4/],
    ] as const) {
      expect(transferSyntaxSupported(uid), uid).toBe(false);
      expect(transferSyntaxName(uid)).toMatch(name);
    }
  });
});

describe('series geometry', () => {
  it('LPS → RAS negates x and y; the normal is row × column', () => {
    expect(lpsToRas([1, 2, 3])).toEqual([-1, -2, 3]);
    expect(sliceNormal([1, 0, 0, 0, 1, 0])).toEqual([0, 0, 1]);
    expect(sliceNormal([0, 1, 0, 0, 0, -1])).toEqual([-1, 0, 0]);
  });
});

describe.skipIf(!present)('scanDicom on the fixtures', () => {
  it('finds the 20-slice JPEG-2000 series, sorted along the normal, with no problem', () => {
    const progress: DicomProgress[] = [];
    const scan = scanDicom(j2k(), (p) => progress.push(p));
    expect(scan.skipped).toEqual([]);
    expect(scan.segs).toEqual([]);
    expect(scan.series).toHaveLength(1);
    const s = scan.series[0];
    expect(s.problems).toEqual([]);
    expect([s.columns, s.rows, s.slices.length]).toEqual([512, 512, 20]);
    expect(s.pixelSpacing).toEqual([0.9765625, 0.9765625]);
    expect(s.sliceSpacing).toBeCloseTo(2, 9);
    expect(s.transferSyntaxUID).toBe('1.2.840.10008.1.2.4.90');
    expect(s.description).toBe('CT Body 3.0');
    // This export blanked Series/SOP UIDs in the dataset; the file meta still names each instance.
    expect(s.seriesInstanceUID).toBe('');
    expect(s.slices.every((x) => x.sopInstanceUID.startsWith('1.3.12.2.1107.5.1.4.60064.'))).toBe(true);
    const z = s.slices.map((x) => x.position[2]);
    expect(z[0]).toBe(-804.5);
    expect(z[19]).toBe(-766.5);
    expect(z.every((v, n) => n === 0 || v - z[n - 1] === 2)).toBe(true);
    expect(seriesSummary(s)).toBe('CT Body 3.0 · 20 slices · 512×512 · 0.977×0.977×2 mm');
    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: 20 }, (_, n) => n + 1));
    expect(progress.every((p) => p.stage === 'scanning' && p.total === 20)).toBe(true);
  });

  it('reads headers only: files cut right after the PixelData tag scan the same', () => {
    const whole = scanDicom(j2k());
    const cut = j2k().map((f) => {
      const at = pixelDataTagAt(f.bytes);
      return { name: f.name, bytes: f.bytes.slice(0, at + 12) };
    });
    const s = scanDicom(cut);
    expect(s.skipped).toEqual([]);
    expect(s.series.map(seriesSummary)).toEqual(whole.series.map(seriesSummary));
    expect(s.series[0].slices.map((x) => x.file)).toEqual(whole.series[0].slices.map((x) => x.file));
  });

  it('the 3-slice folder: one series, one SEG referencing it, and the NRRD files skipped by name', () => {
    const scan = scanDicom(readFolder(CT3_DIR));
    expect(scan.series).toHaveLength(1);
    const s = scan.series[0];
    expect(s.problems).toEqual([]);
    expect(s.seriesNumber).toBe(2);
    expect(s.slices.map((x) => x.file)).toEqual(['ct-3slice_03.dcm', 'ct-3slice_02.dcm', 'ct-3slice_01.dcm']);
    expect(scan.segs).toEqual([
      {
        file: 'liver.dcm',
        seriesInstanceUID: expect.stringMatching(/^1\.2\./),
        referencedSeriesUID: s.seriesInstanceUID,
        segments: [{ number: 1, label: 'Liver', type: 'Liver', category: 'Tissue' }],
      },
    ]);
    expect(scan.skipped.map((k) => k.file).sort()).toEqual(['liver_seg.nrrd', 'liver_spine_seg.nrrd']);
    expect(scan.skipped[0].reason).toMatch(/not a DICOM file/);
  });

  it('the affine follows the headers: i along the row cosines, j against the column cosines, k ascending along the normal', () => {
    const s = scanDicom(ct3Files()).series[0];
    const ds = s.slices[0].dataset as { ImagePositionPatient: number[]; PixelSpacing: number[]; Rows: number };
    const [x, y, z] = ds.ImagePositionPatient;
    const [dr, dc] = ds.PixelSpacing;
    // RAS = (−x, −y, z); rows flipped, so j = 0 is the last DICOM row.
    const expected = [-dc, 0, 0, -x, 0, dr, 0, -(y + (ds.Rows - 1) * dr), 0, 0, 1, z, 0, 0, 0, 1];
    seriesAffine(s).forEach((v, n) => expect(v).toBeCloseTo(expected[n], 9));
  });
});

describe.skipIf(!present)('broken series: each problem named with its file(s), nothing thrown', () => {
  it('a missing slice', () => {
    const files = j2k();
    const [gone] = files.splice(10, 1);
    const s = scanDicom(files).series[0];
    expect(s.problems).toHaveLength(1);
    expect(s.problems[0]).toMatch(/^missing slice\(s\): 4 mm between \S+ and \S+ \(≈ 1 slice missing\), where the slice spacing is 2 mm$/);
    // The neighbours of the removed file are named.
    const sorted = readFolder(CT_J2K_DIR).map((f) => f.name);
    const n = sorted.indexOf(gone.name);
    expect(s.problems[0]).toContain(sorted[n - 1]);
    expect(s.problems[0]).toContain(sorted[n + 1]);
  });

  it('inconsistent spacing: one slice moved by 0.6 mm', () => {
    const files = j2k();
    const victim = files[7];
    const pos = (scanDicom([victim]).series[0].slices[0].position as number[]).slice();
    pos[2] += 0.6;
    victim.bytes = editDicom(victim.bytes, { [IPP]: pos });
    const s = scanDicom(files).series[0];
    expect(s.problems).toHaveLength(1);
    expect(s.problems[0]).toMatch(/^inconsistent slice spacing: (1\.4|2\.6) mm between \S+ and \S+, (1\.4|2\.6) mm between \S+ and \S+, where the other slices are 2 mm apart$/);
    expect(s.problems[0]).toContain(victim.name);
  });

  it('a non-DICOM file, an empty file and garbage behind a DICM marker are skipped with a reason', () => {
    const junk = new Uint8Array(600).fill(7);
    junk.set([0x44, 0x49, 0x43, 0x4d], 128);
    const files: DicomFileInput[] = [
      ...j2k(),
      { name: 'notes.txt', bytes: new TextEncoder().encode('not an image\n') },
      { name: 'empty.dcm', bytes: new Uint8Array(0) },
      { name: 'garbage.dcm', bytes: junk },
      { name: 'truncated.dcm', bytes: j2k()[0].bytes.slice(0, 400) },
    ];
    const scan = scanDicom(files);
    expect(scan.series).toHaveLength(1);
    expect(scan.series[0].problems).toEqual([]);
    const why = Object.fromEntries(scan.skipped.map((k) => [k.file, k.reason]));
    expect(why['notes.txt']).toMatch(/^not a DICOM file/);
    expect(why['empty.dcm']).toBe('empty file');
    expect(why['garbage.dcm']).toMatch(/^unreadable DICOM header: /);
    expect(why['truncated.dcm']).toMatch(/^(unreadable DICOM header|not an image: no pixel data)/);
  });

  it('two series in one folder are a list to choose from, not a problem', () => {
    const scan = scanDicom([...j2k(), ...ct3Files()]);
    expect(scan.series.map((s) => [s.slices.length, s.problems])).toEqual([
      [3, []],
      [20, []],
    ]);
  });

  it('mixed sizes or orientations within one series UID', () => {
    const files = ct3Files();
    files[1].bytes = editDicom(files[1].bytes, { [IOP]: [0, 1, 0, 0, 0, -1] });
    files.push({ name: 'small.dcm', bytes: editDicom(ct3Files()[0].bytes, { '00280011': [256], '00080018': ['1.2.3.4.5'] }) });
    const [s] = scanDicom(files).series;
    const mixed = s.problems.find((p) => p.startsWith('mixed series'));
    expect(mixed).toMatch(/slices differ in size, pixel spacing or orientation/);
    expect(mixed).toContain('ct-3slice_02.dcm');
    expect(mixed).toContain('small.dcm');
    expect(mixed).toContain('256×512');
  });

  it('two slices at one position (two acquisitions in one series)', () => {
    const files = [...ct3Files(), { name: 'again.dcm', bytes: editDicom(ct3Files()[2].bytes, { '00080018': ['1.2.3.4.6'] }) }];
    const [s] = scanDicom(files).series;
    expect(s.problems).toHaveLength(1);
    expect(s.problems[0]).toMatch(/^1 pair\(s\) of slices at the same position \((again\.dcm and ct-3slice_03\.dcm|ct-3slice_03\.dcm and again\.dcm)\)/);
  });

  it('a sheared stack (gantry tilt) and a single slice', () => {
    const files = ct3Files().map((f, n) => {
      const pos = (scanDicom([f]).series[0].slices[0].position as number[]).slice();
      pos[1] += 0.2 * n;
      return { name: f.name, bytes: editDicom(f.bytes, { [IPP]: pos }) };
    });
    expect(scanDicom(files).series[0].problems.join()).toMatch(/not stacked along their normal \(gantry tilt or shear\): ct-3slice_0\d\.dcm → /);
    expect(scanDicom(ct3Files().slice(0, 1)).series[0].problems).toEqual(['only one slice (ct-3slice_01.dcm): a volume needs at least two']);
  });

  it('transfer syntaxes the converter cannot decode are refused by name', () => {
    const htj2k = ct3Files().map((f) => ({ name: f.name, bytes: encapsulate(f.bytes, '1.2.840.10008.1.2.4.201', encodeRle) }));
    const [s] = scanDicom(htj2k).series;
    expect(s.problems).toEqual([
      `unsupported transfer syntax High-Throughput JPEG 2000 Image Compression (Lossless Only) (1.2.840.10008.1.2.4.201) in ${CT3_SLICES.join(', ')}: decompress the series (e.g. to Explicit VR Little Endian) before opening it`,
    ]);
    const baseline16 = ct3Files().map((f) => ({ name: f.name, bytes: encapsulate(f.bytes, '1.2.840.10008.1.2.4.50', encodeRle) }));
    expect(scanDicom(baseline16).series[0].problems).toEqual([`JPEG Baseline (Process 1) with more than 8 bits per sample cannot be decoded, in ${CT3_SLICES.join(', ')}`]);
  });

  it('localisers and non-image objects are skipped; differing rescale is a problem', () => {
    const files = ct3Files();
    files.push({ name: 'scout.dcm', bytes: editDicom(files[0].bytes, { '00080008': ['ORIGINAL', 'PRIMARY', 'LOCALIZER'], '00080018': ['1.2.3.7'] }, { '00080008': 'CS' }) });
    files.push({ name: 'report.dcm', bytes: editDicom(files[0].bytes, { '00080016': ['1.2.840.10008.5.1.4.1.1.88.22'], '00020002': ['1.2.840.10008.5.1.4.1.1.88.22'] }, { '00080016': 'UI', '00020002': 'UI' }) });
    files[1].bytes = editDicom(files[1].bytes, { '00281052': [-1000] }, { '00281052': 'DS' });
    const scan = scanDicom(files);
    const why = Object.fromEntries(scan.skipped.map((k) => [k.file, k.reason]));
    expect(why['scout.dcm']).toBe('localiser (ImageType LOCALIZER), not part of a volume');
    expect(why['report.dcm']).toBe('not an image: a structured report (SOP class 1.2.840.10008.5.1.4.1.1.88.22)');
    expect(scan.series[0].problems).toEqual([
      expect.stringMatching(/^rescale slope\/intercept differ between slices \(slope 1, intercept -1024: ct-3slice_01\.dcm, ct-3slice_03\.dcm; slope 1, intercept -1000: ct-3slice_02\.dcm\)/),
    ]);
  });
});

/** Byte offset of the PixelData element of an explicit-VR file: tag (7FE0,0010) then VR OB/OW. */
function pixelDataTagAt(bytes: Uint8Array): number {
  for (let n = 132; n + 6 <= bytes.length; n++) {
    if (bytes[n] === 0xe0 && bytes[n + 1] === 0x7f && bytes[n + 2] === 0x10 && bytes[n + 3] === 0x00 && bytes[n + 4] === 0x4f && (bytes[n + 5] === 0x42 || bytes[n + 5] === 0x57)) return n;
  }
  throw new Error('no PixelData element');
}
