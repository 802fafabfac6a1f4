/**
 * Sample size on the Prepare page: how many readers and items a study needs to show, with the
 * target power, that readers tell real from synthetic at a given AUC (against 0.5), from a pilot's
 * OR variance components (Hillis, Obuchowski & Berbaum 2011; core sampleSize.ts). The pilot is a
 * study already read (its answers in this browser or imported on the Results page), or numbers
 * typed in.
 */
import { useState } from 'react';
import { casesForPower, singlePower, type SinglePilot } from '../../../core/readerStudy/mrmc/sampleSize.ts';
import { mrmcSummary } from '../mrmcResults.ts';
import { useResultsStore } from '../resultsStore.ts';
import { getPersistence } from '../session.ts';
import { useStudyStore } from '../studyStore.ts';
import { errorText } from './download.ts';

const READERS = [3, 4, 5, 6, 8, 10, 13, 15];
const MAX_CASES = 100_000;

type Field = 'kStar' | 'varR' | 'var' | 'cov2' | 'targetAuc' | 'alpha' | 'power';
const LABELS: Record<Field, string> = {
  kStar: 'Pilot items K₀',
  varR: 'σ²(readers)',
  var: 'Var (one reader)',
  cov2: 'Cov2 (two readers)',
  targetAuc: 'AUC to detect',
  alpha: 'α (two-sided)',
  power: 'Target power',
};

export function SampleSizePanel({ plannedItems }: { plannedItems: number }) {
  const [v, setV] = useState<Record<Field, string>>({ kStar: '', varR: '', var: '', cov2: '', targetAuc: '0.6', alpha: '0.05', power: '0.8' });
  const [source, setSource] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const study = useStudyStore((s) => s.study);

  const fromStudy = async () => {
    if (!study?.key) return;
    try {
      const local = await getPersistence().loadAnswers(study.id);
      const imported = useResultsStore.getState().studyId === study.id ? useResultsStore.getState().answers : [];
      const byKey = new Map([...local, ...imported].map((a) => [`${a.readerId}\u0000${a.itemId}`, a]));
      const m = mrmcSummary(study.key, [...byKey.values()], 'delong', study.mechanicsTest);
      if (!m.pilot) throw new Error(m.problem ?? 'no analysis');
      const p: SinglePilot = m.pilot;
      setV((old) => ({ ...old, kStar: String(p.kStar), varR: String(Math.max(0, p.varR)), var: String(p.var), cov2: String(p.cov2) }));
      setSource(`${study.title}: ${m.readers.length} readers × ${m.cases} items, AUC ${m.foms[0].modality.fom.toFixed(3)} (DeLong)${p.varR < 0 ? '; its σ²(readers) estimate was negative and is taken as 0' : ''}`);
      setProblem(null);
    } catch (err) {
      setProblem(`The loaded study cannot be a pilot: ${errorText(err)}`);
    }
  };

  const num = (f: Field) => (v[f].trim() === '' ? NaN : Number(v[f]));
  const pilot: SinglePilot = { kStar: num('kStar'), varR: num('varR'), var: num('var'), cov2: num('cov2') };
  const effect = num('targetAuc') - 0.5;
  const alpha = num('alpha');
  const target = num('power');
  const ready =
    pilot.kStar >= 2 && pilot.var > 0 && pilot.varR >= 0 && Number.isFinite(pilot.cov2) && Math.abs(effect) > 0 && Math.abs(effect) <= 0.5 && alpha > 0 && alpha < 1 && target > 0 && target < 1;
  const rows = ready
    ? READERS.map((readers) => {
        const power = (cases: number) => singlePower(pilot, readers, cases, effect, alpha).power;
        return { readers, cases: casesForPower(power, target, MAX_CASES), planned: plannedItems >= 2 ? power(plannedItems) : NaN };
      })
    : [];

  return (
    <fieldset className="rs-checks rs-sample-size" data-testid="rs-sample-size">
      <legend>Sample size (readers × items for the Turing test)</legend>
      <p className="hint">
        Power of the ORH test of “reader-averaged AUC = 0.5” (random readers and cases) when readers in fact reach the AUC below, from a pilot study’s OR
        variance components; the item terms shrink as K₀/K, the reader variance does not (Hillis, Obuchowski & Berbaum 2011). Items keep the pilot’s real :
        synthetic mix.
      </p>
      <div className="rs-row">
        <button type="button" className="btn" disabled={!study?.key} data-testid="rs-pilot-from-study" onClick={() => void fromStudy()}>
          Use the loaded study’s answers as pilot
        </button>
        {source ? (
          <span className="muted" data-testid="rs-pilot-source">
            Pilot: {source}
          </span>
        ) : null}
      </div>
      <div className="rs-options">
        {(Object.keys(LABELS) as Field[]).map((f) => (
          <label key={f} className="rs-field">
            <span>{LABELS[f]}</span>
            <input inputMode="decimal" value={v[f]} data-testid={`rs-ss-${f}`} onChange={(e) => setV({ ...v, [f]: e.target.value })} />
          </label>
        ))}
      </div>
      {problem ? <p className="rs-error">{problem}</p> : null}
      {ready ? (
        <table className="rs-table" data-testid="rs-sample-size-table">
          <thead>
            <tr>
              <th>Readers</th>
              <th>Items for {Math.round(100 * target)} % power</th>
              <th>Power with {plannedItems} items</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.readers} data-testid={`rs-ss-readers-${r.readers}`}>
                <th scope="row">{r.readers}</th>
                <td data-k="cases" data-value={String(r.cases)}>
                  {r.cases === null ? `not reachable (> ${MAX_CASES})` : r.cases}
                </td>
                <td data-k="power" data-value={String(r.planned)}>
                  {Number.isFinite(r.planned) ? `${(100 * r.planned).toFixed(1)} %` : '–'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="hint">Enter the pilot’s numbers (or use a loaded study) and an AUC other than 0.5 to see the table.</p>
      )}
    </fieldset>
  );
}
