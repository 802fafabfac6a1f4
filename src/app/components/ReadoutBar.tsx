import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useServices } from '../appContext.tsx';
import { useReadoutStore } from '../stores/readoutStore.ts';
import { useCaseStore } from '../stores/caseStore.ts';
import { useUiStore } from '../stores/uiStore.ts';
import { fmtMm, fmtValue } from './format.ts';
import { worldIn, type WorldFrame } from '../viewer/geometry.ts';

const FRAME_TITLES: Record<WorldFrame, string> = {
  RAS: 'World position in RAS+ (NIfTI, niivue, Slicer): +x left, +y anterior, +z superior',
  LPS: 'World position in LPS+ (DICOM, PACS): +x left, +y posterior, +z superior',
};

function GoToVoxel() {
  const { viewer } = useServices();
  const image = useCaseStore((s) => s.image);
  const readout = useReadoutStore((s) => s.readout);
  const focusGoTo = useUiStore((s) => s.focusGoTo);
  const first = useRef<HTMLInputElement>(null);
  const [ijk, setIjk] = useState(['', '', '']);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (focusGoTo > 0) first.current?.select();
  }, [focusGoTo]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!image) return;
    // Blank fields keep the crosshair's current index on that axis.
    const v = ijk.map((s, n) => (s.trim() === '' ? (readout?.voxel[n] ?? 0) : Number(s)));
    if (v.some((x) => !Number.isInteger(x))) {
      setError('Voxel indices are whole numbers.');
      return;
    }
    if (!viewer.goToVoxel(v[0], v[1], v[2])) {
      setError(`Outside the image (0…${image.dims[0] - 1}, 0…${image.dims[1] - 1}, 0…${image.dims[2] - 1}).`);
      return;
    }
    setError(null);
  };

  return (
    <form className="goto" onSubmit={submit} aria-label="Go to voxel">
      <span className="readout-key">Go to</span>
      <div className="goto-row">
        {(['i', 'j', 'k'] as const).map((axis, n) => (
          <label key={axis} className="goto-field">
            <span>{axis}</span>
            <input
              ref={n === 0 ? first : undefined}
              inputMode="numeric"
              placeholder={readout ? String(readout.voxel[n]) : '–'}
              value={ijk[n]}
              disabled={!image}
              data-testid={`goto-${axis}`}
              onChange={(e) => setIjk((old) => old.map((o, m) => (m === n ? e.target.value : o)))}
              // Escape hands the keyboard back to the viewer shortcuts.
              onKeyDown={(e) => e.key === 'Escape' && e.currentTarget.blur()}
            />
          </label>
        ))}
        <button type="submit" className="btn btn-primary" disabled={!image} data-testid="goto-submit">
          Go
        </button>
      </div>
      {error ? (
        <p className="field-error" role="alert" data-testid="goto-error">
          {error}
        </p>
      ) : null}
    </form>
  );
}

/** The crosshair readout and go-to-voxel form, in a strip above the image where eyes already are. */
export function ReadoutBar() {
  const readout = useReadoutStore((s) => s.readout);
  const frame = useReadoutStore((s) => s.frame);
  const { actions } = useServices();
  const hasLabels = useCaseStore((s) => s.label !== null);
  const labelText =
    !hasLabels || !readout || readout.labelId === null ? null : (
      <>
        {readout.labelName}
        {readout.labelId !== 0 ? <span className="muted"> #{readout.labelId}</span> : null}
        {readout.projectLabel && readout.projectLabel !== readout.labelName ? (
          <span className="muted"> → {readout.projectLabel}</span>
        ) : null}
      </>
    );
  return (
    <div className="readout-bar" data-testid="readout" aria-label="Crosshair readout">
      <div className="readout-item">
        <button
          type="button"
          className="readout-key readout-frame"
          data-testid="readout-frame"
          title={`${FRAME_TITLES[frame]}. Click for ${frame === 'RAS' ? 'LPS' : 'RAS'} (${actions.get('readout.frame').shortcut}).`}
          onClick={() => actions.run('readout.frame')}
        >
          World {frame}
        </button>
        <span className="readout-val" data-testid="readout-mm">{readout ? `${fmtMm(worldIn(frame, readout.mm))} mm` : '–'}</span>
      </div>
      <div className="readout-item">
        <span className="readout-key">Voxel</span>
        <span className="readout-val" data-testid="readout-voxel">{readout ? readout.voxel.join(', ') : '–'}</span>
      </div>
      <div className="readout-item readout-hu">
        <span className="readout-key">Value</span>
        <span className="readout-val">
          <span data-testid="readout-value">{readout && readout.value !== null ? fmtValue(readout.value) : '–'}</span>
          {readout && readout.value !== null ? <span className="unit"> HU</span> : null}
        </span>
      </div>
      <div className="readout-item readout-label">
        <span className="readout-key">Label</span>
        <span className="readout-val" data-testid="readout-label" title={readout?.labelName ?? undefined}>
          {labelText ?? '–'}
        </span>
      </div>
      <GoToVoxel />
    </div>
  );
}
