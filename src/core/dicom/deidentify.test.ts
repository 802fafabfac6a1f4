import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { describe, expect, it } from 'vitest';
import {
  converterGrid,
  CT3_DIR,
  CT_J2K_DIR,
  ct3Series,
  dicomFixturesPresent,
  j2kSeries,
  liverSegFile,
  parseDicom,
} from '../../node/testing/segFixtures.ts';
import { DEIDENTIFICATION_METHOD, deidentify, IDENTIFYING_KEYWORDS, isIdentifyingKeyword, TYPE2_BLANKED } from './deidentify.ts';
import { writeDerivedSeries } from './derivedSeries.ts';
import { readSeg } from './segRead.ts';
import { writeSeg } from './segWrite.ts';
import type { DicomDataset } from './types.ts';

const present = dicomFixturesPresent('de-identification of the fixture headers');
const nameMap = dcmjs.data.DicomMetaDictionary.nameMap;

const isEmpty = (v: unknown) => v === '' || v === null || (Array.isArray(v) && v.length === 0);

/** Every (path, keyword, value) of a naturalized dataset, sequences included. */
function walk(ds: DicomDataset, path = ''): [string, string, unknown][] {
  const out: [string, string, unknown][] = [];
  for (const [k, v] of Object.entries(ds)) {
    if (k === '_vrMap' || k === '_meta') continue;
    out.push([`${path}${k}`, k, v]);
    if (nameMap[k]?.vr === 'SQ' && Array.isArray(v)) v.forEach((item, n) => out.push(...walk(item as DicomDataset, `${path}${k}[${n}].`)));
  }
  return out;
}

/** Attributes that still identify: private/unknown tags, or identifying keywords (PN, dates, …) with a value. */
function leaks(ds: DicomDataset, allowed: string[] = []): string[] {
  return walk(ds)
    .filter(([, k, v]) => !allowed.includes(k) && (!nameMap[k] || (isIdentifyingKeyword(k) && !isEmpty(v))))
    .map(([p, , v]) => `${p}=${JSON.stringify(v)}`);
}

function header(path: string): DicomDataset {
  return parseDicom(new Uint8Array(readFileSync(path))).ds;
}

describe('deidentify', () => {
  it('names only attributes the DICOM dictionary knows', () => {
    for (const k of [...IDENTIFYING_KEYWORDS, ...TYPE2_BLANKED]) expect(nameMap[k], k).toBeDefined();
    expect(DEIDENTIFICATION_METHOD.length).toBeLessThanOrEqual(64); // LO
  });

  it('removes names, dates and private tags at any depth, blanks Type-2 fields, keeps UIDs', () => {
    const ds: DicomDataset = {
      PatientName: [{ Alphabetic: 'DOE^JANE' }],
      PatientID: 'P123',
      PatientAge: '060Y',
      StudyDate: '20200101',
      AcquisitionTime: '101010',
      StudyInstanceUID: '1.2.3',
      SeriesInstanceUID: '1.2.3.4',
      FrameOfReferenceUID: '1.2.3.5',
      PixelSpacing: [0.5, 0.5],
      '00091001': 'vendor secret',
      RequestAttributesSequence: [{ RequestedProcedureID: 'X' }],
      ReferencedImageSequence: [{ ReferencedSOPInstanceUID: '1.2.3.4.5', PerformingPhysicianName: [{ Alphabetic: 'DR' }], ContentDate: '20200101', '00191010': 'x' }],
    };
    const before = JSON.stringify(ds);
    const out = deidentify(ds, { keepIdentifiers: false });
    expect(JSON.stringify(ds)).toBe(before); // input untouched
    expect(out).toEqual({
      PatientName: '',
      PatientID: '',
      StudyDate: '',
      StudyInstanceUID: '1.2.3',
      SeriesInstanceUID: '1.2.3.4',
      FrameOfReferenceUID: '1.2.3.5',
      PixelSpacing: [0.5, 0.5],
      ReferencedImageSequence: [{ ReferencedSOPInstanceUID: '1.2.3.4.5' }],
      PatientIdentityRemoved: 'YES',
      DeidentificationMethod: DEIDENTIFICATION_METHOD,
      LongitudinalTemporalInformationModified: 'REMOVED',
    });
  });

  it('returns an unchanged copy with keepIdentifiers', () => {
    const ds: DicomDataset = { PatientName: [{ Alphabetic: 'DOE^JANE' }], StudyDate: '20200101', '00091001': 'v', ReferencedImageSequence: [{ ReferencedSOPInstanceUID: '1.2' }] };
    const out = deidentify(ds, { keepIdentifiers: true });
    expect(out).toEqual(ds);
    (out.ReferencedImageSequence as DicomDataset[])[0].ReferencedSOPInstanceUID = 'changed';
    expect((ds.ReferencedImageSequence as DicomDataset[])[0].ReferencedSOPInstanceUID).toBe('1.2');
  });
});

