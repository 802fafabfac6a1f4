import type { KeyboardEvent } from 'react';
import { useServices } from '../appContext.tsx';
import { useCaseStore } from '../stores/caseStore.ts';
import { useLabelStore } from '../stores/labelStore.ts';
import {
  MAX_COUNT,
  MAX_SEED,
  ORGAN_CHOICES,
  SIZE_CHOICES,
  useSynthesisStore,
  type SizeChoice,
} from '../stores/synthesisStore.ts';
import type { Organ } from '../../core/labels.ts';
import { ActionButton } from './ActionButton.tsx';
import { Kbd } from './Kbd.tsx';
import { fmtMm } from './format.ts';
import { useDicomStore } from '../stores/dicomStore.ts';
import { DicomExportOptions } from './DicomExportOptions.tsx';

/** Escape hands the keyboard back to the shortcuts, as in the go-to field. */
const blurOnEscape = (e: KeyboardEvent<HTMLElement>) => {
  if (e.key === 'Escape') e.currentTarget.blur();
};

const ORGAN_NAMES: Record<Organ, string> = { liver: 'Liver', pancreas: 'Pancreas', kidney: 'Kidney' };

function ShortcutOf({ id }: { id: string }) {
  const { actions } = useServices();
  const s = actions.get(id).shortcut;
  return s ? <Kbd shortcut={s} subtle /> : null;
}

