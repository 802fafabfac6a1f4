/**
 * Coded concepts for the project's labels in written SEGs (SNOMED CT, scheme "SCT", as DICOM
 * CID 7150/7151/7160 use them; "SRT" is the deprecated designator for the same codes), and their
 * display colours as DICOM CIELab.
 *
 * An organ is category "Anatomical Structure", type = the organ. A tumour is category
 * "Morphologically Altered Structure", type "Neoplasm", with the organ as AnatomicRegion — the
 * pattern 3D Slicer's and OHIF's terminologies use, so both show "Neoplasm" in "Liver".
 */
import { ORGAN_IDS, type Organ, PROJECT_LABEL_COLORS } from '../labels.ts';

export interface Code {
  CodeValue: string;
  CodingSchemeDesignator: string;
  CodeMeaning: string;
}

const sct = (value: string, meaning: string): Code => ({ CodeValue: value, CodingSchemeDesignator: 'SCT', CodeMeaning: meaning });

export const ORGAN_CODES: Record<Organ, Code> = {
  liver: sct('10200004', 'Liver'),
  pancreas: sct('15776009', 'Pancreas'),
  kidney: sct('64033007', 'Kidney'),
};
export const ANATOMICAL_STRUCTURE = sct('123037004', 'Anatomical Structure');
export const MORPHOLOGICALLY_ALTERED_STRUCTURE = sct('49755003', 'Morphologically Altered Structure');
export const NEOPLASM = sct('108369006', 'Neoplasm');

/** DICOM DCM codes used in derivation references. */
export const SEGMENTATION_DERIVATION = { CodeValue: '113076', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Segmentation' };
export const SOURCE_IMAGE_PURPOSE = {
  CodeValue: '121322',
  CodingSchemeDesignator: 'DCM',
  CodeMeaning: 'Source image for image processing operation',
};

export interface SegmentCodes {
  category: Code;
  type: Code;
  anatomicRegion: Code | null;
}

/** Codes for a project label id; `organ` overrides the organ a tumour id implies. Null if not a project label. */
export function segmentCodes(labelId: number, organ?: Organ): SegmentCodes | null {
  for (const [o, ids] of Object.entries(ORGAN_IDS) as [Organ, { organ: number; tumor: number }][]) {
    if (labelId === ids.organ) return { category: ANATOMICAL_STRUCTURE, type: ORGAN_CODES[o], anatomicRegion: null };
    if (labelId === ids.tumor) {
      return { category: MORPHOLOGICALLY_ALTERED_STRUCTURE, type: NEOPLASM, anatomicRegion: ORGAN_CODES[organ ?? o] };
    }
  }
  return null;
}

/** sRGB 0–255 → DICOM CIELab (D65): L* 0..100 → 0..65535, a* and b* −128..127 → 0..65535. */
export function rgbToDicomLab(rgb: [number, number, number]): [number, number, number] {
  const lin = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const x = (0.4124564 * lin[0] + 0.3575761 * lin[1] + 0.1804375 * lin[2]) / 0.95047;
  const y = 0.2126729 * lin[0] + 0.7151522 * lin[1] + 0.072175 * lin[2];
  const z = (0.0193339 * lin[0] + 0.119192 * lin[1] + 0.9503041 * lin[2]) / 1.08883;
  const f = (t: number): number => (t > (6 / 29) ** 3 ? Math.cbrt(t) : t / (3 * (6 / 29) ** 2) + 4 / 29);
  const L = 116 * f(y) - 16;
  const a = 500 * (f(x) - f(y));
  const b = 200 * (f(y) - f(z));
  const clamp = (v: number): number => Math.min(65535, Math.max(0, Math.round(v)));
  return [clamp((L * 65535) / 100), clamp(((a + 128) * 65535) / 255), clamp(((b + 128) * 65535) / 255)];
}

/** Display colour of a project label (grey for ids without one). */
export function labelDicomLab(labelId: number): [number, number, number] {
  return rgbToDicomLab(PROJECT_LABEL_COLORS[labelId] ?? [128, 128, 128]);
}
