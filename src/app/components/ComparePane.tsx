import { useEffect, useRef } from 'react';
import { useServices } from '../appContext.tsx';
import { useSynthesisStore } from '../stores/synthesisStore.ts';
import { useStatusStore } from '../stores/statusStore.ts';

/** The right half of the side-by-side compare: a second niivue showing the synthetic image. */
export function ComparePane() {
  const { viewer } = useServices();
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    viewer.attachCompare(c).catch((err: unknown) => {
      useSynthesisStore.getState().setCompare(false);
      useStatusStore.getState().pushMessage('error', `Compare view failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    return () => {
      viewer.detachCompare();
      viewer.showSynthetic(useSynthesisStore.getState().view === 'synthetic');
    };
  }, [viewer]);
  return (
    <>
      <div className="viewer-pane is-compare">
        <canvas ref={canvas} className="viewer-canvas" data-testid="compare-canvas" tabIndex={0} />
      </div>
      <span className="pane-caption is-left">Original</span>
      <span className="pane-caption is-right">Synthetic</span>
    </>
  );
}
