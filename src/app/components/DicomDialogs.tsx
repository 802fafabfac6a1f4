import { useEffect, useState } from 'react';
import { PROJECT_LABELS, type ProjectLabelName } from '../../core/labels.ts';
import { answerMapping, answerSeries } from '../files/dicomDialogs.ts';
import { useDicomStore, type ChooserState, type MappingState } from '../stores/dicomStore.ts';
import { Modal } from './Modal.tsx';

/** Escape cancels the dialog (the workbench's own Escape action only closes help/about). */
function useEscape(cancel: () => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      cancel();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [cancel]);
}

function SeriesChooser({ chooser }: { chooser: ChooserState }) {
  const cancel = () => answerSeries(null);
  useEscape(cancel);
  const openable = chooser.series.some((s) => s.problems.length === 0);
  const n = chooser.series.length;
  return (
    <Modal title={openable ? 'Choose a DICOM series' : 'This DICOM cannot be opened'} onClose={cancel} testId="dicom-chooser" wide>
      {openable ? (
        <p>
          This drop holds {n} image series. Pick the one to open; it is converted in this tab (nothing is uploaded).
        </p>
      ) : (
        <p className="dicom-problem-lead">
          {n === 1 ? 'The image series in this drop cannot' : `None of the ${n} image series in this drop can`} be converted, for the
          reasons listed. The case on screen stays open.
        </p>
      )}
      <table className="dicom-table">
        <thead>
          <tr>
            <th>Description</th>
            <th>#</th>
            <th>Slices</th>
            <th>Geometry</th>
            <th>Transfer syntax</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {chooser.series.map((s, n) => (
            <tr key={s.uid} data-testid={`dicom-series-${n}`} data-slices={s.slices} className={s.problems.length ? 'is-broken' : undefined}>
              <td>
                {s.description || <span className="muted">(no description)</span>}
                {s.problems.length ? (
                  <ul className="dicom-problems" data-testid={`dicom-series-${n}-problems`}>
                    {s.problems.map((p) => (
                      <li key={p}>{p}</li>
                    ))}
                  </ul>
                ) : null}
              </td>
              <td className="mono">{s.seriesNumber ?? '–'}</td>
              <td className="mono">{s.slices}</td>
              <td className="mono nowrap" title={`${s.summary}\nSeries UID ${s.uid || '(none)'}`}>
                {s.geometry}
              </td>
              <td>{s.transferSyntax}</td>
              <td>
                <button
                  type="button"
                  className="btn btn-small btn-primary"
                  disabled={s.problems.length > 0}
                  title={s.problems.length ? 'This series cannot be converted (see the problems listed)' : 'Open this series'}
                  data-testid={`dicom-series-${n}-open`}
                  onClick={() => answerSeries(s.uid)}
                >
                  Open
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {chooser.skipped.length ? (
        <>
          <h3>Skipped files ({chooser.skipped.length})</h3>
          <ul className="dicom-skipped" data-testid="dicom-skipped">
            {chooser.skipped.map((s) => (
              <li key={s.file}>
                <span className="mono">{s.file}</span> — {s.reason}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </Modal>
  );
}

const LABEL_CHOICES = (Object.entries(PROJECT_LABELS) as [ProjectLabelName, number][]).filter(([, id]) => id > 0);
/** "liver_tumor" → "Liver tumour". */
const labelName = (key: ProjectLabelName) => (key.charAt(0).toUpperCase() + key.slice(1)).replace('_tumor', ' tumour');
const IGNORE = 0;

function SegmentMapping({ mapping }: { mapping: MappingState }) {
  const [chosen, setChosen] = useState<Record<number, number>>(() =>
    Object.fromEntries(mapping.segments.map((s) => [s.number, s.guess ?? IGNORE])),
  );
  const cancel = () => answerMapping(null);
  useEscape(cancel);
  const apply = () => answerMapping(mapping.segments.filter((s) => chosen[s.number] !== IGNORE).map((s) => [s.number, chosen[s.number]]));
  const any = mapping.segments.some((s) => chosen[s.number] !== IGNORE);
  return (
    <Modal title="Map SEG segments to project labels" onClose={cancel} testId="dicom-mapping">
      <p>
        Some segments of <span className="mono">{mapping.file}</span> have names the workbench does not recognise. Say which
        project label each one is, or ignore it.
      </p>
      <table className="dicom-table">
        <thead>
          <tr>
            <th>Segment</th>
            <th>Type</th>
            <th>Voxels</th>
            <th>Project label</th>
          </tr>
        </thead>
        <tbody>
          {mapping.segments.map((s) => (
            <tr key={s.number} data-testid={`dicom-segment-${s.number}`}>
              <td>
                {s.number}. {s.label || <span className="muted">(no label)</span>}
              </td>
              <td>{s.type ?? <span className="muted">–</span>}</td>
              <td className="mono">{s.voxels}</td>
              <td>
                <select
                  value={chosen[s.number]}
                  aria-label={`Project label for segment ${s.number}`}
                  data-testid={`dicom-segment-${s.number}-label`}
                  onChange={(e) => setChosen({ ...chosen, [s.number]: Number(e.target.value) })}
                >
                  <option value={IGNORE}>Ignore</option>
                  {LABEL_CHOICES.map(([name, id]) => (
                    <option key={id} value={id}>
                      {labelName(name)}
                    </option>
                  ))}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="dicom-dialog-actions">
        <button type="button" className="btn" onClick={cancel}>
          Cancel
        </button>
        <button type="button" className="btn btn-primary" disabled={!any} data-testid="dicom-mapping-apply" onClick={apply}>
          Load labels
        </button>
      </div>
    </Modal>
  );
}

/** The questions the DICOM opener asks: which series, and how SEG segments map to project labels. */
export function DicomDialogs() {
  const chooser = useDicomStore((s) => s.chooser);
  const mapping = useDicomStore((s) => s.mapping);
  if (chooser) return <SeriesChooser chooser={chooser} />;
  // Keyed by file: a second SEG starts from its own guesses.
  if (mapping) return <SegmentMapping key={mapping.file} mapping={mapping} />;
  return null;
}
