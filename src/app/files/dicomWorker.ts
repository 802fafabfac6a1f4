// DICOM off the main thread: the page posts the dropped files, this worker reads, scans, converts
// (dcm2niix WASM) and decodes SEGs through a DicomSession. Nothing leaves the tab: the only fetch is
// the .wasm from this page's own origin.
import type { DicomProgress } from '../../core/dicom/types.ts';
import { browserDcm2niix } from './dcm2niixBrowser.ts';
import type { DicomToMain, MainToDicom } from './dicomMessages.ts';
import { DicomSession } from './dicomSession.ts';

const scope = self as unknown as {
  postMessage(m: DicomToMain, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<MainToDicom>) => void) | null;
};
const post = (m: DicomToMain, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
const session = new DicomSession(browserDcm2niix);

function progress(requestId: number): (p: DicomProgress) => void {
  // Throttled: scanning a 1000-file series would otherwise post 1000 messages in a burst.
  let last = -Infinity;
  return (p) => {
    const now = performance.now();
    if (p.done > 0 && p.done < p.total && now - last < 50) return;
    last = now;
    post({ type: 'progress', requestId, progress: p });
  };
}

async function handle(m: MainToDicom): Promise<void> {
  switch (m.type) {
    case 'scan': {
      const r = await session.scan(m.files, progress(m.requestId));
      post({ type: 'scanned', requestId: m.requestId, ...r });
      return;
    }
    case 'convert': {
      const r = await session.convert(m.scanId, m.seriesUID, progress(m.requestId));
      post({ type: 'converted', requestId: m.requestId, ...r }, [r.nifti.buffer]);
      return;
    }
    case 'readSeg':
      post({ type: 'segRead', requestId: m.requestId, ...(await session.readSeg(m.scanId, m.file, m.grid)) });
      return;
    case 'segLabels': {
      const r = await session.segLabels(m.segId, m.mapping);
      post({ type: 'segLabels', requestId: m.requestId, ...r }, [r.nifti.buffer]);
      return;
    }
    case 'release':
      session.release(m.scanId);
      return;
  }
}

scope.onmessage = (e) => {
  const m = e.data;
  handle(m).catch((err: unknown) =>
    post({ type: 'error', requestId: 'requestId' in m ? m.requestId : 0, message: err instanceof Error ? err.message : String(err) }),
  );
};
