/**
 * The reader study as an MRMC study, analysed by ORH (src/core/readerStudy/mrmc): does the
 * reader-averaged AUC of "synthetic" differ from 0.5, generalising to readers and cases alike?
 *
 * The rating is the 10-point synthetic score (`syntheticScore`: "synthetic" at confidence c → 5 + c,
 * "real" at c → 6 − c), so the binary FOMs (sensitivity, specificity, accuracy) are the readers'
 * own calls: "synthetic" ⇔ score ≥ 6.
 *
 * ORH needs every reader to read every case: the analysis takes the readers who answered every
 * item and names the others. Passing vs failing synthetic tumours is a second analysis with two
 * "modalities" that share the real items (a split design), so it uses DeLong covariances.
 */
import { averageRocCurve, type RocPoint } from '../../core/readerStudy/mrmc/averageRoc.ts';
import { delongCovariance, type FomCovariance } from '../../core/readerStudy/mrmc/delong.ts';
import type { MrmcData } from '../../core/readerStudy/mrmc/design.ts';
import type { FomKind, FomSpec } from '../../core/readerStudy/mrmc/figuresOfMerit.ts';
import { jackknifeCovariance } from '../../core/readerStudy/mrmc/jackknife.ts';
import { orhAnalysis, testAgainst, type Difference, type Generalisation, type ModalityResult, type OrComponents } from '../../core/readerStudy/mrmc/orh.ts';
import type { SinglePilot } from '../../core/readerStudy/mrmc/sampleSize.ts';
import { rocCurve, syntheticScore } from '../../core/readerStudy/statistics.ts';
import type { Answer, ItemKey } from './types.ts';

export type CovarianceMethod = 'delong' | 'jackknife';

/** Score ≥ 6 is a "synthetic" call. */
export const SYNTHETIC_CALL_THRESHOLD = 6;
export const ALPHA = 0.05;

const FOMS: { kind: FomKind; label: string; spec: FomSpec; chance: number | null }[] = [
  { kind: 'auc', label: 'AUC', spec: { kind: 'auc' }, chance: 0.5 },
  { kind: 'accuracy', label: 'accuracy', spec: { kind: 'accuracy', threshold: SYNTHETIC_CALL_THRESHOLD }, chance: 0.5 },
  // A reader at chance can have any sensitivity (a bias to "synthetic" raises it): no null value.
  { kind: 'sensitivity', label: 'sensitivity', spec: { kind: 'sensitivity', threshold: SYNTHETIC_CALL_THRESHOLD }, chance: null },
  { kind: 'specificity', label: 'specificity', spec: { kind: 'specificity', threshold: SYNTHETIC_CALL_THRESHOLD }, chance: null },
];

export interface VsChance {
  t: number;
  df: number;
  F: number;
  p: number;
}

export interface FomResult {
  kind: FomKind;
  label: string;
  /** The value "readers cannot tell" means (0.5), or null where none exists. */
  chance: number | null;
  modality: ModalityResult;
  vsChance: Record<Generalisation, VsChance> | null;
}

export interface ComparisonResult {
  names: [string, string];
  /** Synthetic items in each group; every real item is in both. */
  positives: [number, number];
  auc: { means: [number, number]; difference: Difference; test: { F: number; ddf: number; p: number } };
  sensitivity: { means: [number, number]; difference: Difference; test: { F: number; ddf: number; p: number } };
}

export interface MrmcSummary {
  covariance: CovarianceMethod;
  alpha: number;
  readers: string[];
  /** Readers left out because they did not answer every item. */
  excluded: { readerId: string; answered: number }[];
  cases: number;
  positives: number;
  negatives: number;
  /** Why there is no analysis (too few readers or items); null when there is one. */
  problem: string | null;
  foms: FomResult[];
  /** OR components of the AUC analysis (one modality: Var, Cov2, σ²_R). */
  components: OrComponents | null;
  /** The AUC analysis as a sample-size pilot. */
  pilot: SinglePilot | null;
  verdict: string;
  /** Passing vs failing synthetic tumours (DeLong, split design); null without both kinds. */
  comparison: ComparisonResult | null;
  /** Each reader's empirical ROC and their vertical average (its area = the mean AUC). */
  roc: { perReader: Record<string, RocPoint[]>; average: RocPoint[] };
}

