import { useServices } from '../appContext.tsx';
import { useLabelStore } from '../stores/labelStore.ts';
import { useCaseStore } from '../stores/caseStore.ts';
import { useDemoStore } from '../stores/demoStore.ts';
import { useStatusStore } from '../stores/statusStore.ts';
import { useLesionStore } from '../stores/lesionStore.ts';
import { SCHEME_NAMES, type SchemeId } from '../viewer/labelScheme.ts';
import { fmtVolumeMl, rgb } from './format.ts';
import { ActionButton } from './ActionButton.tsx';
import { Kbd } from './Kbd.tsx';

export function LabelPanel() {
  const { viewer } = useServices();
  const { labels, scheme } = useLabelStore();
  const label = useCaseStore((s) => s.label);
  const source = useCaseStore((s) => s.source);
  const demoKind = useDemoStore((s) => s.kind);
  const display = useLesionStore((s) => s.labelDisplay);
  return (
    <section className="panel" aria-labelledby="labels-heading">
      <h2 id="labels-heading" className="panel-title">
        Labels
        {labels.length > 0 ? (
          <span className="panel-actions">
            <ActionButton id="labels.outline" className="btn-small" pressed={display === 'outline'} testId="label-outline">
              Outline
            </ActionButton>
            <ActionButton id="labels.toggleAll" className="btn-small">All</ActionButton>
          </span>
        ) : null}
      </h2>
      {!label ? (
        <p className="muted">No label map. Open one, or drop a *_seg.nii.gz.</p>
      ) : (
        <>
          <label className="field">
            <span>Scheme</span>
            <select
              value={scheme ?? 'totalsegmentator'}
              data-testid="label-scheme"
              onChange={(e) =>
                viewer.setScheme(e.target.value as SchemeId).catch((err: unknown) => {
                  useStatusStore.getState().pushMessage('error', `Could not re-read the label map: ${err instanceof Error ? err.message : String(err)}`);
                })
              }
            >
              {(Object.keys(SCHEME_NAMES) as SchemeId[]).map((s) => (
                <option key={s} value={s}>
                  {SCHEME_NAMES[s]}
                </option>
              ))}
            </select>
          </label>
          {labels.length === 0 ? (
            <p className="muted" data-testid="labels-empty">
              None of the project organs (liver, pancreas, kidney) is in this label map.
            </p>
          ) : (
            <ul className="legend" data-testid="label-legend">
              {labels.map((l, n) => (
                <li key={l.key} className={l.visible ? 'legend-row' : 'legend-row is-hidden'} data-testid={`label-row-${l.key}`} data-voxels={l.voxels}>
                  <label className="legend-toggle">
                    <input
                      type="checkbox"
                      checked={l.visible}
                      data-testid={`label-toggle-${l.key}`}
                      onChange={(e) => viewer.setLabelVisibility(l.key, e.target.checked)}
                    />
                    <span className="swatch" style={{ background: rgb(l.color) }} aria-hidden="true" />
                    <span className="legend-name">{l.name}</span>
                    {n < 6 ? <Kbd shortcut={`Shift+${n + 1}`} subtle /> : null}
                  </label>
                  <span className="legend-meta" title={`Source labels: ${l.sources.join(', ')}`}>
                    {l.sources.join(' + ')} · {fmtVolumeMl(l.voxels, label.spacing)}
                  </span>
                  <label className="opacity">
                    <span className="sr-only">{l.name} opacity</span>
                    <input
                      type="range"
                      min={0}
                      max={100}
                      step={5}
                      value={Math.round(l.opacity * 100)}
                      disabled={!l.visible}
                      data-testid={`label-opacity-${l.key}`}
                      onChange={(e) => viewer.setLabelOpacity(l.key, Number(e.target.value) / 100)}
                    />
                    <output>{Math.round(l.opacity * 100)}%</output>
                  </label>
                </li>
              ))}
            </ul>
          )}
          {source === 'demo' && demoKind === 'totalsegmentator' ? <p className="hint">Demo labels are TotalSegmentator model output, not manual annotation.</p> : null}
          {source === 'demo' && demoKind === 'phantom' ? <p className="hint">Phantom labels are exact: the organs were drawn, not segmented.</p> : null}
        </>
      )}
    </section>
  );
}
