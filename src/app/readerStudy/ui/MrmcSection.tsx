/**
 * The MRMC part of the results page: the plain-language verdict, the ORH table (every FOM under
 * random readers and cases, fixed readers, fixed cases), passing vs failing synthetic tumours,
 * and the exports statisticians rerun in iMRMC and RJafroc.
 */
import { imrmcText, rjafrocTable } from '../../../core/readerStudy/mrmc/exports.ts';
import type { Estimate, Generalisation } from '../../../core/readerStudy/mrmc/orh.ts';
import { formatP, mrmcData, type CovarianceMethod, type MrmcSummary } from '../mrmcResults.ts';
import type { Answer, ItemKey } from '../types.ts';
import { download, errorText } from './download.ts';

const GENERALISATION_TEXT: Record<Generalisation, string> = {
  RRRC: 'random readers, random cases',
  FRRC: 'fixed readers, random cases',
  RRFC: 'random readers, fixed cases',
};
const GENS: Generalisation[] = ['RRRC', 'FRRC', 'RRFC'];

/** A number cell: shown rounded, the full value in data-value for anyone checking. */
function Num({ k, x, digits }: { k: string; x: number; digits: number }) {
  const text = x === Infinity ? '∞' : Number.isFinite(x) ? x.toFixed(digits) : '–';
  return (
    <td data-k={k} data-value={String(x)}>
      {text}
    </td>
  );
}

function PCell({ p }: { p: number }) {
  return (
    <td data-k="p" data-value={String(p)}>
      {formatP(p)}
    </td>
  );
}

function EstimateCells({ e }: { e: Estimate }) {
  return (
    <>
      <Num k="se" x={e.se} digits={4} />
      <Num k="df" x={e.df} digits={2} />
      <Num k="lo" x={e.ci[0]} digits={3} />
      <Num k="hi" x={e.ci[1]} digits={3} />
    </>
  );
}

export function MrmcTable({ mrmc }: { mrmc: MrmcSummary }) {
  if (mrmc.problem) return null;
  const c = mrmc.components;
  return (
    <>
      <table className="rs-table rs-mrmc" data-testid="rs-mrmc">
        <caption>
          MRMC analysis (ORH: Obuchowski–Rockette, Hillis ddf) of {mrmc.readers.length} readers × {mrmc.cases} items, {mrmc.covariance === 'delong' ? 'DeLong' : 'jackknife'}{' '}
          covariances; the test is against chance (0.5); intervals of a FOM are cut at 0 and 1
        </caption>
        <thead>
          <tr>
            <th>Figure of merit</th>
            <th>Readers · cases</th>
            <th>estimate</th>
            <th>SE</th>
            <th>df</th>
            <th colSpan={2}>95 % CI</th>
            <th title="t on df (z for fixed readers)">t / z vs 0.5</th>
            <th title="F(1, df) = t² (chi-square(1) = z² for fixed readers)">F / χ²</th>
            <th>p</th>
          </tr>
        </thead>
        <tbody>
          {mrmc.foms.flatMap((f) =>
            GENS.map((g, n) => {
              const e = f.modality[g];
              const test = f.vsChance?.[g];
              return (
                <tr key={`${f.kind}-${g}`} data-testid={`rs-mrmc-${f.kind}-${g}`} className={n === 0 ? 'rs-group-start' : undefined}>
                  <th scope="row">{n === 0 ? f.label : ''}</th>
                  <td className="rs-left" title={g}>
                    {GENERALISATION_TEXT[g]}
                  </td>
                  <Num k="est" x={e.estimate} digits={3} />
                  <EstimateCells e={e} />
                  {test ? (
                    <>
                      <Num k="t" x={test.t} digits={3} />
                      <Num k="F" x={test.F} digits={3} />
                      <PCell p={test.p} />
                    </>
                  ) : (
                    <td colSpan={3} className="muted" title="A reader at chance can have any sensitivity or specificity (it depends on their bias), so there is no null value">
                      no chance level
                    </td>
                  )}
                </tr>
              );
            }),
          )}
        </tbody>
      </table>
      {c ? (
        <p className="hint mono" data-testid="rs-mrmc-components">
          AUC, OR components: Var = {c.var.toExponential(4)}, Cov2 = {c.cov2.toExponential(4)}, σ²(readers) = {c.varR.toExponential(4)}. Fixed readers use a
          normal (z) reference; fixed cases a t on r − 1 df.
        </p>
      ) : null}
    </>
  );
}

