import { useCaseStore } from '../stores/caseStore.ts';
import { useDemoStore } from '../stores/demoStore.ts';
import { ActionButton } from './ActionButton.tsx';

/** Which demo is on screen; on the phantom, the way to the real sample (a download, on request). */
export function DemoSource() {
  const source = useCaseStore((s) => s.source);
  const { kind, description, sample, sampleError } = useDemoStore();
  if (source !== 'demo' || !kind) return null;
  return (
    <div className="demo-source" data-testid="demo-source" data-demo={kind}>
      <p className="hint">Demo: {description}.</p>
      {kind === 'phantom' ? (
        <>
          <ActionButton id="file.openTotalSegmentatorSample" testId="open-ts-sample" className="btn-small">
            {sample === 'downloading' ? 'Downloading the TotalSegmentator sample…' : 'Open the TotalSegmentator sample'}
          </ActionButton>
          <p className="hint">A real abdominal CT (2.3 MB, Apache-2.0) fetched from github.com/wasserth/TotalSegmentator and checked by SHA-256.</p>
        </>
      ) : null}
      {sample === 'failed' && sampleError ? (
        <p className="hint error" role="alert" data-testid="ts-sample-error">
          {sampleError}
        </p>
      ) : null}
    </div>
  );
}
