/**
 * MRMC data in the formats the standard tools read, so a statistician can rerun our numbers:
 * - iMRMC (FDA/DIDSR, Gallas): free text, "NR:/N0:/N1:/NM:" counts, "BEGIN DATA:", then rows
 *   "readerID,caseID,modalityID,score" after truth rows "-1,caseID,0,truth". Split designs are
 *   allowed (iMRMC handles arbitrary designs).
 * - RJafroc's "MRMC" text table (DfReadDataFile(file, format = "MRMC"), also OR-DBM MRMC's .csv):
 *   a header, then "reader,modality,case,truth,rating" rows; integer case ids, every reader rating
 *   every case in every modality.
 * And the readers of both (for round trips and for checking data someone sends back).
 */
import { caseInModality, fromLongRows, MrmcInputError, type LongRow, type MrmcData } from './design.ts';

/** A name safe inside a comma-separated cell with no quoting (the tools do not unquote). */
export function safeId(name: string): string {
  const s = name.trim().replace(/[\s,;"']+/g, '_');
  return s.length ? s : '_';
}

function ratingText(x: number): string {
  return Number.isInteger(x) ? String(x) : String(x);
}

function checkIds(kind: string, names: readonly string[]): string[] {
  const ids = names.map(safeId);
  const seen = new Map<string, string>();
  ids.forEach((id, n) => {
    const other = seen.get(id);
    if (other !== undefined) throw new MrmcInputError(`${kind} names "${other}" and "${names[n]}" both become "${id}" in a comma-separated file: rename one`);
    seen.set(id, names[n]);
  });
  return ids;
}

/** RJafroc / OR-DBM MRMC text table. Case ids are 1…C in `data.cases` order. */
export function rjafrocTable(data: MrmcData): string {
  if (data.inModality && !data.inModality.every((row) => row.every(Boolean))) {
    throw new MrmcInputError('the RJafroc MRMC table needs every case read in every modality (a crossed design)');
  }
  const readers = checkIds('reader', data.readers);
  const modalities = checkIds('modality', data.modalities);
  const lines = ['reader,modality,case,truth,rating'];
  data.modalities.forEach((_, t) =>
    data.readers.forEach((_, r) =>
      data.cases.forEach((_, c) => lines.push(`${readers[r]},${modalities[t]},${c + 1},${data.truth[c]},${ratingText(data.ratings[t][r][c])}`)),
    ),
  );
  return lines.join('\n') + '\n';
}

/** iMRMC input file; `description` lines go in its free-text head (one case-id legend line per case is added). */
export function imrmcText(data: MrmcData, description: readonly string[] = []): string {
  const readers = checkIds('reader', data.readers);
  const modalities = checkIds('modality', data.modalities).map((m) => (m === '0' || m === '-1' ? `m${m}` : m));
  const n1 = data.truth.filter((y) => y === 1).length;
  const head = [...description, ...data.cases.map((name, c) => `case ${c + 1} is ${name}`)].map((line) =>
    // iMRMC and RJafroc take a line starting "NR:" etc. (or the data marker) as structure, not text.
    /^\s*(NR|N0|N1|NM)\s*:|BEGIN DATA:/i.test(line) ? `# ${line.replace(/:/g, ' -')}` : line,
  );
  const lines = [...head, '', `NR: ${data.readers.length}`, `N0: ${data.cases.length - n1}`, `N1: ${n1}`, `NM: ${data.modalities.length}`, '', 'BEGIN DATA:'];
  data.cases.forEach((_, c) => lines.push(`-1,${c + 1},0,${data.truth[c]}`));
  data.readers.forEach((_, r) =>
    data.modalities.forEach((_, t) =>
      data.cases.forEach((_, c) => {
        if (caseInModality(data, t, c)) lines.push(`${readers[r]},${c + 1},${modalities[t]},${ratingText(data.ratings[t][r][c])}`);
      }),
    ),
  );
  return lines.join('\n') + '\n';
}

function numberCell(cell: string, what: string, where: string): number {
  const x = Number(cell.trim());
  if (cell.trim() === '' || !Number.isFinite(x)) throw new MrmcInputError(`${where}: ${what} "${cell}" is not a number`);
  return x;
}

const COLUMN_NAMES: Record<keyof LongRow, string[]> = {
  reader: ['reader', 'readerid', 'reader_id'],
  modality: ['modality', 'modalityid', 'modality_id', 'treatment'],
  case: ['case', 'caseid', 'case_id'],
  truth: ['truth', 'truthid'],
  rating: ['rating', 'score'],
};

/** A "reader,modality,case,truth,rating" table (our RJafroc export, vandyke.csv, RJafroc's own .csv). */
export function parseLongTable(text: string, fileName: string): MrmcData {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const col = {} as Record<keyof LongRow, number>;
  for (const key of Object.keys(COLUMN_NAMES) as (keyof LongRow)[]) {
    const at = header.findIndex((h) => COLUMN_NAMES[key].includes(h));
    if (at < 0) throw new MrmcInputError(`${fileName}: no "${key}" column in the header "${lines[0] ?? ''}" (expected reader,modality,case,truth,rating)`);
    col[key] = at;
  }
  const rows: LongRow[] = [];
  for (let n = 1; n < lines.length; n++) {
    if (lines[n].trim() === '') continue;
    const cells = lines[n].split(',');
    const where = `${fileName} line ${n + 1}`;
    if (cells.length < header.length) throw new MrmcInputError(`${where}: ${cells.length} cells, expected ${header.length}`);
    const truth = numberCell(cells[col.truth], 'truth', where);
    if (truth !== 0 && truth !== 1) throw new MrmcInputError(`${where}: truth ${truth} is not 0 or 1`);
    rows.push({
      reader: cells[col.reader].trim(),
      modality: cells[col.modality].trim(),
      case: cells[col.case].trim(),
      truth,
      rating: numberCell(cells[col.rating], 'rating', where),
    });
  }
  if (rows.length === 0) throw new MrmcInputError(`${fileName}: no data rows`);
  return fromLongRows(rows, fileName);
}

/** An iMRMC input file. */
export function parseImrmc(text: string, fileName: string): MrmcData {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const start = lines.indexOf('BEGIN DATA:');
  if (start < 0) throw new MrmcInputError(`${fileName}: no "BEGIN DATA:" line`);
  const counts: Record<string, number> = {};
  for (const line of lines.slice(0, start)) {
    const m = /^(NR|N0|N1|NM)\s*:\s*(\S+)/.exec(line);
    if (m) counts[m[1]] = numberCell(m[2], m[1], `${fileName} header`);
  }
  for (const k of ['NR', 'N0', 'N1', 'NM']) if (!(k in counts)) throw new MrmcInputError(`${fileName}: the header has no "${k}:" line`);
  const truth = new Map<string, number>();
  const scores: { reader: string; case: string; modality: string; rating: number }[] = [];
  for (let n = start + 1; n < lines.length; n++) {
    if (!lines[n]) continue;
    const where = `${fileName} line ${n + 1}`;
    const cells = lines[n].split(',').map((c) => c.trim());
    if (cells.length !== 4) throw new MrmcInputError(`${where}: ${cells.length} cells, expected readerID,caseID,modalityID,score`);
    const [reader, caseId, modality, score] = cells;
    if (reader === '-1') {
      const y = numberCell(score, 'truth', where);
      if (y !== 0 && y !== 1) throw new MrmcInputError(`${where}: truth ${y} is not 0 or 1`);
      truth.set(caseId, y);
    } else scores.push({ reader, case: caseId, modality, rating: numberCell(score, 'score', where) });
  }
  const rows: LongRow[] = scores.map((s) => {
    const y = truth.get(s.case);
    if (y === undefined) throw new MrmcInputError(`${fileName}: case ${s.case} has scores but no truth row (-1,${s.case},0,truth)`);
    return { ...s, truth: y };
  });
  const data = fromLongRows(rows, fileName, [...truth.keys()]);
  const n1 = data.truth.filter((y) => y === 1).length;
  const got = { NR: data.readers.length, N0: data.cases.length - n1, N1: n1, NM: data.modalities.length };
  for (const [k, v] of Object.entries(got)) {
    if (counts[k] !== v) throw new MrmcInputError(`${fileName}: the header says ${k}: ${counts[k]}, the data have ${v}`);
  }
  return data;
}
