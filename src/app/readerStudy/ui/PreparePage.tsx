import { useContext, useEffect, useState } from 'react';
import { AppContext } from '../../appContext.tsx';
import { useCaseStore } from '../../stores/caseStore.ts';
import { LABEL_MAPS, ORGANS, type Organ } from '../../../core/labels.ts';
import { SIZE_CLASSES, type SizeClass } from '../../../core/tumor/sizeClasses.ts';
import { resolveDemo } from '../../demoCase.ts';
import { loadPrepCase, type SchemeChoice } from '../loadCase.ts';
import { realAvailable, realShortfall, usePrepareStore, type ModelStatus } from '../prepareStore.ts';
import type { StudyModelInfo } from '../studyMessages.ts';
import { useStudyStore } from '../studyStore.ts';
import type { PrepCase } from '../prepare.ts';
import { FOV_MM_RANGE } from '../fovDefaults.ts';
import { errorText, fileBytes } from './download.ts';
import { MODEL_FILE_ACCEPT } from '../../qualityLab/modelFiles.ts';
import { SampleSizePanel } from './SampleSizePanel.tsx';

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
  // The workbench already holds the open case's bytes and the label map it reads them with.
  const services = useContext(AppContext);
  const openImage = useCaseStore((s) => s.image?.name ?? null);
  const openLabel = useCaseStore((s) => s.label?.name ?? null);
  const fromOpenCase = () =>
    add(async () => {
      const files = services?.viewer.caseFiles();
      if (!files) throw new Error('open a CT and its label map in the workbench first');
      return loadPrepCase(files.image, files.label, files.labelMap, provenance);
    });
  const demo = () =>
    add(async () => {
      const get = async (src: { url: string; name: string }) => ({ bytes: new Uint8Array(await (await fetch(src.url)).arrayBuffer()), name: src.name });
      const d = await resolveDemo();
      return loadPrepCase(await get(d.image), await get(d.labels), 'auto', 'real-annotation', 'demo case (organs only)');
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
        <button
          type="button"
          className="btn"
          disabled={busy || !openImage || !openLabel}
          data-testid="rs-add-open-case"
          onClick={() => void fromOpenCase()}
          title={openImage && openLabel ? 'Add the case open in the workbench, read with the label ids the workbench uses' : 'Open a CT and its label map in the workbench first'}
        >
          {openImage && openLabel ? `Add the open case (${openImage})` : 'Add the open case (none with labels open)'}
        </button>
        <button type="button" className="btn" disabled={busy} data-testid="rs-add-demo" onClick={() => void demo()} title="The bundled demo CT has organ labels only: it gives synthetic items, no real ones">
          Add demo case (organs only)
        </button>
        {busy ? <span className="muted">Reading…</span> : null}
      </div>
    </div>
  );
}

const MODEL_STATUS_TEXT: Record<ModelStatus, string> = {
  idle: '',
  checking: 'Looking for the bundled demo models…',
  loading: 'Loading…',
  ready: '',
  absent: 'No generator and segmentor loaded: load checkpoints, or use handcrafted synthesis.',
  failed: 'The bundled demo models could not be loaded: load checkpoints, or use handcrafted synthesis.',
};

