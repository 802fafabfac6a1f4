import { useEffect } from 'react';
import '../readerStudy.css';
import { useStudyStore, type StudyMode } from '../studyStore.ts';
import { useReaderSessionStore } from '../readerSessionStore.ts';
import { resumeActiveSession } from '../resume.ts';
import { StudyHome } from './StudyHome.tsx';
import { PreparePage } from './PreparePage.tsx';
import { ReadingPage } from './ReadingPage.tsx';
import { ResultsPage } from './ResultsPage.tsx';
import { errorText } from './download.ts';

const PAGES: { mode: StudyMode; caption: string }[] = [
  { mode: 'home', caption: 'Study' },
  { mode: 'prepare', caption: 'Prepare' },
  { mode: 'read', caption: 'Read' },
  { mode: 'results', caption: 'Results' },
];

/**
 * The reader study covers the whole workbench while open, so a reader sees no case panel, label
 * legend, file name or readout: only the item.
 */
export function StudyLayer() {
  const mode = useStudyStore((s) => s.mode);
  const hasKey = useStudyStore((s) => s.study?.key != null);
  const reading = useReaderSessionStore((s) => s.status === 'reading' || s.status === 'loading');
  const error = useStudyStore((s) => s.error);

  useEffect(() => {
    resumeActiveSession().catch((err: unknown) => useStudyStore.getState().setError(`Could not resume the reading session: ${errorText(err)}`));
  }, []);

  if (mode === 'closed') return null;
  const leave = async () => {
    await useReaderSessionStore.getState().leave();
    useStudyStore.getState().close();
  };
  return (
    <div className="rs-layer" role="dialog" aria-modal="true" aria-label="Reader study" data-testid="reader-study">
      <header className="rs-header">
        <span className="rs-title">Reader study</span>
        <span className="rs-sub">real or synthetic?</span>
        {/* While reading, no way to the key-bearing pages: leave the session first. */}
        {reading ? null : (
          <nav className="rs-nav" aria-label="Reader study pages">
            {PAGES.map((p) => (
              <button
                key={p.mode}
                type="button"
                className={`btn${mode === p.mode ? ' is-pressed' : ''}`}
                aria-pressed={mode === p.mode}
                data-testid={`rs-nav-${p.mode}`}
                disabled={p.mode === 'results' && !hasKey}
                onClick={() => useStudyStore.getState().setMode(p.mode)}
              >
                {p.caption}
              </button>
            ))}
          </nav>
        )}
        <span className="toolbar-spacer" />
        <button type="button" className="btn" data-testid="rs-close" onClick={() => void leave()} title="Back to the workbench (answers stay saved)">
          {reading ? 'Pause & leave' : 'Back to workbench'}
        </button>
      </header>
      {error ? (
        <p className="rs-error" role="alert" data-testid="rs-error">
          {error}
        </p>
      ) : null}
      <main className="rs-main">
        {mode === 'home' ? <StudyHome /> : null}
        {mode === 'prepare' ? <PreparePage /> : null}
        {mode === 'read' ? <ReadingPage /> : null}
        {mode === 'results' ? <ResultsPage /> : null}
      </main>
    </div>
  );
}
