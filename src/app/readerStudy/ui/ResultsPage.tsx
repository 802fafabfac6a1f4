import { useEffect, useMemo, useState } from 'react';
import type { ReaderSummary } from '../../../core/readerStudy/statistics.ts';
import { answersCsv, computeResults, resultsJson, type Agreement, type Split } from '../analysis.ts';
import { useResultsStore } from '../resultsStore.ts';
import { useStudyStore } from '../studyStore.ts';
import { trapezoidArea } from '../../../core/readerStudy/mrmc/averageRoc.ts';
import type { CovarianceMethod } from '../mrmcResults.ts';
import { ComparisonTable, MrmcControls, MrmcTable } from './MrmcSection.tsx';
import { AccuracyBars, RocPlot } from './plots.tsx';
import { download, fmt, pct } from './download.ts';

function SummaryRow({ name, s, extra }: { name: string; s: ReaderSummary; extra?: string }) {
  return (
    <tr>
      <th scope="row">{name}</th>
      <td>{s.n}</td>
      <td>{s.correct}</td>
      <td>{pct(s.accuracy)}</td>
      <td>{pct(s.sensitivity)}</td>
      <td>{pct(s.specificity)}</td>
      <td>{fmt(s.pValue, 3)}</td>
      <td>{fmt(s.auc)}</td>
      {extra !== undefined ? <td>{extra}</td> : null}
    </tr>
  );
}

const HEAD = ['n', 'correct', 'accuracy', 'sensitivity', 'specificity', 'p (binomial)', 'AUC'];

