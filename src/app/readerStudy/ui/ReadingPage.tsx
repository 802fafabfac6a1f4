import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { attachKeyboard } from '../../actions/keyboard.ts';
import { Kbd } from '../../components/Kbd.tsx';
import { useUiStore } from '../../stores/uiStore.ts';
import { CONFIDENCE_LABELS, createReaderRegistry } from '../readerActions.ts';
import { sessionAnswers, useReaderSessionStore } from '../readerSessionStore.ts';
import { useStudyStore } from '../studyStore.ts';
import { answersFile } from '../studyFile.ts';
import { StudyViewer } from '../StudyViewer.ts';
import type { Confidence } from '../types.ts';
import { StartReading } from './StartReading.tsx';
import { download, errorText } from './download.ts';

const CONFIDENCES: Confidence[] = [1, 2, 3, 4, 5];

function exportAnswers(): void {
  const s = useReaderSessionStore.getState();
  if (!s.studyId || !s.readerId) return;
  download(`${s.studyId}.${s.readerId}.answers.json`, JSON.stringify(answersFile(s.studyId, s.readerId, sessionAnswers(s)), null, 2));
}

/** The niivue canvas of the reading view, showing the current item. */
function ItemViewer({ viewer }: { viewer: StudyViewer }) {
  const study = useStudyStore((s) => s.study);
  const itemId = useReaderSessionStore((s) => s.itemIds[s.position]);
  const [ready, setReady] = useState(false);
  const [shown, setShown] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const attach = useCallback(
    (canvas: HTMLCanvasElement | null) => {
      if (!canvas) return;
      viewer.attach(canvas).then(
        () => setReady(true),
        (err: unknown) => setFailed(`The viewer could not start (WebGL2 needed): ${errorText(err)}`),
      );
    },
    [viewer],
  );
  useEffect(() => () => viewer.dispose(), [viewer]);
  useEffect(() => {
    if (!ready || !study || !itemId) return;
    const item = study.items.find((i) => i.id === itemId);
    if (!item) return;
    setShown(null);
    viewer.show(item.crop, study.window).then(
      () => setShown(itemId),
      (err: unknown) => setFailed(`Could not show this item: ${errorText(err)}`),
    );
  }, [ready, study, itemId, viewer]);
  return (
    <div className="rs-viewer">
      <canvas ref={attach} data-testid="rs-canvas" data-shown={shown ?? ''} tabIndex={0} />
      {failed ? (
        <p className="rs-error rs-viewer-error" role="alert">
          {failed}
        </p>
      ) : null}
    </div>
  );
}

