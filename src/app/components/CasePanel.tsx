import { useCaseStore, type CaseSource } from '../stores/caseStore.ts';
import { STAGE_NAMES, useDicomStore } from '../stores/dicomStore.ts';
import { fmtDims, fmtSpacing } from './format.ts';
import { ActionButton } from './ActionButton.tsx';
import { DemoSource } from './DemoSource.tsx';

const SOURCE_BADGES: Record<CaseSource, string> = { demo: 'Demo', local: 'Local file', dicom: 'DICOM' };

/** Reading → scanning → converting, one bar per stage, while a DICOM drop is processed. */
function DicomProgressBar() {
  const progress = useDicomStore((s) => s.progress);
  if (!progress) return null;
  const frac = progress.total > 0 ? progress.done / progress.total : 0;
  return (
    <div className="dicom-progress" role="status" data-testid="dicom-progress" data-stage={progress.stage}>
      <span>
        {STAGE_NAMES[progress.stage]} · {progress.what}
        {progress.total > 1 ? ` · ${progress.done}/${progress.total}` : ''}
      </span>
      <progress max={1} value={frac} aria-label={STAGE_NAMES[progress.stage]} />
    </div>
  );
}

/** Where a DICOM case came from, and what the converted image keeps of it. */
function DicomSourceFacts() {
  const source = useDicomStore((s) => s.source);
  if (!source) return null;
  const s = source.series;
  return (
    <p className="hint dicom-source" data-testid="dicom-source" title={s.seriesInstanceUID}>
      DICOM series “{s.description || 'unnamed'}”{s.seriesNumber !== null ? ` #${s.seriesNumber}` : ''} · {s.slices.length} slices ·{' '}
      {s.transferSyntaxName}. Converted here; the NIfTI in the viewer carries no patient fields.
    </p>
  );
}

export function CasePanel() {
  const { image, label, source, loading } = useCaseStore();
  return (
    <section className="panel" aria-labelledby="case-heading">
      <h2 id="case-heading" className="panel-title">
        Case
        {source ? <span className={`badge badge-${source}`}>{SOURCE_BADGES[source]}</span> : null}
      </h2>
      {image ? (
        <dl className="facts">
          <dt>Image</dt>
          <dd className="filename" data-testid="case-image-name" title={image.name}>
            {image.name}
          </dd>
          <dt>Size</dt>
          <dd data-testid="case-dims">{fmtDims(image.dims)}</dd>
          <dt>Voxel</dt>
          <dd data-testid="case-spacing">{fmtSpacing(image.spacing)}</dd>
          <dt>Type</dt>
          <dd>{image.datatype}</dd>
          <dt>Labels</dt>
          <dd className="filename" data-testid="case-label-name" title={label?.name}>
            {label ? label.name : <span className="muted">none</span>}
          </dd>
        </dl>
      ) : (
        <p className="muted">{loading ? 'Loading…' : 'No image open.'}</p>
      )}
      <DemoSource />
      <DicomSourceFacts />
      <div className="dicom-open-row">
        <ActionButton id="file.openDicomFolder" testId="open-dicom-folder" className="btn-small" showShortcut>
          DICOM folder…
        </ActionButton>
        <ActionButton id="file.openDicomFiles" testId="open-dicom-files" className="btn-small" showShortcut>
          DICOM files…
        </ActionButton>
      </div>
      <DicomProgressBar />
      {loading ? (
        <p className="loading" data-testid="case-loading">
          <span className="spinner" aria-hidden="true" /> Reading {loading}…
        </p>
      ) : null}
      <p className="privacy-note">
        <svg viewBox="0 0 16 16" aria-hidden="true" className="icon">
          <path d="M8 1l5 2v4c0 3.5-2.2 6.3-5 7.5C5.2 13.3 3 10.5 3 7V3l5-2z" fill="none" stroke="currentColor" strokeWidth="1.4" />
        </svg>
        Files open in this browser tab. Nothing is uploaded. Drop NIfTI files or a DICOM series folder anywhere.
      </p>
    </section>
  );
}