function SplitTable({ title, groups, testId }: { title: string; groups: Record<string, ReaderSummary>; testId: string }) {
  return (
    <table className="rs-table" data-testid={testId}>
      <caption>{title}</caption>
      <thead>
        <tr>
          <th />
          {HEAD.map((h) => (
            <th key={h}>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {Object.entries(groups).map(([g, s]) => (
          <SummaryRow key={g} name={g} s={s} />
        ))}
      </tbody>
    </table>
  );
}

function AgreementTable({ agreement }: { agreement: Split<Agreement> }) {
  const a = agreement.overall;
  if (a.pairs.length === 0) return <p className="muted">Agreement needs two or more readers: import their answer files.</p>;
  return (
    <table className="rs-table" data-testid="rs-agreement">
      <caption>Agreement on the real / synthetic call</caption>
      <thead>
        <tr>
          <th>Readers</th>
          <th>items</th>
          <th>kappa</th>
        </tr>
      </thead>
      <tbody>
        {a.pairs.map((p) => (
          <tr key={p.readers.join()}>
            <th scope="row">Cohen · {p.readers.join(' & ')}</th>
            <td>{p.n}</td>
            <td>{fmt(p.kappa)}</td>
          </tr>
        ))}
        {a.fleiss ? (
          <tr>
            <th scope="row">Fleiss · {a.fleiss.readers} readers</th>
            <td>{a.fleiss.n}</td>
            <td>{fmt(a.fleiss.kappa)}</td>
          </tr>
        ) : null}
      </tbody>
    </table>
  );
}

export function ResultsPage() {
  const study = useStudyStore((s) => s.study);
  const { answers, sources, error } = useResultsStore();
  const [covariance, setCovariance] = useState<CovarianceMethod>('delong');
  const [exportError, setExportError] = useState<string | null>(null);
  useEffect(() => {
    if (study) void useResultsStore.getState().loadLocal(study.id);
  }, [study]);
  const results = useMemo(() => (study?.key ? computeResults(study, answers, { covariance }) : null), [study, answers, covariance]);
  if (!study) return <p className="rs-page muted">No study loaded.</p>;
  if (!results) return <p className="rs-page muted">This study file has no answer key (a reader package): results need the researcher's copy.</p>;
  const importFiles = async (files: FileList | null) => {
    for (const f of files ? [...files] : []) useResultsStore.getState().importAnswers(await f.text(), f.name);
  };
  const mrmc = results.mrmc;
  // The average is over the readers in the MRMC analysis; a reader left out is not drawn.
  const curves = [
    { name: 'reader average', auc: mrmc.roc.average.length ? trapezoidArea(mrmc.roc.average) : NaN, points: mrmc.roc.average },
    ...mrmc.readers.map((r) => ({ name: r, auc: results.perReader.find((p) => p.readerId === r)?.stats.overall.auc ?? NaN, points: mrmc.roc.perReader[r] ?? [] })),
  ];
  const studyAnswers = answers.filter((a) => a.studyId === study.id);
  return (
    <div className="rs-page rs-results" data-testid="rs-results">
      <section className="rs-card">
        <h2>{study.title}</h2>
        <p className="muted">
          {results.items} items ({results.realItems} real, {results.syntheticItems} synthetic) · {results.readers.length} reader(s) · “synthetic” is the
          positive class; chance accuracy is 50 %.
        </p>
        {results.notes.map((n) => (
          <p key={n} className={n.startsWith('Mechanics') ? 'rs-banner' : 'hint'} data-testid={n.startsWith('Mechanics') ? 'rs-results-mechanics' : undefined}>
            {n}
          </p>
        ))}
        <div className="rs-row">
          <label className="btn rs-file-btn">
            Import answer files…
            <input type="file" multiple accept=".json,application/json" data-testid="rs-import-answers" onChange={(e) => void importFiles(e.target.files)} />
          </label>
          <button type="button" className="btn" data-testid="rs-export-csv" onClick={() => download(`${study.id}.answers.csv`, answersCsv(study, answers), 'text/csv')}>
            Export CSV (one row per answer)
          </button>
          <button type="button" className="btn" data-testid="rs-export-json" onClick={() => download(`${study.id}.summary.json`, resultsJson(results))}>
            Export JSON summary
          </button>
        </div>
        {error ? <p className="rs-error">{error}</p> : null}
        <p className="hint">Answers from: {sources.map((s) => `${s.readerId} (${s.count}, ${s.source})`).join(' · ') || 'none yet'}</p>
      </section>
      <section className="rs-card rs-mrmc-card">
        <h2>Can readers tell real from synthetic?</h2>
        <p className={`rs-verdict${mrmc.problem ? ' muted' : ''}`} data-testid="rs-verdict">
          {mrmc.verdict}
        </p>
        <MrmcControls
          mrmc={mrmc}
          studyId={study.id}
          title={study.title}
          keys={study.key ?? []}
          answers={studyAnswers}
          covariance={covariance}
          setCovariance={setCovariance}
          onError={setExportError}
        />
        {exportError ? <p className="rs-error">{exportError}</p> : null}
        <div className="rs-plots">
          <figure>
            <RocPlot curves={curves} />
            <figcaption>Each reader's ROC (dashed) and their vertical average; the average's area is the reader-averaged AUC</figcaption>
          </figure>
        </div>
        <MrmcTable mrmc={mrmc} />
        <ComparisonTable mrmc={mrmc} />
      </section>
      <section className="rs-card rs-results-main">
        <table className="rs-table" data-testid="rs-summary">
          <caption>Per reader and pooled</caption>
          <thead>
            <tr>
              <th />
              {HEAD.map((h) => (
                <th key={h}>{h}</th>
              ))}
              <th>mean time</th>
            </tr>
          </thead>
          <tbody>
            {results.perReader.map((r) => (
              <SummaryRow key={r.readerId} name={r.readerId} s={r.stats.overall} extra={r.meanTimeMs === null ? '–' : `${(r.meanTimeMs / 1000).toFixed(1)} s`} />
            ))}
            <SummaryRow name="pooled" s={results.pooled.overall} extra="" />
          </tbody>
        </table>
        <div className="rs-plots">
          <figure>
            <AccuracyBars groups={results.pooled.bySizeClass} testId="rs-acc-size" />
            <figcaption>Pooled accuracy by size class</figcaption>
          </figure>
        </div>
        <AgreementTable agreement={results.agreement} />
      </section>
      <section className="rs-card">
        <SplitTable title="Pooled, by size class" groups={results.pooled.bySizeClass} testId="rs-by-size" />
        <SplitTable title="Pooled, by organ" groups={results.pooled.byOrgan} testId="rs-by-organ" />
        <SplitTable title="Pooled, by quality test (each group: its synthetic items + all real items)" groups={results.pooled.byQuality} testId="rs-by-quality" />
        <p className="hint">Per-reader splits and per-group kappas are in the JSON summary.</p>
      </section>
    </div>
  );
}
