/**
 * The data of a multi-reader multi-case (MRMC) study: every reader rates every case of a
 * modality. Truth 1 is the "positive" class (diseased in radiology; "synthetic" in our reader
 * study), and a higher rating means "more likely positive".
 *
 * A modality may hold only some of the cases (`inModality`): the reader study compares passing
 * and failing synthetic tumours, which share the real items but not the synthetic ones.
 */

export interface MrmcData {
  readers: string[];
  modalities: string[];
  cases: string[];
  /** Per case: 1 positive, 0 negative. */
  truth: (0 | 1)[];
  /** ratings[t][r][c]: reader r's rating of case c in modality t (ignored where the case is not in t). */
  ratings: number[][][];
  /** inModality[t][c]: case c belongs to modality t. Absent: every case is in every modality. */
  inModality?: boolean[][];
}

export class MrmcInputError extends Error {
  override name = 'MrmcInputError';
}

export function caseInModality(data: MrmcData, t: number, c: number): boolean {
  return data.inModality ? data.inModality[t][c] : true;
}

/** Every case in every modality: the design the jackknife and DBM need. */
export function isCrossed(data: MrmcData): boolean {
  return !data.inModality || data.inModality.every((row) => row.every(Boolean));
}

/** One reader's ratings in one modality, split by truth. */
export function ratingsByTruth(data: MrmcData, t: number, r: number): { pos: number[]; neg: number[]; posCases: number[]; negCases: number[] } {
  const pos: number[] = [];
  const neg: number[] = [];
  const posCases: number[] = [];
  const negCases: number[] = [];
  data.truth.forEach((y, c) => {
    if (!caseInModality(data, t, c)) return;
    if (y === 1) {
      pos.push(data.ratings[t][r][c]);
      posCases.push(c);
    } else {
      neg.push(data.ratings[t][r][c]);
      negCases.push(c);
    }
  });
  return { pos, neg, posCases, negCases };
}

/**
 * Checks shape and values; `source` names where the data came from (a file name) so a problem
 * reads "vandyke.csv: reader 3 has no rating of case 17 in modality 2".
 */
export function validateMrmc(data: MrmcData, source = 'MRMC data'): MrmcData {
  const bad = (what: string): never => {
    throw new MrmcInputError(`${source}: ${what}`);
  };
  const t = data.modalities.length;
  const r = data.readers.length;
  const c = data.cases.length;
  if (t === 0) bad('no modality');
  if (r === 0) bad('no reader');
  if (c === 0) bad('no case');
  for (const [kind, names] of [['reader', data.readers], ['modality', data.modalities], ['case', data.cases]] as const) {
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) bad(`${kind} "${n}" is listed twice`);
      seen.add(n);
    }
  }
  if (data.truth.length !== c) bad(`${data.truth.length} truth values for ${c} cases`);
  data.truth.forEach((y, k) => {
    if (y !== 0 && y !== 1) bad(`case "${data.cases[k]}" has truth ${String(y)}: truth must be 0 or 1`);
  });
  if (data.inModality && (data.inModality.length !== t || data.inModality.some((row) => row.length !== c))) bad('the modality membership table does not match the modalities and cases');
  if (data.ratings.length !== t) bad(`ratings for ${data.ratings.length} modalities, expected ${t}`);
  for (let i = 0; i < t; i++) {
    if (data.ratings[i].length !== r) bad(`modality "${data.modalities[i]}" has ratings of ${data.ratings[i].length} readers, expected ${r}`);
    let nPos = 0;
    let nNeg = 0;
    for (let k = 0; k < c; k++) {
      if (!caseInModality(data, i, k)) continue;
      if (data.truth[k] === 1) nPos++;
      else nNeg++;
    }
    if (nPos < 2 || nNeg < 2) bad(`modality "${data.modalities[i]}" has ${nPos} positive and ${nNeg} negative cases: it needs at least two of each`);
    for (let j = 0; j < r; j++) {
      const row = data.ratings[i][j];
      if (row.length !== c) bad(`reader "${data.readers[j]}" has ${row.length} ratings in modality "${data.modalities[i]}", expected ${c}`);
      for (let k = 0; k < c; k++) {
        if (caseInModality(data, i, k) && !Number.isFinite(row[k])) {
          bad(`reader "${data.readers[j]}" has no rating of case "${data.cases[k]}" in modality "${data.modalities[i]}" (every reader must rate every case)`);
        }
      }
    }
  }
  return data;
}

/** One row of the long ("reader, modality, case, truth, rating") table the standard tools read. */
export interface LongRow {
  reader: string;
  modality: string;
  case: string;
  truth: number;
  rating: number;
}

/**
 * Long table → MRMC data: readers, modalities and cases in order of first appearance, or cases in
 * `caseOrder` when given (an iMRMC file lists them in its truth rows).
 */
export function fromLongRows(rows: readonly LongRow[], source = 'MRMC table', caseOrder: readonly string[] = []): MrmcData {
  const readers: string[] = [];
  const modalities: string[] = [];
  const cases: string[] = [];
  const index = (list: string[], map: Map<string, number>, key: string) => {
    let n = map.get(key);
    if (n === undefined) {
      n = list.length;
      list.push(key);
      map.set(key, n);
    }
    return n;
  };
  const rIdx = new Map<string, number>();
  const tIdx = new Map<string, number>();
  const cIdx = new Map<string, number>();
  for (const c of caseOrder) index(cases, cIdx, c);
  const truthOf = new Map<number, number>();
  const cells: { t: number; r: number; c: number; rating: number; line: number }[] = [];
  rows.forEach((row, n) => {
    const r = index(readers, rIdx, row.reader);
    const t = index(modalities, tIdx, row.modality);
    const c = index(cases, cIdx, row.case);
    const before = truthOf.get(c);
    if (before !== undefined && before !== row.truth) throw new MrmcInputError(`${source}: case "${row.case}" has truth ${before} and ${row.truth} (row ${n + 1})`);
    truthOf.set(c, row.truth);
    cells.push({ t, r, c, rating: row.rating, line: n + 1 });
  });
  const ratings = modalities.map(() => readers.map(() => new Array<number>(cases.length).fill(NaN)));
  const present = modalities.map(() => new Array<boolean>(cases.length).fill(false));
  for (const cell of cells) {
    if (!Number.isNaN(ratings[cell.t][cell.r][cell.c])) {
      throw new MrmcInputError(`${source}: reader "${readers[cell.r]}" rates case "${cases[cell.c]}" in modality "${modalities[cell.t]}" twice (row ${cell.line})`);
    }
    ratings[cell.t][cell.r][cell.c] = cell.rating;
    present[cell.t][cell.c] = true;
  }
  const unread = cases.findIndex((_, c) => !truthOf.has(c));
  if (unread >= 0) throw new MrmcInputError(`${source}: case "${cases[unread]}" has no ratings`);
  const crossed = present.every((row) => row.every(Boolean));
  return validateMrmc(
    {
      readers,
      modalities,
      cases,
      truth: cases.map((_, c) => truthOf.get(c) as 0 | 1),
      ratings,
      ...(crossed ? {} : { inModality: present }),
    },
    source,
  );
}