export function ComparisonTable({ mrmc }: { mrmc: MrmcSummary }) {
  const cmp = mrmc.comparison;
  if (!cmp) return null;
  const rows = [
    { label: 'AUC', r: cmp.auc },
    { label: 'sensitivity', r: cmp.sensitivity },
  ];
  return (
    <table className="rs-table rs-mrmc" data-testid="rs-mrmc-comparison">
      <caption>
        Passing ({cmp.positives[0]}) vs failing ({cmp.positives[1]}) synthetic tumours of the quality test, each against all real items, same readers (ORH,
        DeLong: the two groups share the real items)
      </caption>
      <thead>
        <tr>
          <th>Figure of merit</th>
          <th>Readers · cases</th>
          <th>passed</th>
          <th>failed</th>
          <th>difference</th>
          <th>SE</th>
          <th>df</th>
          <th colSpan={2}>95 % CI</th>
          <th>t / z</th>
          <th>p</th>
        </tr>
      </thead>
      <tbody>
        {rows.flatMap(({ label, r }) =>
          GENS.map((g, n) => {
            const d = r.difference[g];
            const stat = 'z' in d ? d.z : d.t;
            return (
              <tr key={`${label}-${g}`} data-testid={`rs-cmp-${label}-${g}`} className={n === 0 ? 'rs-group-start' : undefined}>
                <th scope="row">{n === 0 ? label : ''}</th>
                <td className="rs-left">{GENERALISATION_TEXT[g]}</td>
                <Num k="a" x={r.means[0]} digits={3} />
                <Num k="b" x={r.means[1]} digits={3} />
                <Num k="diff" x={d.estimate} digits={3} />
                <EstimateCells e={d} />
                <Num k="t" x={stat} digits={3} />
                <PCell p={d.p} />
              </tr>
            );
          }),
        )}
      </tbody>
    </table>
  );
}

export function MrmcControls({
  mrmc,
  studyId,
  title,
  keys,
  answers,
  covariance,
  setCovariance,
  onError,
}: {
  mrmc: MrmcSummary;
  studyId: string;
  title: string;
  keys: readonly ItemKey[];
  answers: readonly Answer[];
  covariance: CovarianceMethod;
  setCovariance: (c: CovarianceMethod) => void;
  onError: (message: string) => void;
}) {
  const exportAs = (kind: 'imrmc' | 'rjafroc') => {
    try {
      const data = mrmcData(keys, answers);
      if (kind === 'imrmc') {
        const head = [`FreeTumor reader study ${title} (${studyId})`, 'truth 1 = synthetic tumour, 0 = real', 'score = synthetic score 1-10 (synthetic call at confidence c = 5 + c, real call = 6 - c)'];
        download(`${studyId}.imrmc`, imrmcText(data, head), 'text/plain');
      } else download(`${studyId}.rjafroc.csv`, rjafrocTable(data), 'text/csv');
    } catch (err) {
      onError(`Export failed: ${errorText(err)}`);
    }
  };
  const none = mrmc.readers.length === 0;
  return (
    <div className="rs-row">
      <label className="rs-field rs-inline">
        <span>Covariances</span>
        <select value={covariance} data-testid="rs-mrmc-covariance" onChange={(e) => setCovariance(e.target.value as CovarianceMethod)}>
          <option value="delong">DeLong</option>
          <option value="jackknife">jackknife</option>
        </select>
      </label>
      <button type="button" className="btn" disabled={none} data-testid="rs-export-imrmc" onClick={() => exportAs('imrmc')} title="iMRMC input file (FDA/DIDSR iMRMC; RJafroc reads it too)">
        Export iMRMC input
      </button>
      <button type="button" className="btn" disabled={none} data-testid="rs-export-rjafroc" onClick={() => exportAs('rjafroc')} title='RJafroc DfReadDataFile(file, format = "MRMC"); case k = item k in reading order'>
        Export RJafroc table
      </button>
    </div>
  );
}