export function ReadingPage() {
  const study = useStudyStore((s) => s.study);
  const s = useReaderSessionStore();
  const viewer = useMemo(() => new StudyViewer(), []);
  const [markerOn, setMarkerOn] = useState(true);
  const answered = s.itemIds.filter((id) => id in s.answers).length;
  const currentAnswered = s.itemIds[s.position] in s.answers;

  const registry = useMemo(() => {
    const st = () => useReaderSessionStore.getState();
    return createReaderRegistry(s.keys, {
      answer: (c) => void st().setCall(c),
      confidence: (c) => void st().setConfidence(c),
      next: () => void st().next(),
      skip: () => void st().skip(),
      back: () => void st().back(),
      toggleMarker: () => setMarkerOn(viewer.toggleMarker()),
      recentre: () => viewer.recentre(),
      canAnswer: () => st().status === 'reading',
      canNext: () => st().status === 'reading' && st().itemIds[st().position] in st().answers,
    });
  }, [s.keys, viewer]);

  useEffect(() => {
    // Time per item counts only while the item is on a visible tab.
    const onVisibility = () => {
      const st = useReaderSessionStore.getState();
      if (document.hidden) st.pauseClock();
      else st.resumeClock();
    };
    document.addEventListener('visibilitychange', onVisibility);
    return () => document.removeEventListener('visibilitychange', onVisibility);
  }, []);

  useEffect(() => {
    if (s.status !== 'reading' && s.status !== 'finished') return;
    return attachKeyboard(registry, () => useUiStore.getState().overlay !== null);
  }, [registry, s.status]);

  if (!study) return <p className="rs-page muted">No study loaded.</p>;
  if (s.status === 'idle') {
    return (
      <div className="rs-page">
        <section className="rs-card">
          <h2>Start reading</h2>
          <StartReading />
        </section>
      </div>
    );
  }
  if (s.status === 'loading') return <p className="rs-page muted">Opening the study…</p>;
  if (s.status === 'finished') {
    return (
      <div className="rs-page">
        <section className="rs-card" data-testid="rs-finished">
          <h2>All {s.itemIds.length} items answered — thank you, {s.readerId}.</h2>
          <p>Your answers are saved in this browser. Send the answers file to the researcher (it holds only your calls, confidences, comments and times).</p>
          <div className="rs-row">
            <button type="button" className="btn btn-primary" data-testid="rs-export-answers" onClick={exportAnswers}>
              Export my answers
            </button>
            <button type="button" className="btn" data-testid="rs-review" onClick={() => void useReaderSessionStore.getState().back()}>
              Review answers
            </button>
            {study.key ? (
              <button
                type="button"
                className="btn"
                data-testid="rs-to-results"
                onClick={async () => {
                  await useReaderSessionStore.getState().leave();
                  useStudyStore.getState().setMode('results');
                }}
              >
                Results (researcher)
              </button>
            ) : null}
          </div>
        </section>
      </div>
    );
  }

  const shortcut = (id: string) => registry.get(id).shortcut ?? '';
  return (
    <div className="rs-reading">
      <ItemViewer viewer={viewer} />
      <aside className="rs-panel" aria-label="Answer">
        <div className="rs-progress" data-testid="rs-progress">
          Item {s.position + 1} of {s.itemIds.length}
        </div>
        <div className="rs-progress-bar" aria-hidden="true">
          <span style={{ width: `${(100 * answered) / Math.max(1, s.itemIds.length)}%` }} />
        </div>
        <p className="muted" data-testid="rs-answered">
          {answered} answered{s.resumed ? ' · session resumed' : ''}
        </p>
        <p className="rs-question">Is the marked lesion a real or a synthetic tumour?</p>
        <div className="rs-calls" role="group" aria-label="Real or synthetic">
          {(['real', 'synthetic'] as const).map((c) => (
            <button
              key={c}
              type="button"
              className={`btn rs-call${s.draft.call === c ? ' is-pressed' : ''}`}
              aria-pressed={s.draft.call === c}
              data-testid={`rs-call-${c}`}
              onClick={() => registry.run(`reader.${c}`)}
            >
              {c === 'real' ? 'Real' : 'Synthetic'} <Kbd shortcut={shortcut(`reader.${c}`)} subtle />
            </button>
          ))}
        </div>
        <p className="rs-label">Confidence</p>
        <div className="rs-confidence" role="group" aria-label="Confidence">
          {CONFIDENCES.map((c) => (
            <button
              key={c}
              type="button"
              className={`btn rs-conf${s.draft.confidence === c ? ' is-pressed' : ''}`}
              aria-pressed={s.draft.confidence === c}
              title={CONFIDENCE_LABELS[c]}
              data-testid={`rs-confidence-${c}`}
              onClick={() => registry.run(`reader.confidence${c}`)}
            >
              {c}
            </button>
          ))}
        </div>
        <p className="rs-conf-scale muted">
          <span>1 guessing</span>
          <span>5 certain</span>
        </p>
        <label className="rs-field">
          <span>Comment (optional)</span>
          <textarea
            data-testid="rs-comment"
            rows={2}
            value={s.draft.comment}
            onChange={(e) => void useReaderSessionStore.getState().setComment(e.target.value)}
            placeholder={s.draft.call && s.draft.confidence ? '' : 'saved with the answer'}
          />
        </label>
        <p className={`rs-save is-${currentAnswered ? s.save : 'unanswered'}`} data-testid="rs-save" data-state={currentAnswered ? s.save : 'unanswered'} role="status">
          {currentAnswered ? (s.save === 'error' ? s.error : s.save === 'saving' ? 'Saving…' : 'Saved ✓') : 'Not answered yet'}
        </p>
        <div className="rs-row rs-moves">
          <button type="button" className="btn" data-testid="rs-back" disabled={s.position === 0} onClick={() => registry.run('reader.back')}>
            ← Back
          </button>
          <button type="button" className="btn" data-testid="rs-skip" onClick={() => registry.run('reader.skip')}>
            Skip
          </button>
          <button type="button" className="btn btn-primary" data-testid="rs-next" disabled={!currentAnswered} onClick={() => registry.run('reader.next')}>
            Next →
          </button>
        </div>
        <ul className="rs-keys" aria-label="Keys">
          {registry
            .all()
            .filter((a) => !a.id.startsWith('reader.confidence'))
            .map((a) => (
              <li key={a.id}>
                <span>{a.id === 'reader.marker' ? `${a.label} (${markerOn ? 'shown' : 'hidden'})` : a.label}</span>
                <Kbd shortcut={a.shortcut ?? ''} />
              </li>
            ))}
          <li>
            <span>Confidence</span>
            <span>
              <Kbd shortcut="1" /> … <Kbd shortcut="5" />
            </span>
          </li>
        </ul>
        <div className="rs-row">
          <button type="button" className="btn btn-small" onClick={exportAnswers} data-testid="rs-export-answers-partial">
            Export my answers so far
          </button>
        </div>
        <p className="hint">
          Reader {s.readerId}. Scroll to change slice, right-drag to change the window (Home resets it). Answers are saved in this browser as you give them.
        </p>
      </aside>
    </div>
  );
}
