import { useEffect, useRef, useState } from 'react';
import { useUiStore } from '../../stores/uiStore.ts';
import '../qualityLab.css';
import { ORGANS, PROJECT_LABEL_COLORS, PROJECT_LABEL_NAMES, type Organ } from '../../../core/labels.ts';
import { SIZE_CLASSES, type SizeClass } from '../../../core/tumor/sizeClasses.ts';
import { useLabStore, currentPassCount, shownItem, MAX_BATCH } from '../labStore.ts';
import { getLabService } from '../labContext.ts';
import { BOTH_COLOR, M_COLOR, S_COLOR } from '../LabViewer.ts';
import { organsCovered, sortByP } from '../helpers.ts';
import type { LabItem, ModelInfo, ModelSlot, Thumbnail } from '../messages.ts';
import { PHistogram, PassRateCurve } from './charts.tsx';
import { SavedCheckpoints, SlotCheckpointButtons } from './SavedCheckpoints.tsx';
import { MODEL_FILE_ACCEPT } from '../modelFiles.ts';
import { useDicomStore } from '../../stores/dicomStore.ts';
import { DicomExportOptions } from '../../components/DicomExportOptions.tsx';

const fmtP = (p: number) => (Number.isFinite(p) ? p.toFixed(3) : 'undefined');
const rgb = (c: [number, number, number]) => `rgb(${c.join(',')})`;

function ModelCard({ slot, info }: { slot: ModelSlot; info: ModelInfo | undefined }) {
  const lab = getLabService();
  const input = useRef<HTMLInputElement>(null);
  const title = slot === 'generator' ? 'Generator G' : 'Segmentor S';
  return (
    <div className="ql-model" data-testid={`ql-model-${slot}`}>
      <div className="ql-model-head">
        <strong>{title}</strong>
        <span className="toolbar-spacer" />
        <button type="button" className="btn" onClick={() => input.current?.click()} data-testid={`ql-pick-${slot}`}>
          Load…
        </button>
        {info ? (
          <button type="button" className="btn" onClick={() => lab?.unload(slot)} title="Unload (to load another architecture or label scheme)">
            Unload
          </button>
        ) : null}
        <input
          ref={input}
          type="file"
          accept={MODEL_FILE_ACCEPT}
          hidden
          data-testid={`ql-file-${slot}`}
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = '';
            void lab?.loadFiles(files, slot);
          }}
        />
      </div>
      {info ? (
        <dl className="ql-card" data-testid={`ql-card-${slot}`}>
          <dt>file</dt>
          <dd title={info.fileName}>{info.fileName}</dd>
          <dt>preset</dt>
          <dd>
            {info.preset} · {info.patch.join('×')} @ {info.spacingMm} mm
          </dd>
          {slot === 'segmentor' && info.architecture?.startsWith('SwinUNETR') && info.patch[0] > 32 ? (
            <>
              <dt>runs at</dt>
              <dd>
                <select
                  value={(info.runPatch ?? info.patch)[0]}
                  data-testid="ql-seg-crop"
                  title="A 96³ SwinUNETR forward takes minutes without a GPU: a smaller crop at the same spacing is faster, but S then sees less context than it was trained with"
                  onChange={(e) => void lab?.setSegmentorCrop(Number(e.target.value))}
                >
                  {Array.from({ length: Math.floor(Math.min(...info.patch) / 32) }, (_, i) => Math.min(...info.patch) - 32 * i)
                    .filter((e) => e % 32 === 0)
                    .map((e) => (
                      <option key={e} value={e}>
                        {e}³{e === info.patch[0] ? ' (as trained)' : ' (faster, less context)'}
                      </option>
                    ))}
                </select>
              </dd>
            </>
          ) : null}
          <dt>network</dt>
          <dd data-testid={`ql-arch-${slot}`}>
            {info.architecture ? `${info.architecture} · ` : ''}
            {info.networkName} ({info.role}
            {info.labelScheme ? `, ${info.labelScheme}${info.organ ? ` (${info.organ})` : ''}` : ''}) · {info.params.toLocaleString()} params
          </dd>
          {info.organChoice ? (
            <>
              <dt>organ</dt>
              <dd>
                <select
                  value={info.organ ?? ''}
                  data-testid="ql-seg-organ"
                  title="The file does not say which organ this 3-class specialist segments: choose it"
                  onChange={(e) => void lab?.setSegmentorOrgan(e.target.value as Organ)}
                >
                  {ORGANS.map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </select>{' '}
                <span className="ql-dim">not in the file: your choice</span>
              </dd>
            </>
          ) : null}
          {info.source ? (
            <>
              <dt>from</dt>
              <dd className="ql-prov" data-testid={`ql-source-${slot}`} title={`SHA-256 ${info.source.sha256}`}>
                PyTorch {info.fileName} · SHA-256 {info.source.sha256.slice(0, 16)}…
                {info.source.epoch !== null ? ` · epoch ${info.source.epoch}` : ''}
                {info.source.bestAcc !== null ? ` · best_acc ${info.source.bestAcc.toFixed(4)}` : ''}
              </dd>
            </>
          ) : null}
        </dl>
      ) : null}
      {info ? <SlotCheckpointButtons slot={slot} /> : null}
      {info ? (
        <details className="ql-card-more">
          <summary>model card</summary>
          <dl className="ql-card">
            <dt>encoder</dt>
            <dd>{JSON.stringify(info.encoder)}</dd>
            <dt>step</dt>
            <dd>{info.step}</dd>
            {info.description ? (
              <>
                <dt>about</dt>
                <dd className="ql-prov">{info.description}</dd>
              </>
            ) : null}
            {Object.keys(info.provenance).length ? (
              <>
                <dt>provenance</dt>
                <dd className="ql-prov">{JSON.stringify(info.provenance)}</dd>
              </>
            ) : null}
          </dl>
        </details>
      ) : null}
      {info ? null : (
        <p className="ql-dim">Load… or drop .safetensors checkpoints or PyTorch .pt files anywhere on the lab.</p>
      )}
    </div>
  );
}