describe.skipIf(!present)('deidentify on real headers and in written objects', () => {
  it.each([
    ['GE 3-slice CT', () => join(CT3_DIR, 'ct-3slice_01.dcm')],
    ['Siemens JPEG-2000 CT', () => join(CT_J2K_DIR, 'CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016573')],
  ])('leaves nothing identifying in the %s header', (_name, path) => {
    const ds = header(path());
    expect(leaks(ds).length).toBeGreaterThan(5); // the fixture does carry identifying data
    const out = deidentify(ds, { keepIdentifiers: false });
    expect(leaks(out)).toEqual([]);
    for (const k of ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'AccessionNumber']) {
      expect(k in out, k).toBe(true);
      expect(isEmpty(out[k]), k).toBe(true);
    }
    for (const k of ['StudyInstanceUID', 'SeriesInstanceUID', 'FrameOfReferenceUID', 'ImagePositionPatient', 'PixelSpacing', 'RescaleIntercept']) {
      expect(out[k], k).toEqual(ds[k]);
    }
    for (const k of ['InstitutionAddress', 'StationName', 'DeviceSerialNumber', 'PatientAge', 'ProtocolName', 'SeriesDate', 'AcquisitionTime']) {
      expect(out[k], k).toBeUndefined();
    }
    expect(out.PatientIdentityRemoved).toBe('YES');
  });

  it('written SEG and derived series carry no identifying value of the source', () => {
    const series = ct3Series();
    const grid = converterGrid(series);
    const liver = readSeg(liverSegFile(), grid).masks.get(1)!;
    const seg = writeSeg({ ...grid, data: liver }, series, [{ labelId: 1, label: 'Liver', description: 'liver' }], { keepIdentifiers: false });
    const derived = writeDerivedSeries({ ...grid, data: new Float32Array(liver.length) }, series, {
      keepIdentifiers: false,
      seriesDescription: 'SYNTHETIC TUMOUR — not for diagnosis',
    });
    const sourceValues = ['JANCT000', '99000', '03086212', '060Y', '20030417', '104607', 'GEMS'];
    const keepValues = [true, false].map((keep) =>
      Buffer.from(writeSeg({ ...grid, data: liver }, series, [{ labelId: 1, label: 'Liver', description: 'liver' }], { keepIdentifiers: keep })).toString('latin1'),
    );
    // The search is meaningful: with identifiers kept, the patient's name and ID are in the file.
    expect(keepValues[0]).toContain('JANCT000');
    expect(keepValues[0]).toContain('99000');
    for (const bytes of [seg, ...derived.map((f) => f.bytes)]) {
      const text = Buffer.from(bytes).toString('latin1');
      for (const v of sourceValues) expect(text.includes(v), v).toBe(false);
      // Our own equipment serial and export timestamps are the only such attributes with values.
      expect(leaks(parseDicom(bytes).ds, ['DeviceSerialNumber', 'ContentCreatorName', 'ContentDate', 'ContentTime', 'SeriesDate', 'SeriesTime', 'InstanceCreationDate', 'InstanceCreationTime'])).toEqual([]);
    }
  });

  it('the SEG of a Siemens series leaves out its institution, station and dates', () => {
    const series = j2kSeries();
    const grid = { dims: [512, 512, 20] as [number, number, number], affine: converterGrid(series).affine };
    const bytes = writeSeg({ ...grid, data: new Uint8Array(512 * 512 * 20) }, series, [{ labelId: 1, label: 'Liver', description: '' }], {
      keepIdentifiers: false,
      now: new Date(2030, 0, 2, 3, 4, 5),
    });
    const text = Buffer.from(bytes).toString('latin1');
    for (const v of ['Petersgraben', 'PETCT2', 'FDG_TK_KM', 'SECTRA', '2.16.756.5.30.1.149.1.2.1.1']) expect(text.includes(v), v).toBe(false);
    const dates = walk(parseDicom(bytes).ds).filter(([, k, v]) => ['DA', 'TM', 'DT'].includes(nameMap[k]?.vr) && !isEmpty(v));
    expect(dates.map(([, , v]) => String(v)).every((v) => v === '20300102' || v === '030405')).toBe(true);
  });
});