/** Synthetic tumours on the open case: settings, placement, result, view and export. */
export function SynthesisPanel() {
  const st = useSynthesisStore();
  const { settings: s } = st;
  const label = useCaseStore((c) => c.label);
  useLabelStore((l) => l.labels.length);
  const fromDicom = useDicomStore((d) => d.source !== null);
  const running = st.status === 'running';
  const update = st.update;
  return (
    <section className="panel synth" aria-labelledby="synth-heading" data-testid="synth-panel">
      <h2 id="synth-heading" className="panel-title">
        Synthesize
        {st.result ? <span className="badge badge-synth">{st.view === 'synthetic' || st.compare ? 'Synthetic' : 'Original'}</span> : null}
      </h2>
      {!label ? <p className="muted">Needs an image with its label map.</p> : null}
      <div className="synth-grid">
        <label className="field">
          <span>Organ</span>
          <select value={s.organ} data-testid="synth-organ"
            onKeyDown={blurOnEscape} onChange={(e) => update({ organ: e.target.value as Organ })}>
            {ORGAN_CHOICES.map((o) => (
              <option key={o} value={o}>
                {ORGAN_NAMES[o]}
              </option>
            ))}
          </select>
          <ShortcutOf id="synth.organ" />
        </label>
        <label className="field">
          <span>Size</span>
          <select value={s.sizeClass} data-testid="synth-size"
            onKeyDown={blurOnEscape} onChange={(e) => update({ sizeClass: e.target.value as SizeChoice })}>
            {SIZE_CHOICES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
          <ShortcutOf id="synth.size" />
        </label>
        <label className="field">
          <span>Seed</span>
          <input
            type="number"
            min={0}
            max={MAX_SEED}
            step={1}
            value={s.seed}
            data-testid="synth-seed"
            onKeyDown={blurOnEscape}
            onChange={(e) => update({ seed: Number(e.target.value) })}
          />
          <ShortcutOf id="synth.seed" />
        </label>
        <label className="field">
          <span>Count</span>
          <input
            type="number"
            min={1}
            max={MAX_COUNT}
            step={1}
            value={s.count}
            data-testid="synth-count"
            onKeyDown={blurOnEscape}
            onChange={(e) => update({ count: Number(e.target.value) })}
          />
          <ShortcutOf id="synth.count" />
        </label>
        <label className="field check">
          <input
            type="checkbox"
            checked={s.avoidVessels}
            data-testid="synth-vessels"
            onChange={(e) => update({ avoidVessels: e.target.checked })}
          />
          <span>Avoid vessels &gt;</span>
          <input
            type="number"
            step={10}
            value={s.huThreshold}
            disabled={!s.avoidVessels}
            aria-label="Vessel threshold (HU)"
            data-testid="synth-hu"
            onKeyDown={blurOnEscape}
            onChange={(e) => update({ huThreshold: Number(e.target.value) })}
          />
          <span className="unit">HU</span>
          <ShortcutOf id="synth.vessels" />
        </label>
      </div>
      <div className="segmented synth-placement" role="group" aria-label="Placement">
        <ActionButton id="synth.random" pressed={s.placement === 'random'} testId="synth-random" className="btn-small">
          Random
        </ActionButton>
        <ActionButton id="synth.place" pressed={s.placement === 'click'} testId="synth-place" className="btn-small">
          {st.placing ? 'Click a slice…' : 'Click to place'}
        </ActionButton>
      </div>
      {s.placement === 'click' ? (
        <p className="hint" data-testid="synth-centre">
          {st.placing
            ? `Click on a slice inside the ${s.organ}.`
            : st.centre
              ? `Centre voxel ${st.centre.join(', ')}`
              : 'No centre placed yet.'}
        </p>
      ) : null}
      <div className="synth-run">
        <ActionButton id="synth.run" testId="synth-run" className="btn-primary" showShortcut>
          {running ? 'Synthesising…' : 'Synthesise'}
        </ActionButton>
      </div>
      {st.message ? (
        <p className={st.status === 'error' ? 'synth-message is-error' : 'synth-message'} role="status" data-testid="synth-message">
          {st.message}
        </p>
      ) : null}
      {st.result ? (
        <div className="synth-result" data-testid="synth-result">
          <dl className="facts">
            <dt>Seed</dt>
            <dd data-testid="synth-result-seed">{st.result.seed}</dd>
            <dt>Darken</dt>
            <dd>{st.result.darkening.toFixed(3)} (window units)</dd>
          </dl>
          {st.result.tumours.map((t, n) => (
            <dl className="facts tumour" key={n} data-testid={`synth-tumour-${n}`}>
              <dt>Tumour</dt>
              <dd>
                {n + 1} · {t.organ} · <span data-testid={`synth-tumour-${n}-class`}>{t.sizeClass}</span>
                {t.userCentre ? ' · placed' : ''}
              </dd>
              <dt>Voxel</dt>
              <dd data-testid={`synth-tumour-${n}-voxel`}>{t.centreVoxel.join(', ')}</dd>
              <dt>mm</dt>
              <dd data-testid={`synth-tumour-${n}-mm`}>{fmtMm(t.centreMm)}</dd>
              <dt>Size</dt>
              <dd data-testid={`synth-tumour-${n}-size`}>
                {t.voxelCount} vox · {t.volumeMm3.toFixed(0)} mm³
              </dd>
              <dt>Seed</dt>
              <dd>{t.tumourSeed}</dd>
            </dl>
          ))}
          <p className="hint">Computed off the main thread in {(st.result.elapsedMs / 1000).toFixed(1)} s.</p>
          <div className="synth-actions">
            <ActionButton id="synth.toggleView" pressed={st.view === 'synthetic' && !st.compare} testId="synth-toggle" className="btn-small" showShortcut>
              Synthetic
            </ActionButton>
            <ActionButton id="synth.compare" pressed={st.compare} testId="synth-compare" className="btn-small" showShortcut>
              Compare
            </ActionButton>
            <ActionButton id="synth.export" testId="synth-export" className="btn-small" showShortcut>
              {st.exporting ? 'Exporting…' : fromDicom ? 'NIfTI' : 'Export'}
            </ActionButton>
            {fromDicom ? (
              <ActionButton id="synth.exportDicom" testId="synth-export-dicom" className="btn-small" showShortcut>
                DICOM SEG + derived series
              </ActionButton>
            ) : null}
          </div>
          {fromDicom ? <DicomExportOptions testId="synth-dicom-options" /> : null}
          {st.exported ? (
            <p className="hint" data-testid="synth-exported">
              Saved {st.exported.image} and {st.exported.label} (source geometry and datatype; nothing uploaded).
            </p>
          ) : null}
          {st.exportedDicom ? (
            <p className="hint" data-testid="synth-exported-dicom">
              Saved {st.exportedDicom.zip}: SEG.dcm and the derived series ({st.exportedDicom.files - 1} slices, new UIDs, described as
              synthetic); nothing uploaded.
            </p>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