function ThumbCanvas({ thumb }: { thumb: Thumbnail }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    const img = ctx.createImageData(thumb.nx, thumb.ny);
    const lo = -160;
    const hi = 240;
    for (let j = 0; j < thumb.ny; j++) {
      for (let i = 0; i < thumb.nx; i++) {
        // Radiological display: anterior up means flipping y (voxel j grows posterior→anterior in RAS).
        const src = i + thumb.nx * j;
        const dst = 4 * (i + thumb.nx * (thumb.ny - 1 - j));
        const o = thumb.outline[src];
        const g = Math.round(255 * Math.min(1, Math.max(0, (thumb.hu[src] - lo) / (hi - lo))));
        const col = o === 3 ? BOTH_COLOR : o === 2 ? S_COLOR : o === 1 ? M_COLOR : ([g, g, g] as [number, number, number]);
        img.data[dst] = col[0];
        img.data[dst + 1] = col[1];
        img.data[dst + 2] = col[2];
        img.data[dst + 3] = 255;
      }
    }
    c.width = thumb.nx;
    c.height = thumb.ny;
    ctx.putImageData(img, 0, 0);
  }, [thumb]);
  return <canvas ref={ref} className="ql-thumb-canvas" />;
}

function Gallery({ items, thumbs, threshold, shown }: { items: LabItem[]; thumbs: Record<number, Thumbnail>; threshold: number; shown: number | null }) {
  const lab = getLabService();
  return (
    <div className="ql-gallery" data-testid="ql-gallery">
      {sortByP(items).map((it) => {
        const pass = it.P >= threshold;
        const t = thumbs[it.index];
        return (
          <button
            key={it.index}
            type="button"
            className={`ql-thumb${shown === it.index ? ' is-shown' : ''}`}
            data-testid="ql-thumb"
            data-p={String(it.P)}
            data-pass={String(pass)}
            onClick={() => void lab?.openItem(it.index)}
            title={`#${it.index} seed ${it.seed} · ${it.organ} ${it.sizeClass} · centre ${it.centreVoxel.join(',')} · ${it.volumeMm3.toFixed(0)} mm³`}
          >
            {t ? <ThumbCanvas thumb={t} /> : null}
            <span className={`ql-badge ${pass ? 'is-pass' : 'is-fail'}`}>{pass ? 'pass' : 'fail'}</span>
            <span className="ql-thumb-p">P {fmtP(it.P)}</span>
          </button>
        );
      })}
    </div>
  );
}

