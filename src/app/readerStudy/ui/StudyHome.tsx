import { useEffect, useState } from 'react';
import { studyProtocol } from '../protocol.ts';
import { getPersistence } from '../session.ts';
import { useStudyStore } from '../studyStore.ts';
import { usePrepareStore } from '../prepareStore.ts';
import type { Study } from '../types.ts';
import type { StudyListing } from '../persistence.ts';
import { serializeStudy, withoutKey } from '../studyFile.ts';
import { StartReading } from './StartReading.tsx';
import { download, errorText } from './download.ts';

/** Export the hash-stamped protocol; says so when answers already exist (then it no longer precedes reading). */
function ProtocolExport({ study }: { study: Study }) {
  const [stamp, setStamp] = useState<{ sha256: string; answers: number } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => setStamp(null), [study.id]);
  const run = async () => {
    try {
      const answers = (await getPersistence().loadAnswers(study.id)).length;
      const record = await studyProtocol(study, answers);
      download(`${study.id}.protocol.json`, JSON.stringify(record, null, 2));
      setStamp({ sha256: record.sha256, answers });
      setProblem(null);
    } catch (err) {
      setProblem(`Could not export the protocol: ${errorText(err)}`);
    }
  };
  return (
    <>
      <button
        type="button"
        className="btn"
        disabled={!study.key}
        data-testid="rs-export-protocol"
        onClick={() => void run()}
        title="Seed, every item's SHA-256, the models' SHA-256, T and the analysis plan, stamped with the SHA-256 of the record: export it before reading starts"
      >
        Export protocol (hash-stamped)
      </button>
      {stamp ? (
        <p className={stamp.answers ? 'rs-banner' : 'hint'} data-testid="rs-protocol-stamp">
          Protocol SHA-256 <span className="mono">{stamp.sha256}</span>
          {stamp.answers ? ` — made after ${stamp.answers} answer(s) were given: it does not precede reading, and says so.` : ' — before any answer.'}
        </p>
      ) : null}
      {problem ? <p className="rs-error">{problem}</p> : null}
    </>
  );
}

/** When a study was made, to the minute in UTC: several studies often share a title. */
export function madeAt(iso: string): string {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'date unknown';
}

function LibraryRow({ listing: l, loaded }: { listing: StudyListing; loaded: boolean }) {
  // Deleting also drops every answer given in this browser: a second click confirms it.
  const [confirming, setConfirming] = useState(false);
  return (
    <li data-testid="rs-library-row" data-study={l.id}>
      <span>
        {l.title} · <span data-testid="rs-library-date">{madeAt(l.createdAt)}</span> · {l.items} items{l.hasKey ? '' : ' · no key'}{' '}
        <span className="muted mono">{l.id}</span>
      </span>
      <span className="rs-row">
        <button type="button" className="btn btn-small" onClick={() => void useStudyStore.getState().loadStudy(l.id)} disabled={loaded}>
          {loaded ? 'Loaded' : 'Load'}
        </button>
        {confirming ? (
          <>
            <button
              type="button"
              className="btn btn-small rs-danger"
              data-testid="rs-delete-confirm"
              onClick={() => void useStudyStore.getState().deleteStudy(l.id).catch((err) => useStudyStore.getState().setError(`Could not delete ${l.id}: ${errorText(err)}`))}
            >
              Delete with its answers
            </button>
            <button type="button" className="btn btn-small" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </>
        ) : (
          <button type="button" className="btn btn-small" data-testid="rs-delete" onClick={() => setConfirming(true)} title="Remove this study and the answers given to it from this browser">
            Delete…
          </button>
        )}
      </span>
    </li>
  );
}

