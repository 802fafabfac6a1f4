import { useEffect } from 'react';
import { useStudyStore } from '../studyStore.ts';
import { serializeStudy, withoutKey } from '../studyFile.ts';
import { StartReading } from './StartReading.tsx';
import { download, errorText } from './download.ts';

export function StudyHome() {
  const study = useStudyStore((s) => s.study);
  const library = useStudyStore((s) => s.library);
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
            <dl className="facts rs-facts" data-testid="rs-study-facts">
              <dt>Title</dt>
              <dd>{study.title}</dd>
              <dt>Id</dt>
              <dd data-testid="rs-study-id">{study.id}</dd>
              <dt>Items</dt>
              <dd data-testid="rs-study-items">{study.items.length}</dd>
              <dt>Crop</dt>
              <dd>
                {study.cropVoxels}³ voxels · W{study.window.width} L{study.window.level}
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
          <ul className="rs-library">
            {library.map((l) => (
              <li key={l.id}>
                <span>
                  {l.title} <span className="muted mono">{l.id}</span> · {l.items} items{l.hasKey ? '' : ' · no key'}
                </span>
                <button type="button" className="btn btn-small" onClick={() => void useStudyStore.getState().loadStudy(l.id)} disabled={study?.id === l.id}>
                  {study?.id === l.id ? 'Loaded' : 'Load'}
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}