function Progress() {
  const p = useLabStore((s) => s.progress);
  const [, tick] = useState(0);
  useEffect(() => {
    if (!p) return;
    const id = setInterval(() => tick((n) => n + 1), 200);
    return () => clearInterval(id);
  }, [p]);
  // Anything under ~200 ms does not flash a bar.
  if (!p || Date.now() - p.startedAt < 200) return null;
  const lab = getLabService();
  const frac = p.total ? p.done / p.total : 0;
  return (
    <div className="ql-progress" role="status" data-testid="ql-progress">
      <progress max={1} value={frac} />
      <span>
        {p.kind}: {p.phase} ({p.done}/{p.total})
      </span>
      <button type="button" className="btn" data-testid="ql-cancel" onClick={() => lab?.cancel()}>
        Cancel
      </button>
    </div>
  );
}

function Viewer() {
  const ref = useRef<HTMLCanvasElement>(null);
  const caseLabels = useLabStore((s) => s.caseLabels);
  const zoom = useLabStore((s) => s.zoom);
  const [labelsOn, setLabelsOn] = useState(true);
  useEffect(() => {
    const lab = getLabService();
    const c = ref.current;
    if (!lab || !c) return;
    lab.viewer.onZoom = (z) => useLabStore.getState().setZoom(z);
    void lab.attachViewer(c).catch((err: unknown) => useLabStore.getState().setError(`The lab viewer could not start: ${String(err)}`));
    return () => {
      lab.viewer.onZoom = null;
      lab.detachViewer();
      useLabStore.getState().setZoom(1);
    };
  }, []);
  const viewer = () => getLabService()?.viewer;
  return (
    <div className="ql-viewer">
      <canvas ref={ref} data-testid="ql-canvas" />
      <div className="ql-legend">
        <span style={{ color: rgb(M_COLOR) }}>■ M (simulated)</span>
        <span style={{ color: rgb(S_COLOR) }}>■ S predicts tumour</span>
        <span style={{ color: rgb(BOTH_COLOR) }}>■ both</span>
      </div>
      <div className="ql-legend ql-case-labels" data-testid="ql-case-labels">
        <label title="The case's own organ and tumour labels, faint under the outlines">
          <input type="checkbox" checked={labelsOn} data-testid="ql-labels-toggle" onChange={(e) => {
            setLabelsOn(e.target.checked);
            viewer()?.setLabelsVisible(e.target.checked);
          }} />{' '}
          case labels
        </label>
        {caseLabels.map((id) => (
          <span key={id} data-testid="ql-case-label" style={{ color: rgb(PROJECT_LABEL_COLORS[id] ?? [200, 200, 200]) }}>
            ■ {(PROJECT_LABEL_NAMES[id] ?? `id ${id}`).replace('_', ' ')}
          </span>
        ))}
        <span className="toolbar-spacer" />
        <button type="button" className="btn btn-small" data-testid="ql-zoom-out" title="Zoom out (Ctrl + wheel)" onClick={() => viewer()?.zoomBy(0.8)}>
          −
        </button>
        <output data-testid="ql-zoom" title="Ctrl + wheel zooms, middle-drag pans">
          {Math.round(zoom * 100)}%
        </output>
        <button type="button" className="btn btn-small" data-testid="ql-zoom-in" title="Zoom in (Ctrl + wheel)" onClick={() => viewer()?.zoomBy(1.25)}>
          +
        </button>
        <button type="button" className="btn btn-small" data-testid="ql-zoom-reset" title="Fit the slices again" onClick={() => viewer()?.resetView()}>
          Fit
        </button>
      </div>
    </div>
  );
}

