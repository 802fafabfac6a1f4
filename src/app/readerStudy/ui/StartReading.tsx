import { useState } from 'react';
import { useReaderSessionStore } from '../readerSessionStore.ts';
import { useStudyStore } from '../studyStore.ts';
import { keysProblem, readerIdProblem } from '../session.ts';
import { errorText } from './download.ts';

/** Reader id and answer keys, then begin (or resume: the same reader id picks up where it was). */
export function StartReading() {
  const study = useStudyStore((s) => s.study);
  const keys = useReaderSessionStore((s) => s.keys);
  const [readerId, setReaderId] = useState('');
  const [real, setReal] = useState(keys.real);
  const [synthetic, setSynthetic] = useState(keys.synthetic);
  const [problem, setProblem] = useState<string | null>(null);
  if (!study) return <p className="muted">Prepare or import a study first.</p>;
  const start = async () => {
    const p = readerIdProblem(readerId) ?? keysProblem({ real, synthetic });
    setProblem(p);
    if (p) return;
    try {
      useStudyStore.getState().setMode('read');
      await useReaderSessionStore.getState().begin(study, readerId);
      // The keys chosen here win over those a resumed session had.
      useReaderSessionStore.getState().setKeys({ real, synthetic });
    } catch (err) {
      setProblem(errorText(err));
    }
  };
  return (
    <form
      className="rs-start"
      onSubmit={(e) => {
        e.preventDefault();
        void start();
      }}
    >
      <label className="rs-field">
        <span>Reader id</span>
        <input data-testid="rs-reader-id" value={readerId} maxLength={40} placeholder="e.g. R1" onChange={(e) => setReaderId(e.target.value)} autoComplete="off" />
      </label>
      <label className="rs-field rs-field-key">
        <span>Real key</span>
        <input data-testid="rs-key-real" value={real} maxLength={1} onChange={(e) => setReal(e.target.value.toUpperCase())} />
      </label>
      <label className="rs-field rs-field-key">
        <span>Synthetic key</span>
        <input data-testid="rs-key-synthetic" value={synthetic} maxLength={1} onChange={(e) => setSynthetic(e.target.value.toUpperCase())} />
      </label>
      <button type="submit" className="btn btn-primary" data-testid="rs-start">
        Start reading
      </button>
      {problem ? (
        <p className="rs-error" role="alert">
          {problem}
        </p>
      ) : null}
      <p className="hint">
        {study.items.length} items, one at a time. Decide whether the marked lesion is a real or a synthetic tumour and how sure you are (1–5). Every
        answer is saved in this browser the moment you give it; entering the same reader id later resumes where you stopped.
      </p>
    </form>
  );
}
