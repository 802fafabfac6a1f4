import { useServices } from '../appContext.tsx';
import { useLesionStore } from '../stores/lesionStore.ts';
import { useCaseStore } from '../stores/caseStore.ts';
import { ActionButton } from './ActionButton.tsx';

const ORGAN_NAMES = { liver: 'Liver', pancreas: 'Pancreas', kidney: 'Kidney' } as const;

/** Every tumour of the case, measured like Slicer's segment statistics; a row click goes there. */
export function LesionPanel() {
  const { viewer } = useServices();
  const { status, lesions, error, current, setCurrent } = useLesionStore();
  const label = useCaseStore((s) => s.label);
  if (!label) return null;
  return (
    <section className="panel" aria-labelledby="lesions-heading" data-testid="lesion-panel">
      <h2 id="lesions-heading" className="panel-title">
        Lesions
        {lesions.length > 0 ? (
          <span className="panel-actions">
            <ActionButton id="navigate.previousLesion" className="btn-small">‹</ActionButton>
            <ActionButton id="navigate.nextLesion" className="btn-small">›</ActionButton>
          </span>
        ) : null}
      </h2>
      {status === 'computing' ? (
        <p className="muted" role="status" data-testid="lesions-computing">Measuring tumours…</p>
      ) : status === 'error' ? (
        <p className="synth-message is-error" role="alert" data-testid="lesions-error">Could not measure the tumours: {error}</p>
      ) : lesions.length === 0 ? (
        <p className="muted" data-testid="lesions-empty">No tumour in the label map. Synthesise one, or open a label map with tumours.</p>
      ) : (
        <table className="lesions" data-testid="lesion-table">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Organ</th>
              <th scope="col" title="Volume in millilitres">mL</th>
              <th scope="col" title="Longest diameter between voxel centres, mm">Ø mm</th>
              <th scope="col" title="Mean value over the lesion (HU)">HU</th>
              <th scope="col">Kind</th>
            </tr>
          </thead>
          <tbody>
            {lesions.map((l) => (
              <tr
                key={l.index}
                className={l.index === current ? 'lesion-row is-current' : 'lesion-row'}
                data-testid={`lesion-${l.index}`}
                data-voxels={l.voxels}
                data-volume-ml={l.volumeMl}
                data-organ={l.organ}
                data-synthetic={l.synthetic}
                tabIndex={0}
                aria-label={`Go to lesion ${l.index}`}
                onClick={() => viewer.goToLesion(l.index) && setCurrent(l.index)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && viewer.goToLesion(l.index)) setCurrent(l.index);
                }}
              >
                <td>{l.index}</td>
                <td>{ORGAN_NAMES[l.organ]}</td>
                <td>{l.volumeMl >= 10 ? l.volumeMl.toFixed(1) : l.volumeMl.toFixed(2)}</td>
                <td>{l.longestDiameterMm.toFixed(1)}</td>
                <td>{l.meanHu === null ? '–' : l.meanHu.toFixed(0)}</td>
                <td>{l.synthetic ? <span className="badge badge-synth">synthetic</span> : 'real'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
