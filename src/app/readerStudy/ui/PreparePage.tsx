import { useState } from 'react';
import { LABEL_MAPS, ORGANS, type Organ } from '../../../core/labels.ts';
import { SIZE_CLASSES, type SizeClass } from '../../../core/tumor/sizeClasses.ts';
import { DEMO_IMAGE, DEMO_LABELS } from '../../demoCase.ts';
import { loadPrepCase, type SchemeChoice } from '../loadCase.ts';
import { usePrepareStore } from '../prepareStore.ts';
import { useStudyStore } from '../studyStore.ts';
import type { PrepCase } from '../prepare.ts';
import { errorText, fileBytes } from './download.ts';

const PROVENANCE_TEXT: Record<PrepCase['tumourProvenance'], string> = {
  'real-annotation': 'Real tumours (annotated)',
  'mechanics-test': 'Mechanics test (drawn, not tumours)',
};

function toggle<T>(list: readonly T[], x: T, on: boolean): T[] {
  return on ? [...new Set([...list, x])] : list.filter((y) => y !== x);
}

function AddCase() {
  const [image, setImage] = useState<File | null>(null);
  const [label, setLabel] = useState<File | null>(null);
  const [scheme, setScheme] = useState<SchemeChoice>('auto');
  const [provenance, setProvenance] = useState<PrepCase['tumourProvenance']>('real-annotation');
  const [busy, setBusy] = useState(false);
  const add = async (load: () => Promise<Parameters<ReturnType<typeof usePrepareStore.getState>['addCase']>[0]>) => {
    setBusy(true);
    try {
      usePrepareStore.getState().addCase(await load());
    } catch (err) {
      usePrepareStore.getState().setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const fromFiles = () =>
    add(async () => {
      if (!image || !label) throw new Error('choose a CT image and its label map');
      return loadPrepCase({ bytes: await fileBytes(image), name: image.name }, { bytes: await fileBytes(label), name: label.name }, scheme, provenance);
    });
  const demo = () =>
    add(async () => {
      const get = async (src: { url: string; name: string }) => ({ bytes: new Uint8Array(await (await fetch(src.url)).arrayBuffer()), name: src.name });
      return loadPrepCase(await get(DEMO_IMAGE), await get(DEMO_LABELS), 'auto', 'real-annotation', 'demo case (organs only)');
    });
  return (
    <div className="rs-add-case">
      <label className="rs-field">
        <span>CT image</span>
        <input type="file" accept=".nii,.gz" data-testid="rs-case-image" onChange={(e) => setImage(e.target.files?.[0] ?? null)} />
      </label>
      <label className="rs-field">
        <span>Label map</span>
        <input type="file" accept=".nii,.gz" data-testid="rs-case-labels" onChange={(e) => setLabel(e.target.files?.[0] ?? null)} />
      </label>
      <label className="rs-field">
        <span>Label ids</span>
        <select value={scheme} data-testid="rs-case-scheme" onChange={(e) => setScheme(e.target.value as SchemeChoice)}>
          <option value="auto">guess (project or TotalSegmentator)</option>
          {Object.keys(LABEL_MAPS).map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </label>
      <label className="rs-field">
        <span>Its tumour labels are</span>
        <select value={provenance} data-testid="rs-case-provenance" onChange={(e) => setProvenance(e.target.value as PrepCase['tumourProvenance'])}>
          {Object.entries(PROVENANCE_TEXT).map(([k, v]) => (
            <option key={k} value={k}>
              {v}
            </option>
          ))}
        </select>
      </label>
      <div className="rs-row">
        <button type="button" className="btn btn-primary" disabled={busy || !image || !label} data-testid="rs-add-case" onClick={() => void fromFiles()}>
          Add case
        </button>
        <button type="button" className="btn" disabled={busy} data-testid="rs-add-demo" onClick={() => void demo()} title="The bundled demo CT has organ labels only: it gives synthetic items, no real ones">
          Add demo case (organs only)
        </button>
        {busy ? <span className="muted">Reading…</span> : null}
      </div>
    </div>
  );
}

export function PreparePage() {
  const { cases, options, building, progress, error } = usePrepareStore();
  const set = usePrepareStore.getState().setOptions;
  const totalCandidates = cases.reduce((n, c) => n + c.candidates, 0);
  const build = async () => {
    try {
      await usePrepareStore.getState().build();
      useStudyStore.getState().setMode('home');
    } catch {
      // The store holds the message.
    }
  };
  return (
    <div className="rs-page rs-prepare">
      <section className="rs-card">
        <h2>1 · Cases</h2>
        <p className="hint rs-honest">
          Real items come from labelled cases you add: each connected tumour component (project ids 2 / 4 / 6, or a scheme with tumour classes) is one
          candidate. Say what those labels are. No redistributable CT with a real tumour label ships with this workbench: the demo case has organ labels
          only, so on the demo any “real” item must come from a label file marked <em>mechanics test</em>, which tests the software and measures nothing.
        </p>
        <AddCase />
        {cases.length ? (
          <table className="rs-table" data-testid="rs-cases">
            <thead>
              <tr>
                <th>Case</th>
                <th>Ids</th>
                <th>Organs</th>
                <th>Tumour candidates</th>
                <th>Tumour labels are</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {cases.map((c) => (
                <tr key={c.key}>
                  <td className="filename">{c.case.name}</td>
                  <td>{c.scheme}</td>
                  <td>{c.organs.join(', ') || '–'}</td>
                  <td data-testid="rs-case-candidates">{c.candidates}</td>
                  <td>
                    <select
                      value={c.case.tumourProvenance}
                      disabled={c.candidates === 0}
                      onChange={(e) => usePrepareStore.getState().setProvenance(c.key, e.target.value as PrepCase['tumourProvenance'])}
                    >
                      {Object.entries(PROVENANCE_TEXT).map(([k, v]) => (
                        <option key={k} value={k}>
                          {v}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <button type="button" className="btn btn-small" onClick={() => usePrepareStore.getState().removeCase(c.key)}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      <section className="rs-card">
        <h2>2 · Items</h2>
        <div className="rs-options">
          <label className="rs-field">
            <span>Title</span>
            <input value={options.title} onChange={(e) => set({ title: e.target.value })} data-testid="rs-title" />
          </label>
          <label className="rs-field">
            <span>Seed (order, choice, tumours)</span>
            <input type="number" value={options.seed} onChange={(e) => set({ seed: Math.trunc(Number(e.target.value)) || 0 })} data-testid="rs-seed" />
          </label>
          <label className="rs-field">
            <span>Real items (of {totalCandidates})</span>
            <input type="number" min={0} value={options.realCount} onChange={(e) => set({ realCount: Math.max(0, Math.trunc(Number(e.target.value))) })} data-testid="rs-real-count" />
          </label>
          <label className="rs-field">
            <span>Synthetic items (handcrafted)</span>
            <input type="number" min={0} value={options.syntheticCount} onChange={(e) => set({ syntheticCount: Math.max(0, Math.trunc(Number(e.target.value))) })} data-testid="rs-synthetic-count" />
          </label>
          <label className="rs-field">
            <span>Crop</span>
            <select value={options.cropVoxels} onChange={(e) => set({ cropVoxels: Number(e.target.value) })} data-testid="rs-crop">
              {[32, 48, 64, 96, 128].map((n) => (
                <option key={n} value={n}>
                  {n}³ voxels
                </option>
              ))}
            </select>
          </label>
        </div>
        <fieldset className="rs-checks">
          <legend>Synthetic size classes (in turn)</legend>
          {SIZE_CLASSES.map((c: SizeClass) => (
            <label key={c}>
              <input type="checkbox" checked={options.sizeClasses.includes(c)} onChange={(e) => set({ sizeClasses: toggle(options.sizeClasses, c, e.target.checked) })} /> {c}
            </label>
          ))}
        </fieldset>
        <fieldset className="rs-checks">
          <legend>Synthetic organs (in turn, where the case has them)</legend>
          {ORGANS.map((o: Organ) => (
            <label key={o}>
              <input type="checkbox" checked={options.organs.includes(o)} onChange={(e) => set({ organs: toggle(options.organs, o, e.target.checked) })} /> {o}
            </label>
          ))}
        </fieldset>
        <p className="hint">
          Quality test: the generator-based test is not available yet, so every synthetic item is recorded as <strong>not tested</strong> (P empty).
          Synthetic tumours use core handcrafted synthesis; each item is cut to a crop centred on its lesion and stored as int16 HU.
        </p>
        <div className="rs-row">
          <button type="button" className="btn btn-primary" disabled={building || cases.length === 0} data-testid="rs-build" onClick={() => void build()}>
            Build study
          </button>
          {building && progress ? (
            <span className="muted" data-testid="rs-build-progress">
              Item {progress.done} of {progress.total}…
            </span>
          ) : building ? (
            <span className="muted">Starting…</span>
          ) : null}
        </div>
        {error ? (
          <p className="rs-error" role="alert" data-testid="rs-prepare-error">
            {error}
          </p>
        ) : null}
      </section>
    </div>
  );
}
