/**
 * What every object we derive from a source series shares: the Patient and General Study modules
 * (copied from the source, then de-identified unless the user keeps identifiers), the Frame of
 * Reference, our equipment, the export's timestamp and the UID helpers.
 *
 * Only an explicit list of source attributes is copied — never the whole header — so vendor and
 * private data cannot leak through a module we did not think of.
 */
import { VolumeError } from '../errors.ts';
import { deidentify, PATIENT_STUDY_TYPE2 } from './deidentify.ts';
import { decimalString, text } from './part10.ts';
import type { DicomDataset, DicomSeries, DicomSliceHeader, PrivacyOptions } from './types.ts';
import { nameUid, randomUid, type UidSource } from './uid.ts';

export const MANUFACTURER = 'FreeTumor Workbench';
export const DEFAULT_SOFTWARE_VERSION = '0.1.0';

/** Options every writer takes besides its own. */
export interface WriterOptions extends PrivacyOptions {
  /** Export time (ContentDate/Time, SeriesDate/Time); default now. */
  now?: Date;
  /** UID source for new Series/SOP/dimension UIDs; default random (2.25 UUIDs). */
  newUid?: UidSource;
  /** Written as SoftwareVersions; the app and CLI pass the package version. */
  softwareVersion?: string;
}

/** Patient + General Study (+ Patient Study) attributes taken from the source's first slice. */
const COPIED_FROM_SOURCE = [
  'PatientName',
  'PatientID',
  'IssuerOfPatientID',
  'PatientBirthDate',
  'PatientSex',
  'PatientAge',
  'PatientSize',
  'PatientWeight',
  'StudyDate',
  'StudyTime',
  'ReferringPhysicianName',
  'StudyID',
  'AccessionNumber',
  'StudyDescription',
];

/** Type-2 attributes of the Patient, General Study and Frame of Reference modules: present, maybe empty. */
const TYPE2_REQUIRED = [...PATIENT_STUDY_TYPE2, 'PositionReferenceIndicator'];

/** A stable name for the source series when it lacks UIDs (some anonymised exports blank them). */
function sourceKey(source: DicomSeries): string {
  return source.seriesInstanceUID || source.slices.map((s) => s.sopInstanceUID || s.file).join('|');
}

/** The source's Study UID, or a stable one derived from the series when it has none. */
export function studyUidOf(source: DicomSeries): string {
  return source.studyInstanceUID || nameUid(`FreeTumor study of ${sourceKey(source)}`);
}
export function seriesUidOf(source: DicomSeries): string {
  return source.seriesInstanceUID || nameUid(`FreeTumor series of ${sourceKey(source)}`);
}
export function frameOfReferenceUidOf(source: DicomSeries): string {
  return source.frameOfReferenceUID || nameUid(`FreeTumor frame of reference of ${sourceKey(source)}`);
}

/** Patient, General Study and Frame of Reference modules for an object derived from `source`. */
export function patientStudyModules(source: DicomSeries, opts: PrivacyOptions): DicomDataset {
  const first = source.slices[0]?.dataset ?? {};
  const copied: DicomDataset = {};
  for (const k of COPIED_FROM_SOURCE) if (first[k] !== undefined) copied[k] = first[k];
  const out = deidentify(copied, opts);
  delete out._vrMap;
  out.StudyInstanceUID = studyUidOf(source);
  out.FrameOfReferenceUID = frameOfReferenceUidOf(source);
  out.PositionReferenceIndicator = first.PositionReferenceIndicator ?? '';
  for (const k of TYPE2_REQUIRED) if (out[k] === undefined || out[k] === null) out[k] = '';
  return out;
}

/** DICOM DA and TM of a moment, in local time as DICOM expects. */
export function dicomDateTime(d: Date): { date: string; time: string } {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return {
    date: `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}`,
    time: `${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`,
  };
}

/** Equipment (General + Enhanced General Equipment): this software made the object. */
export function equipment(opts: WriterOptions): DicomDataset {
  return {
    Manufacturer: MANUFACTURER,
    ManufacturerModelName: MANUFACTURER,
    // Enhanced General Equipment needs a serial number (Type 1); ours is the software's, not a scanner's.
    DeviceSerialNumber: '1',
    SoftwareVersions: opts.softwareVersion ?? DEFAULT_SOFTWARE_VERSION,
  };
}

export function uidSource(opts: WriterOptions): UidSource {
  return opts.newUid ?? randomUid;
}

/** The slice's SOP Class and Instance UIDs, which derived objects must reference. */
export function sliceReference(slice: DicomSliceHeader): { ReferencedSOPClassUID: string; ReferencedSOPInstanceUID: string } {
  const cls = slice.sopClassUID || text(slice.dataset.SOPClassUID);
  const inst = slice.sopInstanceUID || text(slice.dataset.SOPInstanceUID);
  if (!cls || !inst) throw new VolumeError(slice.file, 'has no SOP Class/Instance UID, so a derived object cannot reference it');
  return { ReferencedSOPClassUID: cls, ReferencedSOPInstanceUID: inst };
}

/** LPS numbers as DS values within 16 characters. */
export function dsList(values: readonly number[]): number[] {
  return values.map(decimalString);
}

/**
 * A computed length (slice spacing from averaged positions) as a DS value: rounded to 1e-6 mm,
 * below any scanner's precision, so 0.99999999999999 is written as 1.
 */
export function roundedMm(x: number): number {
  return decimalString(Number(x.toFixed(6)));
}

/** A string for an LO attribute (64 characters), refused rather than cut. */
export function checkLongString(value: string, what: string, where: string): string {
  if (value.length > 64) throw new VolumeError(where, `${what} is ${value.length} characters; DICOM allows 64: '${value}'`);
  if (/[\\\r\n]/.test(value)) throw new VolumeError(where, `${what} may not contain a backslash or line break: '${value}'`);
  return value;
}