function ModelRow({ slot, info, label }: { slot: 'generator' | 'segmentor'; info: StudyModelInfo | undefined; label: string }) {
  // The worker's build uses the loaded networks: no swapping them mid-build or mid-load.
  const locked = usePrepareStore((s) => s.building || s.modelStatus === 'loading' || s.modelStatus === 'checking');
  return (
    <tr>
      <td>{label}</td>
      <td className="filename" data-testid={`rs-model-${slot}-name`}>
        {info ? info.fileName : '–'}
      </td>
      <td className="mono" title={info?.sha256}>
        {info ? `sha256 ${info.sha256.slice(0, 12)}…` : ''}
      </td>
      <td>
        {info ? `${info.networkName} · step ${info.step} · ${info.patch.join('×')} at ${info.spacingMm} mm` : ''}
        {info?.organChosen ? (
          <>
            {' · organ '}
            <select
              value={info.organ ?? ''}
              disabled={locked}
              data-testid="rs-seg-organ"
              title="The file does not say which organ this 3-class specialist segments: choose it"
              onChange={(e) => void usePrepareStore.getState().setSegmentorOrgan(e.target.value as Organ)}
            >
              {ORGANS.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>{' '}
            (not in the file)
          </>
        ) : info?.organ ? (
          ` · ${info.organ} specialist`
        ) : null}
      </td>
      <td>
        <label className="btn btn-small rs-file-btn" aria-disabled={locked}>
          Load…
          <input
            type="file"
            accept={MODEL_FILE_ACCEPT}
            disabled={locked}
            data-testid={`rs-model-${slot}`}
            onChange={async (e) => {
              const f = e.target.files?.[0];
              e.target.value = '';
              if (f) await usePrepareStore.getState().loadModelFile(slot, f.name, new Uint8Array(await f.arrayBuffer()));
            }}
          />
        </label>
      </td>
    </tr>
  );
}

function SynthesisOptions() {
  const { options, models, modelStatus, modelError } = usePrepareStore();
  const set = usePrepareStore.getState().setOptions;
  const generator = options.synthesis === 'generator';
  return (
    <fieldset className="rs-checks rs-synthesis" data-testid="rs-synthesis">
      <legend>Synthetic tumours</legend>
      <label>
        <input type="radio" name="rs-synthesis" checked={generator} data-testid="rs-synthesis-generator" onChange={() => set({ synthesis: 'generator' })} /> Generator G + Eq. 1,
        quality-tested by the segmentor S
      </label>
      <label>
        <input type="radio" name="rs-synthesis" checked={!generator} data-testid="rs-synthesis-handcrafted" onChange={() => set({ synthesis: 'handcrafted' })} /> Handcrafted,
        not quality-tested
      </label>
      {generator ? (
        <>
          <table className="rs-table rs-models" data-testid="rs-models">
            <tbody>
              <ModelRow slot="generator" info={models.generator} label="G" />
              <ModelRow slot="segmentor" info={models.segmentor} label="S" />
            </tbody>
          </table>
          {MODEL_STATUS_TEXT[modelStatus] ? (
            <p className="hint" data-testid="rs-model-status">
              {MODEL_STATUS_TEXT[modelStatus]}
            </p>
          ) : null}
          {modelError ? (
            <p className="rs-error" role="alert" data-testid="rs-model-error">
              {modelError}
            </p>
          ) : null}
          <div className="rs-options">
            <label className="rs-field">
              <span>Quality threshold T (pass at P ≥ T)</span>
              <input
                type="number"
                min={0}
                max={1}
                step={0.05}
                value={options.threshold}
                data-testid="rs-threshold"
                onChange={(e) => {
                  // An emptied field is mid-edit, not T = 0 (which would pass every tumour).
                  const t = e.target.value.trim() === '' ? NaN : Number(e.target.value);
                  if (Number.isFinite(t)) set({ threshold: Math.min(1, Math.max(0, t)) });
                }}
              />
            </label>
            <label className="rs-field">
              <span>Quality mix</span>
              <select value={options.mix} data-testid="rs-mix" onChange={(e) => set({ mix: e.target.value as typeof options.mix })}>
                <option value="balanced">balanced pass / fail</option>
                <option value="any">as drawn (any outcome)</option>
              </select>
            </label>
            <label className="rs-field">
              <span>Candidates at most</span>
              <input
                type="number"
                min={1}
                value={options.maxAttempts}
                data-testid="rs-max-attempts"
                onChange={(e) => set({ maxAttempts: Math.max(1, Math.trunc(Number(e.target.value)) || 1) })}
              />
            </label>
          </div>
          <p className="hint">
            Each candidate is placed by the position simulation, synthesised by G (Eq. 1) in the model’s crop and segmented by S; P = |M ∩ S(x̂)| / |M| and it
            passes at P ≥ T. A balanced mix keeps ⌈n/2⌉ passing and ⌊n/2⌋ failing candidates, drawing seeded candidates until it has them or reaches the cap;
            short of the mix, items of the other outcome stand in and the study records what it got. P, pass, T and the models’ SHA-256 go into the answer key.
          </p>
        </>
      ) : (
        <p className="hint">Core handcrafted synthesis (position simulation + SynTumor texture): every synthetic item is recorded as <strong>not tested</strong> (P empty).</p>
      )}
    </fieldset>
  );
}

export function PreparePage() {
  const { cases, options, building, progress, error, lastReport, warning, models } = usePrepareStore();
  const set = usePrepareStore.getState().setOptions;
  useEffect(() => {
    void usePrepareStore.getState().loadDemoModels(import.meta.env.BASE_URL);
  }, []);
  const totalCandidates = realAvailable(cases, options, models.segmentor?.organ);
  const shortfall = cases.length ? realShortfall(options.realCount, totalCandidates) : null;
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
            <span>Synthetic items</span>
            <input type="number" min={0} value={options.syntheticCount} onChange={(e) => set({ syntheticCount: Math.max(0, Math.trunc(Number(e.target.value))) })} data-testid="rs-synthetic-count" />
          </label>
          <label className="rs-field">
            <span>Field of view (mm)</span>
            <input
              type="number"
              min={FOV_MM_RANGE[0]}
              max={FOV_MM_RANGE[1]}
              step={5}
              value={options.fovMm}
              data-testid="rs-fov"
              title="Every item is this many mm on a side, whatever the scan's spacing"
              onChange={(e) => {
                const v = Number(e.target.value);
                if (e.target.value.trim() !== '' && Number.isFinite(v)) set({ fovMm: v });
              }}
            />
          </label>
          <label className="rs-field">
            <span>Display voxels</span>
            <select value={options.cropVoxels} onChange={(e) => set({ cropVoxels: Number(e.target.value) })} data-testid="rs-crop">
              {[32, 48, 64, 96, 128].map((n) => (
                <option key={n} value={n}>
                  {n}³ ({(options.fovMm / n).toFixed(2)} mm)
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
        {shortfall ? (
          <p className="rs-banner" role="status" data-testid="rs-real-shortfall">
            {shortfall}
          </p>
        ) : null}
        <SynthesisOptions />
        <SampleSizePanel plannedItems={options.realCount + options.syntheticCount} />
        <p className="hint">
          Each item is a cube of {options.fovMm} mm centred on its lesion, resampled (trilinear) to isotropic voxels of {(options.fovMm / options.cropVoxels).toFixed(2)} mm
          and stored as int16 HU: a thick-slice scan is not stretched into a strip, and every item shows the same anatomy whatever the lesion’s size.
          Synthesis runs in a background worker.
        </p>
        <div className="rs-row">
          <button type="button" className="btn btn-primary" disabled={building || cases.length === 0} data-testid="rs-build" onClick={() => void build()}>
            Build study
          </button>
          {building ? (
            <>
              <progress max={progress?.total ?? 1} value={progress?.done ?? 0} />
              <span className="muted" data-testid="rs-build-progress">
                {progress ? `Item ${progress.done} of ${progress.total}${progress.phase ? ` · ${progress.phase}` : ''}…` : 'Starting…'}
              </span>
              <button type="button" className="btn btn-small" data-testid="rs-build-cancel" onClick={() => usePrepareStore.getState().cancel()}>
                Cancel
              </button>
            </>
          ) : null}
        </div>
        {lastReport && !building ? (
          <p className="hint" data-testid="rs-build-report">
            Last study’s synthetic items: {lastReport}
          </p>
        ) : null}
        {warning && !building ? (
          <p className="rs-banner" role="status" data-testid="rs-build-warning">
            {warning.text}
          </p>
        ) : null}
        {error ? (
          <p className="rs-error" role="alert" data-testid="rs-prepare-error">
            {error}
          </p>
        ) : null}
      </section>
    </div>
  );
}