/** Readers who answered every item of the key, and the others. */
function completeReaders(keys: readonly ItemKey[], answers: readonly Answer[]): { readers: string[]; excluded: MrmcSummary['excluded'] } {
  const ids = new Set(keys.map((k) => k.itemId));
  const byReader = new Map<string, Set<string>>();
  for (const a of answers) if (ids.has(a.itemId)) (byReader.get(a.readerId) ?? byReader.set(a.readerId, new Set()).get(a.readerId)!).add(a.itemId);
  const readers: string[] = [];
  const excluded: MrmcSummary['excluded'] = [];
  for (const r of [...byReader.keys()].sort()) {
    const n = byReader.get(r)!.size;
    if (n === ids.size) readers.push(r);
    else excluded.push({ readerId: r, answered: n });
  }
  return { readers, excluded };
}

/**
 * The study as MRMC data: one modality ("synthetic score"), items in key order, the readers who
 * answered all of them. This is also what the iMRMC and RJafroc exports hold.
 */
export function mrmcData(keys: readonly ItemKey[], answers: readonly Answer[]): MrmcData {
  const { readers } = completeReaders(keys, answers);
  const score = new Map(answers.map((a) => [`${a.readerId}\u0000${a.itemId}`, a]));
  return {
    readers,
    modalities: ['synthetic-score'],
    cases: keys.map((k) => k.itemId),
    truth: keys.map((k) => (k.truth === 'synthetic' ? 1 : 0)),
    ratings: [
      readers.map((r) =>
        keys.map((k) => {
          const a = score.get(`${r}\u0000${k.itemId}`)!;
          return syntheticScore({ truth: k.truth, answer: a.call, confidence: a.confidence });
        }),
      ),
    ],
  };
}

function covarianceOf(data: MrmcData, spec: FomSpec, method: CovarianceMethod): FomCovariance {
  return method === 'jackknife' ? jackknifeCovariance(data, spec) : delongCovariance(data, spec);
}

function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}

