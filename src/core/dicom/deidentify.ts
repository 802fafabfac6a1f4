/**
 * Removing patient-identifying attributes from a dataset before anything is written.
 *
 * With keepIdentifiers false (the default everywhere) the result holds:
 * - no identifying attribute (IDENTIFYING_KEYWORDS): Type-2 ones of the Patient and General Study
 *   modules (PatientName, PatientID, PatientBirthDate, PatientSex, StudyDate, StudyTime,
 *   ReferringPhysicianName, StudyID, AccessionNumber) are kept present but empty, as the image
 *   and SEG IODs require; all others are removed;
 * - no person name of any kind (every PN attribute), at any depth;
 * - no date or time (DA, DT, TM) from the source: the visit's dates identify as well as a name
 *   does. Writers add their own ContentDate/Time (the export's timestamp) afterwards, since the
 *   Segmentation IOD requires them;
 * - no private tag and nothing the DICOM dictionary does not name (group lengths, vendor blocks);
 * - PatientIdentityRemoved YES, DeidentificationMethod, LongitudinalTemporalInformationModified REMOVED.
 *
 * Kept on purpose: Study, Series and Frame of Reference UIDs. A SEG must share the study and the
 * frame of reference of the images it segments (OHIF only loads a SEG within its study), and it
 * references the source series and instances by UID; replacing them would cut that link. A UID
 * carries no name or date, but it does let someone holding the original series match the files.
 *
 * With keepIdentifiers true the dataset is returned as given (copied).
 */
import dcmjs from 'dcmjs';
import type { DicomDataset, PrivacyOptions } from './types.ts';

const { DicomMetaDictionary } = dcmjs.data;

export const IDENTIFYING_KEYWORDS: readonly string[] = [
  // Patient
  'PatientName',
  'PatientID',
  'IssuerOfPatientID',
  'IssuerOfPatientIDQualifiersSequence',
  'PatientBirthDate',
  'PatientBirthTime',
  'PatientSex',
  'PatientAge',
  'PatientSize',
  'PatientWeight',
  'OtherPatientIDs',
  'OtherPatientIDsSequence',
  'OtherPatientNames',
  'PatientBirthName',
  'PatientMotherBirthName',
  'PatientAddress',
  'PatientTelephoneNumbers',
  'MedicalRecordLocator',
  'EthnicGroup',
  'Occupation',
  'AdditionalPatientHistory',
  'PatientComments',
  'MilitaryRank',
  'BranchOfService',
  'CountryOfResidence',
  'RegionOfResidence',
  'PatientReligiousPreference',
  'MedicalAlerts',
  'Allergies',
  'PregnancyStatus',
  'ResponsiblePerson',
  'ResponsibleOrganization',
  'PatientInsurancePlanCodeSequence',
  'ReferencedPatientSequence',
  // Study / visit
  'AccessionNumber',
  'StudyID',
  'StudyDescription',
  'AdmissionID',
  'ReferencedStudySequence',
  'ReferencedPerformedProcedureStepSequence',
  'RequestAttributesSequence',
  'RequestedProcedureID',
  'ScheduledProcedureStepID',
  'PerformedProcedureStepID',
  'PerformedProcedureStepDescription',
  'ProtocolName',
  'ImageComments',
  // Institution, people, equipment
  'InstitutionName',
  'InstitutionAddress',
  'InstitutionalDepartmentName',
  'InstitutionCodeSequence',
  'ReferringPhysicianName',
  'ReferringPhysicianAddress',
  'ReferringPhysicianTelephoneNumbers',
  'ReferringPhysicianIdentificationSequence',
  'PerformingPhysicianName',
  'PerformingPhysicianIdentificationSequence',
  'OperatorsName',
  'OperatorIdentificationSequence',
  'PhysiciansOfRecord',
  'PhysiciansOfRecordIdentificationSequence',
  'NameOfPhysiciansReadingStudy',
  'RequestingPhysician',
  'ScheduledPerformingPhysicianName',
  'StationName',
  'DeviceSerialNumber',
  'DeviceUID',
  // Dates and times of the visit (every other DA/DT/TM goes too, by VR)
  'StudyDate',
  'StudyTime',
  'SeriesDate',
  'SeriesTime',
  'AcquisitionDate',
  'AcquisitionTime',
  'AcquisitionDateTime',
  'ContentDate',
  'ContentTime',
  'InstanceCreationDate',
  'InstanceCreationTime',
];

/** Type-2 attributes of the Patient and General Study modules: every object must carry them, empty if need be. */
export const PATIENT_STUDY_TYPE2: readonly string[] = [
  'PatientName',
  'PatientID',
  'PatientBirthDate',
  'PatientSex',
  'StudyDate',
  'StudyTime',
  'ReferringPhysicianName',
  'StudyID',
  'AccessionNumber',
];

/** Identifying attributes that are Type 2 where they appear: kept, empty. */
export const TYPE2_BLANKED: readonly string[] = [...PATIENT_STUDY_TYPE2, 'ContentCreatorName'];

export const DEIDENTIFICATION_METHOD = 'FreeTumor Workbench: names, IDs, dates, private tags removed';

const IDENTIFYING = new Set(IDENTIFYING_KEYWORDS);
const BLANKED = new Set(TYPE2_BLANKED);
const DATE_TIME_VRS = new Set(['DA', 'DT', 'TM']);

function vrOf(keyword: string): string | null {
  return DicomMetaDictionary.nameMap[keyword]?.vr ?? null;
}

function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (value && typeof value === 'object' && !(value instanceof ArrayBuffer) && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = copy(v);
    return out;
  }
  return value;
}

function scrub(ds: DicomDataset): DicomDataset {
  const out: DicomDataset = {};
  for (const [k, v] of Object.entries(ds)) {
    if (k === '_vrMap' || k === '_meta') {
      out[k] = copy(v);
      continue;
    }
    const vr = vrOf(k);
    if (vr === null) continue; // private tag, group length, or unknown to the dictionary
    const identifying = IDENTIFYING.has(k) || vr === 'PN' || DATE_TIME_VRS.has(vr);
    if (identifying) {
      if (BLANKED.has(k)) out[k] = '';
      continue;
    }
    out[k] = vr === 'SQ' && Array.isArray(v) ? v.map((item) => scrub(item as DicomDataset)) : copy(v);
  }
  return out;
}

export function deidentify(ds: DicomDataset, opts: PrivacyOptions): DicomDataset {
  if (opts.keepIdentifiers) return copy(ds) as DicomDataset;
  const out = scrub(ds);
  out.PatientIdentityRemoved = 'YES';
  out.DeidentificationMethod = DEIDENTIFICATION_METHOD;
  out.LongitudinalTemporalInformationModified = 'REMOVED';
  return out;
}

/** Whether a keyword names something deidentify removes or blanks (for tests and the app's notice). */
export function isIdentifyingKeyword(keyword: string): boolean {
  const vr = vrOf(keyword);
  return IDENTIFYING.has(keyword) || vr === 'PN' || (vr !== null && DATE_TIME_VRS.has(vr));
}