export function StudyHome() {
  const study = useStudyStore((s) => s.study);
  const library = useStudyStore((s) => s.library);
  const warning = usePrepareStore((s) => s.warning);
  useEffect(() => {
    void useStudyStore.getState().refreshLibrary();
  }, []);
  const importFile = async (f: File | undefined) => {
    if (!f) return;
    try {
      await useStudyStore.getState().importStudyText(await f.text());
    } catch (err) {
      useStudyStore.getState().setError(`Could not import "${f.name}": ${errorText(err)}`);
    }
  };
  return (
    <div className="rs-page rs-home">
      <section className="rs-card">
        <h2>Current study</h2>
        {study ? (
          <>
            {warning && warning.studyId === study.id ? (
              <p className="rs-banner" role="status" data-testid="rs-build-warning">
                {warning.text}
              </p>
            ) : null}
            <dl className="facts rs-facts" data-testid="rs-study-facts">
              <dt>Title</dt>
              <dd>{study.title}</dd>
              <dt>Made</dt>
              <dd data-testid="rs-study-date">{madeAt(study.createdAt)}</dd>
              <dt>Id</dt>
              <dd data-testid="rs-study-id">{study.id}</dd>
              <dt>Items</dt>
              <dd data-testid="rs-study-items">{study.items.length}</dd>
              <dt>Crop</dt>
              <dd>
                <span data-testid="rs-study-fov">
                  {study.fovMm ? `${study.fovMm} mm cube, ${study.cropVoxels}³ voxels of ${(study.fovMm / study.cropVoxels).toFixed(2)} mm` : `${study.cropVoxels}³ source voxels`}
                </span>{' '}
                · W{study.window.width} L{study.window.level}
              </dd>
              <dt>Key</dt>
              <dd>{study.key ? 'included (researcher copy)' : 'not in this file (reader package)'}</dd>
              {study.synthesis ? (
                <>
                  <dt>Synthetic</dt>
                  <dd data-testid="rs-study-synthesis">
                    {study.synthesis.method === 'generator'
                      ? `G ${study.synthesis.models?.generator.fileName ?? '?'} + S ${study.synthesis.models?.segmentor.fileName ?? '?'}, T = ${study.synthesis.threshold}; `
                      : ''}
                    {study.synthesis.report}
                  </dd>
                </>
              ) : null}
            </dl>
            {study.mechanicsTest ? (
              <p className="rs-banner" data-testid="rs-mechanics-banner">
                Mechanics test: some “real” items are labels drawn to test the software, not tumours.
              </p>
            ) : null}
            <div className="rs-row">
              <button
                type="button"
                className="btn"
                data-testid="rs-export-package"
                onClick={() => download(`${study.id}.reader-package.json`, serializeStudy(withoutKey(study)))}
                title="One file for readers: every crop, no answer key"
              >
                Export for readers (no key)
              </button>
              <button
                type="button"
                className="btn"
                disabled={!study.key}
                data-testid="rs-export-study"
                onClick={() => download(`${study.id}.study.json`, serializeStudy(study))}
                title="Keep this one: it holds the answer key"
              >
                Export with answer key
              </button>
              <ProtocolExport study={study} />
            </div>
          </>
        ) : (
          <p className="muted">No study loaded. Prepare one, or import a study file someone sent you.</p>
        )}
        <div className="rs-row">
          <button type="button" className="btn" data-testid="rs-go-prepare" onClick={() => useStudyStore.getState().setMode('prepare')}>
            Prepare a new study…
          </button>
          <label className="btn rs-file-btn">
            Import study file…
            <input type="file" accept=".json,application/json" data-testid="rs-import-study" onChange={(e) => void importFile(e.target.files?.[0])} />
          </label>
        </div>
      </section>
      {study ? (
        <section className="rs-card">
          <h2>Read</h2>
          <StartReading />
        </section>
      ) : null}
      {library.length ? (
        <section className="rs-card">
          <h2>Studies in this browser</h2>
          <ul className="rs-library" data-testid="rs-library">
            {library.map((l) => (
              <LibraryRow key={l.id} listing={l} loaded={study?.id === l.id} />
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}