export function formatP(p: number): string {
  if (!Number.isFinite(p)) return '–';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** The plain-language sentence the results page leads with. */
export function verdictOf(auc: FomResult | undefined, readers: number, cases: number, method: CovarianceMethod, problem: string | null, mechanicsTest: boolean): string {
  const prefix = mechanicsTest ? 'Mechanics test (drawn labels, not tumours): this measures the software, not realism. ' : '';
  if (problem || !auc?.vsChance) return `${prefix}No MRMC verdict yet: ${problem ?? 'no analysis'}.`;
  const e = auc.modality.RRRC;
  const p = auc.vsChance.RRRC.p;
  if (!Number.isFinite(p)) {
    const each = auc.modality.perReader.every((x) => x === auc.modality.perReader[0]) ? ` ${fmt(auc.modality.perReader[0], 2)} each` : ` ${fmt(e.estimate, 2)} on average`;
    return `${prefix}Every reader separated real from synthetic tumours alike (AUC${each}, ${readers} readers × ${cases} cases): with no variability between readers or cases, the ORH test is undefined.`;
  }
  const facts = `(AUC ${fmt(e.estimate, 2)}, 95 % CI ${fmt(e.ci[0], 2)}–${fmt(e.ci[1], 2)}, p ${p < 0.001 ? '< 0.001' : `= ${formatP(p)}`}, ${readers} readers × ${cases} cases; ORH, random readers and cases, ${method === 'delong' ? 'DeLong' : 'jackknife'} covariances)`;
  if (!(p < ALPHA)) return `${prefix}Readers could not distinguish real from synthetic tumours ${facts}: the reader-averaged AUC is not significantly different from 0.5, chance.`;
  if (e.estimate > 0.5) return `${prefix}Readers could distinguish real from synthetic tumours ${facts}: the reader-averaged AUC is above 0.5, chance.`;
  return `${prefix}Readers told real from synthetic tumours worse than chance ${facts}: they tended to call synthetic tumours real and real ones synthetic.`;
}

/** A FOM lies in [0, 1]: its interval is cut there, as MRMCaov prints it (the test is unchanged). */
function clipped(m: ModalityResult): ModalityResult {
  const cut = (e: ModalityResult['RRRC']) => ({ ...e, ci: [Math.max(0, e.ci[0]), Math.min(1, e.ci[1])] as [number, number] });
  return { ...m, RRRC: cut(m.RRRC), FRRC: cut(m.FRRC), RRFC: cut(m.RRFC) };
}

function comparisonOf(keys: readonly ItemKey[], data: MrmcData): ComparisonResult | null {
  const group = (k: ItemKey) => (k.truth === 'real' ? 'both' : k.quality.pass === true ? 'passed' : k.quality.pass === false ? 'failed' : 'none');
  const g = keys.map(group);
  const nPassed = g.filter((x) => x === 'passed').length;
  const nFailed = g.filter((x) => x === 'failed').length;
  if (nPassed < 2 || nFailed < 2 || data.readers.length < 2) return null;
  const split: MrmcData = {
    ...data,
    modalities: ['passed', 'failed'],
    ratings: [data.ratings[0], data.ratings[0]],
    inModality: [g.map((x) => x === 'both' || x === 'passed'), g.map((x) => x === 'both' || x === 'failed')],
  };
  const one = (spec: FomSpec) => {
    const res = orhAnalysis(delongCovariance(split, spec), split.modalities, ALPHA);
    const t = res.tests!.RRRC;
    return { means: [res.modalities[0].fom, res.modalities[1].fom] as [number, number], difference: res.differences[0], test: { F: t.statistic, ddf: t.ddf, p: t.p } };
  };
  return {
    names: ['passed', 'failed'],
    positives: [nPassed, nFailed],
    auc: one({ kind: 'auc' }),
    sensitivity: one({ kind: 'sensitivity', threshold: SYNTHETIC_CALL_THRESHOLD }),
  };
}

export function mrmcSummary(keys: readonly ItemKey[], answers: readonly Answer[], method: CovarianceMethod = 'delong', mechanicsTest = false): MrmcSummary {
  const keyIds = new Set(keys.map((k) => k.itemId));
  const data = mrmcData(keys, answers.filter((a) => keyIds.has(a.itemId)));
  const { excluded } = completeReaders(keys, answers);
  const positives = data.truth.filter((y) => y === 1).length;
  const negatives = data.truth.length - positives;
  let problem: string | null = null;
  if (positives < 2 || negatives < 2) problem = `it needs at least 2 real and 2 synthetic items (the study has ${negatives} and ${positives})`;
  else if (data.readers.length < 2) problem = `it needs two or more readers who answered every item (${data.readers.length} did${excluded.length ? `; ${excluded.map((e) => `${e.readerId} answered ${e.answered} of ${keys.length}`).join(', ')}` : ''})`;
  const perReader: Record<string, RocPoint[]> = {};
  data.readers.forEach((r, j) => {
    const pos = data.truth.flatMap((y, c) => (y ? [data.ratings[0][j][c]] : []));
    const neg = data.truth.flatMap((y, c) => (y ? [] : [data.ratings[0][j][c]]));
    if (pos.length && neg.length) perReader[r] = rocCurve(pos, neg);
  });
  const base = {
    covariance: method,
    alpha: ALPHA,
    readers: data.readers,
    excluded,
    cases: data.cases.length,
    positives,
    negatives,
    roc: { perReader, average: averageRocCurve(Object.values(perReader)) },
  };
  if (problem) return { ...base, problem, foms: [], components: null, pilot: null, comparison: null, verdict: verdictOf(undefined, data.readers.length, data.cases.length, method, problem, mechanicsTest) };
  const foms: FomResult[] = FOMS.map((f) => {
    const res = orhAnalysis(covarianceOf(data, f.spec, method), data.modalities, ALPHA);
    const modality = clipped(res.modalities[0]);
    return { kind: f.kind, label: f.label, chance: f.chance, modality, vsChance: f.chance === null ? null : testAgainst(modality, f.chance) };
  });
  const aucRes = orhAnalysis(covarianceOf(data, { kind: 'auc' }, method), data.modalities, ALPHA);
  const m = aucRes.modalities[0];
  return {
    ...base,
    problem: null,
    foms,
    components: aucRes.components,
    pilot: { kStar: data.cases.length, varR: m.msR - m.var + m.cov2, var: m.var, cov2: m.cov2 },
    comparison: comparisonOf(keys, data),
    verdict: verdictOf(foms[0], data.readers.length, data.cases.length, method, null, mechanicsTest),
  };
}
