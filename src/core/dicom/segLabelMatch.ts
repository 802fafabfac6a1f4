/**
 * Mapping SEG segments onto the project's label ids (src/core/labels.ts) from their words: the
 * SegmentLabel first, then the coded meanings (SegmentedPropertyType, AnatomicRegion).
 *
 * The match is deliberately narrow: a text counts only when every word in it is an organ, a
 * tumour synonym, a side, or a filler word ("segment 1", "mask", "synthetic", "P", numbers).
 * "Liver vessels" or "Kidney cyst" name something more specific than the organ and stay unmatched,
 * as does "Tumour" when nothing says which organ; the app asks the user about those.
 */
import { ORGAN_IDS, type Organ } from '../labels.ts';
import type { DicomSegmentInfo } from './types.ts';

export interface SegmentLabelMatch {
  /** Segment number → project label id. Several segments may share an id (left and right kidney). */
  mapping: Map<number, number>;
  /** Segments no rule matched, for the app's mapping dialog. */
  unmatched: DicomSegmentInfo[];
}

const ORGAN_WORDS: Record<string, Organ> = {
  liver: 'liver',
  livers: 'liver',
  hepatic: 'liver',
  hepar: 'liver',
  hepatocellular: 'liver',
  pancreas: 'pancreas',
  pancreatic: 'pancreas',
  kidney: 'kidney',
  kidneys: 'kidney',
  renal: 'kidney',
};

const TUMOUR_WORDS = new Set([
  'tumor',
  'tumors',
  'tumour',
  'tumours',
  'lesion',
  'lesions',
  'neoplasm',
  'neoplasms',
  'neoplastic',
  'mass',
  'masses',
  'cancer',
  'cancers',
  'carcinoma',
  'adenocarcinoma',
  'metastasis',
  'metastases',
  'metastatic',
  'malignancy',
  'malignant',
]);

/** Abbreviations naming organ and tumour at once. */
const ORGAN_TUMOUR_WORDS: Record<string, Organ> = { hcc: 'liver', pdac: 'pancreas', rcc: 'kidney' };

const FILLER_WORDS = new Set([
  'left',
  'right',
  'l',
  'r',
  'lt',
  'rt',
  'the',
  'of',
  'and',
  'in',
  'whole',
  'total',
  'entire',
  'segment',
  'segmentation',
  'seg',
  'mask',
  'label',
  'region',
  'roi',
  'structure',
  'tissue',
  'organ',
  'synthetic',
  'simulated',
  'freetumor',
  'primary',
  'secondary',
  'small',
  'medium',
  'large',
  'tiny',
  'p',
  'cell',
]);

interface Words {
  organs: Set<Organ>;
  tumour: boolean;
  /** Some word is neither organ, tumour, side nor filler. */
  unknown: boolean;
}

function analyse(text: string | null): Words {
  const out: Words = { organs: new Set(), tumour: false, unknown: false };
  if (!text) return out;
  const words = text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
  for (const w of words) {
    if (ORGAN_WORDS[w]) out.organs.add(ORGAN_WORDS[w]);
    else if (ORGAN_TUMOUR_WORDS[w]) {
      out.organs.add(ORGAN_TUMOUR_WORDS[w]);
      out.tumour = true;
    } else if (TUMOUR_WORDS.has(w)) out.tumour = true;
    else if (!FILLER_WORDS.has(w) && !/^\d+(\.\d+)?$/.test(w)) out.unknown = true;
  }
  return out;
}

const hasContent = (w: Words): boolean => w.organs.size > 0 || w.tumour;

function merge(a: Words, b: Words): Words {
  return { organs: new Set([...a.organs, ...b.organs]), tumour: a.tumour || b.tumour, unknown: a.unknown || b.unknown };
}

/** The project label id for one segment, or null when its words do not decide it. */
function labelIdOf(seg: DicomSegmentInfo & { anatomicRegion?: string | null }): number | null {
  const label = analyse(seg.label);
  const coded = merge(analyse(seg.type), analyse(seg.anatomicRegion ?? null));
  const codedUsable = hasContent(coded) && !coded.unknown && coded.organs.size <= 1;
  let organs: Set<Organ>;
  let tumour: boolean;
  if (hasContent(label)) {
    if (label.unknown || label.organs.size > 1) return null;
    organs = label.organs.size > 0 ? label.organs : codedUsable ? coded.organs : new Set();
    tumour = label.tumour || (codedUsable && coded.tumour);
  } else if (codedUsable) {
    organs = coded.organs;
    tumour = coded.tumour;
  } else {
    return null;
  }
  if (organs.size !== 1) return null;
  const organ = [...organs][0];
  return tumour ? ORGAN_IDS[organ].tumor : ORGAN_IDS[organ].organ;
}

export function segmentLabelMatch(segments: DicomSegmentInfo[]): SegmentLabelMatch {
  const mapping = new Map<number, number>();
  const unmatched: DicomSegmentInfo[] = [];
  for (const s of segments) {
    const id = labelIdOf(s);
    if (id === null) unmatched.push(s);
    else mapping.set(s.number, id);
  }
  return { mapping, unmatched };
}