export function QualityLabLayer() {
  const s = useLabStore();
  const dragging = useUiStore((u) => u.dragging);
  const fromDicom = useDicomStore((d) => d.source !== null);
  const open = s.open;
  useEffect(() => {
    if (!open) return;
    // The workbench's shortcuts step aside while the lab is open; Escape leaves placement, then the lab.
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      const st = useLabStore.getState();
      if (st.placing) getLabService()?.togglePlacement();
      else st.setOpen(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open]);
  const lab = getLabService();
  if (!s.open) return null;
  const busy = s.progress !== null;
  const canRun = !!s.models.generator && !!s.models.segmentor && !busy;
  const values = s.batch?.items.map((i) => i.P) ?? [];
  const passing = currentPassCount(s);
  const result = shownItem(s);
  const covered = organsCovered(s.models.segmentor);
  return (
    <div className="ql-layer" role="dialog" aria-modal="true" aria-label="Quality-test lab" data-testid="quality-lab">
      {dragging ? (
        <div className="ql-drop" data-testid="ql-drop-overlay" aria-hidden="true">
          <strong>Drop .safetensors checkpoints or PyTorch .pt files</strong>
          <span>G and S are recognised from their model cards (or, for .pt, from their weights).</span>
        </div>
      ) : null}
      <header className="ql-header">
        <span className="ql-title">Quality-test lab</span>
        <span className="ql-dim">P = |M ∩ S predicts tumour| / |M|, pass if P ≥ T</span>
        <span className="toolbar-spacer" />
        <span className="ql-backend" data-testid="ql-backend" data-backend={s.backend ?? ''} title={s.backendFailures.map((f) => `${f.name}: ${f.error}`).join('\n')}>
          tfjs: {s.backend ?? 'starting…'}
          {s.backendNote ? ' (fallback)' : ''}
        </span>
        <button type="button" className="btn" data-testid="ql-close" onClick={() => s.setOpen(false)}>
          Back to workbench
        </button>
      </header>
      {s.error ? (
        <p className="ql-error" role="alert" data-testid="ql-error">
          {s.error}
          <button type="button" className="btn" onClick={() => s.setError(null)}>
            ×
          </button>
        </p>
      ) : null}
      <aside className="ql-side">
        <section>
          <h3>Models</h3>
          {s.demo === 'absent' ? (
            <p className="ql-note" data-testid="ql-demo-absent">
              No demo models bundled yet; load checkpoints.
            </p>
          ) : s.demo === 'checking' ? (
            <p className="ql-dim">Looking for bundled demo models…</p>
          ) : null}
          <ModelCard slot="generator" info={s.models.generator} />
          <ModelCard slot="segmentor" info={s.models.segmentor} />
          {s.modelError ? (
            <p className="ql-error-inline" role="alert" data-testid="ql-model-error">
              {s.modelError}
            </p>
          ) : null}
        </section>
        <SavedCheckpoints />
        <section>
          <h3>Single tumour</h3>
          <div className="ql-row">
            <label>
              organ{' '}
              <select
                value={s.organ}
                onChange={(e) => s.setOrgan(e.target.value as Organ)}
                data-testid="ql-organ"
                title={s.models.segmentor?.organ ? `S is a ${s.models.segmentor.organ} specialist: it scores no other organ` : undefined}
              >
                {covered.map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
            </label>
            <label>
              size{' '}
              <select value={s.sizeClass} onChange={(e) => s.setSizeClass(e.target.value as SizeClass | 'random')} data-testid="ql-size" title="Size class of single and batch tumours">
                {(['random', ...SIZE_CLASSES] as const).map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            </label>
            <label>
              seed <input type="number" min={0} value={s.seed} onChange={(e) => s.setSeed(Number(e.target.value))} data-testid="ql-seed" className="ql-num" />
            </label>
          </div>
          <div className="ql-row">
            <button type="button" className="btn btn-primary" disabled={!canRun} data-testid="ql-synthesize" onClick={() => void lab?.runSingle()}>
              Synthesise {s.centre ? 'at click' : '(random)'}
            </button>
            <button type="button" className={`btn${s.placing ? ' is-pressed' : ''}`} disabled={!canRun && !s.placing} onClick={() => lab?.togglePlacement()} data-testid="ql-place">
              {s.placing ? 'Click in the viewer…' : 'Place by click'}
            </button>
            {s.centre ? (
              <button type="button" className="btn" onClick={() => s.setCentre(null)}>
                Random
              </button>
            ) : null}
          </div>
          {result ? (
            <p className="ql-result" data-testid="ql-single-result" data-from={result.from} data-index={String(result.item.index)} data-p={String(result.item.P)} data-centre={result.item.centreVoxel.join(',')}>
              <span className="ql-dim" data-testid="ql-result-source">
                {result.from === 'gallery' ? `Gallery item #${result.item.index} · seed ${result.item.seed}` : 'Single synthesis'}
              </span>
              <br />
              P = <strong data-testid="ql-single-p">{fmtP(result.item.P)}</strong>{' '}
              <span className={`ql-badge ${result.item.P >= s.threshold ? 'is-pass' : 'is-fail'}`} data-testid="ql-single-verdict">
                {result.item.P >= s.threshold ? 'pass' : 'fail'}
              </span>{' '}
              at T = {s.threshold.toFixed(2)}
              <br />
              <span className="ql-dim">
                {result.item.organ} · {result.item.sizeClass} · centre {result.item.centreVoxel.join(', ')} · {result.item.volumeMm3.toFixed(0)} mm³ · {result.item.newVoxels} new tumour voxels · |M| {result.item.maskVoxels} · {result.item.elapsedMs.toFixed(0)} ms
              </span>
            </p>
          ) : null}
        </section>
        <section>
          <h3>Batch</h3>
          <div className="ql-row">
            <label>
              N <input type="number" min={1} max={MAX_BATCH} value={s.count} onChange={(e) => s.setCount(Number(e.target.value))} data-testid="ql-count" className="ql-num" />
            </label>
            <button type="button" className="btn btn-primary" disabled={!canRun} data-testid="ql-run-batch" onClick={() => void lab?.runBatch()}>
              Run batch
            </button>
          </div>
          {s.batch ? (
            <p className="ql-dim" data-testid="ql-batch-status" data-finished={String(s.batch.finished)} data-tensors-after={String(s.batch.numTensorsAfter ?? '')} data-tensors-before={String(lab?.tensorBaseline ?? '')}>
              {s.batch.items.length}/{s.batch.total} tumours
              {s.batch.finished ? (s.batch.cancelled ? ' (cancelled)' : ' (done)') : '…'}
              {s.batch.numTensorsAfter !== null ? ` · tensors ${lab?.tensorBaseline ?? '?'} → ${s.batch.numTensorsAfter}` : ''}
            </p>
          ) : null}
        </section>
        <Progress />
        {s.notices.length ? (
          <ul className="ql-notices" data-testid="ql-notices">
            {s.notices.map((n, i) => (
              <li key={i}>{n}</li>
            ))}
          </ul>
        ) : null}
      </aside>
      <main className="ql-main">
        <Viewer />
      </main>
      <aside className="ql-results">
        <section>
          <h3>Threshold</h3>
          <label className="ql-slider">
            T{' '}
            <input type="range" min={0} max={1} step={0.01} value={s.threshold} onChange={(e) => s.setThreshold(Number(e.target.value))} data-testid="ql-threshold" />
            <output data-testid="ql-threshold-value">{s.threshold.toFixed(2)}</output>
          </label>
          <p data-testid="ql-pass-rate" data-pass={passing} data-total={values.length}>
            {values.length ? (
              <>
                <strong>{passing}</strong> / {values.length} pass ({((100 * passing) / values.length).toFixed(0)}%)
              </>
            ) : (
              <span className="ql-dim">Run a batch to see the pass rate.</span>
            )}
          </p>
          <h4>Histogram of P</h4>
          <PHistogram values={values} threshold={s.threshold} />
          <h4>Pass rate vs T</h4>
          <PassRateCurve values={values} threshold={s.threshold} />
          <div className="ql-row">
            <button type="button" className="btn" disabled={!s.batch?.items.length} data-testid="ql-export-csv" onClick={() => lab?.exportCsv()}>
              CSV
            </button>
            <button type="button" className="btn" disabled={!s.batch?.items.length} data-testid="ql-export-json" onClick={() => lab?.exportJson()}>
              JSON
            </button>
            <button type="button" className="btn" disabled={!s.batch?.items.length || busy} data-testid="ql-export-nifti" title="One zip: the composed image and its label map (.nii.gz) per passing tumour" onClick={() => void lab?.exportPassing()}>
              Passing as NIfTI (.zip)
            </button>
            {fromDicom ? (
              <button type="button" className="btn" disabled={!s.batch?.items.length || busy} data-testid="ql-export-dicom" title="One zip: a DICOM SEG and a derived (synthetic) series per passing tumour" onClick={() => void lab?.exportPassingDicom()}>
                Passing as DICOM
              </button>
            ) : null}
          </div>
          {fromDicom ? <DicomExportOptions testId="ql-dicom-options" /> : null}
        </section>
        <section className="ql-gallery-section">
          <h3>Gallery (by P)</h3>
          {s.batch ? <Gallery items={s.batch.items} thumbs={s.batch.thumbs} threshold={s.threshold} shown={s.shown} /> : <p className="ql-dim">No batch yet.</p>}
        </section>
      </aside>
    </div>
  );
}
