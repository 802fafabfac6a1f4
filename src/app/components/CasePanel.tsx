import { useCaseStore } from '../stores/caseStore.ts';
import { fmtDims, fmtSpacing } from './format.ts';

export function CasePanel() {
  const { image, label, source, loading } = useCaseStore();
  return (
    <section className="panel" aria-labelledby="case-heading">
      <h2 id="case-heading" className="panel-title">
        Case
        {source ? <span className={`badge badge-${source}`}>{source === 'demo' ? 'Demo' : 'Local file'}</span> : null}
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
      {loading ? (
        <p className="loading" data-testid="case-loading">
          <span className="spinner" aria-hidden="true" /> Reading {loading}…
        </p>
      ) : null}
      <p className="privacy-note">
        <svg viewBox="0 0 16 16" aria-hidden="true" className="icon">
          <path d="M8 1l5 2v4c0 3.5-2.2 6.3-5 7.5C5.2 13.3 3 10.5 3 7V3l5-2z" fill="none" stroke="currentColor" strokeWidth="1.4" />
        </svg>
        Files open in this browser tab. Nothing is uploaded. Drop NIfTI files anywhere.
      </p>
    </section>
  );
}
