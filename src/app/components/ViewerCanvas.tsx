import { useEffect, useRef } from 'react';
import { useCaseStore } from '../stores/caseStore.ts';
import { ReadoutBar } from './ReadoutBar.tsx';
import { ComparePane } from './ComparePane.tsx';
import { PlacementBanner } from './PlacementBanner.tsx';
import { useSynthesisStore } from '../stores/synthesisStore.ts';

interface Props {
  onCanvas: (canvas: HTMLCanvasElement) => void;
}

export function ViewerCanvas({ onCanvas }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const image = useCaseStore((s) => s.image);
  const loading = useCaseStore((s) => s.loading);
  const compare = useSynthesisStore((s) => s.compare);
  const placing = useSynthesisStore((s) => s.placing);
  useEffect(() => {
    if (canvas.current) onCanvas(canvas.current);
  }, [onCanvas]);
  return (
    <main className="viewer" aria-label="Image viewer">
      <ReadoutBar />
      <div className={['viewer-stage', compare ? 'is-compare' : '', placing ? 'is-placing' : ''].join(' ').trim()}>
        {/* niivue sizes a canvas to its parent and watches the parent: one pane per canvas. */}
        <div className="viewer-pane is-main">
          <canvas ref={canvas} className="viewer-canvas" data-testid="viewer-canvas" tabIndex={0} />
        </div>
        {compare ? <ComparePane /> : null}
        <PlacementBanner />
        {!image && !loading ? (
          <div className="viewer-empty">
            <p>No image open</p>
            <p className="muted">Open a NIfTI file, drop one here, or press D for the demo case.</p>
          </div>
        ) : null}
        {loading ? (
          <div className="viewer-loading" data-testid="viewer-loading">
            <span className="spinner" aria-hidden="true" /> Loading {loading}…
          </div>
        ) : null}
      </div>
    </main>
  );
}
