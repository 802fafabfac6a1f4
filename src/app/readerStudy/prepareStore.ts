/** The prepare page: cases added so far and the study options. */
import { DEFAULT_QUALITY } from '../../models/config.ts';
import { create } from 'zustand';
import type { Organ } from '../../core/labels.ts';
import type { ModelSlot } from '../qualityLab/messages.ts';
import { assertModelFileName } from '../qualityLab/modelFiles.ts';
import { findCandidates, organsPresent } from './candidates.ts';
import { DEFAULT_FOV_MM } from './fovDefaults.ts';
import type { PrepCase, PrepOptions } from './prepare.ts';
import { StudyCancelled, type QualityMix } from './qualityMix.ts';
import type { BuildOptions, StudyModelInfo, SynthesisChoice } from './studyMessages.ts';
import { defaultRunner, fetchDemoModel, type BuildJob, type StudyRunner } from './studyRunner.ts';
import { useStudyStore } from './studyStore.ts';
import type { Study } from './types.ts';

export interface PrepCaseEntry {
  key: number;
  case: PrepCase;
  scheme: string;
  organs: Organ[];
  candidates: number;
  /** The organ of each real tumour candidate. */
  candidateOrgans: Organ[];
}

/** Real candidates a build can draw from: with a specialist S and synthetic items asked for, only its organ's (as buildStudy does). */
export function realAvailable(cases: readonly PrepCaseEntry[], options: Pick<PrepOptionsForm, 'synthesis' | 'syntheticCount'>, segmentorOrgan: Organ | null | undefined): number {
  const only = options.synthesis === 'generator' && options.syntheticCount > 0 && segmentorOrgan ? segmentorOrgan : null;
  return cases.reduce((n, c) => n + c.candidateOrgans.filter((o) => !only || o === only).length, 0);
}

/** The warning when fewer real tumours exist than asked for; null when there are enough. */
export function realShortfall(asked: number, found: number): string | null {
  if (asked <= found) return null;
  return `Asked for ${asked} real item${asked === 1 ? '' : 's'}, but the cases added hold only ${found} real tumour candidate${found === 1 ? '' : 's'}: the study will have ${found}.`;
}

/** The Prepare form: the study options a user sets (the rest of PrepOptions is made at build) plus how synthetic items are made. */
export interface PrepOptionsForm extends Pick<PrepOptions, 'title' | 'seed' | 'realCount' | 'syntheticCount' | 'sizeClasses' | 'organs' | 'cropVoxels'> {
  /** Side of every item's cube in mm. */
  fovMm: number;
  /** 'generator': G + Eq. 1, scored by S (quality test); 'handcrafted': core synthesis, not quality-tested. */
  synthesis: 'generator' | 'handcrafted';
  /** Quality-test threshold T (pass at P ≥ T). */
  threshold: number;
  mix: QualityMix;
  /** Cap on generator candidates drawn for the mix. */
  maxAttempts: number;
}

export const DEFAULT_PREP_OPTIONS: PrepOptionsForm = {
  title: 'Real or synthetic?',
  seed: 1,
  realCount: 3,
  syntheticCount: 3,
  sizeClasses: ['small', 'medium'],
  organs: ['liver', 'pancreas', 'kidney'],
  cropVoxels: 64,
  fovMm: DEFAULT_FOV_MM,
  synthesis: 'generator',
  threshold: DEFAULT_QUALITY.threshold,
  mix: 'balanced',
  maxAttempts: 30,
};

export type ModelStatus = 'idle' | 'checking' | 'loading' | 'ready' | 'absent' | 'failed';

interface PrepareState {
  cases: PrepCaseEntry[];
  options: PrepOptionsForm;
  building: boolean;
  progress: { done: number; total: number; phase?: string } | null;
  error: string | null;
  /** G and S loaded in the study worker. */
  models: Partial<Record<ModelSlot, StudyModelInfo>>;
  modelStatus: ModelStatus;
  modelError: string | null;
  /** One line on the last build's synthetic items (what the mix got), or its cancellation. */
  lastReport: string | null;
  /** Set after a build that got fewer real items than asked for (the study page shows it for that study). */
  warning: { studyId: string; text: string } | null;
  /** Look for the bundled demo models (once) and load them into the study worker. */
  loadDemoModels: (base: string) => Promise<void>;
  loadModelFile: (slot: ModelSlot, fileName: string, bytes: Uint8Array) => Promise<void>;
  /** The organ of a 3-class S whose .pt does not say it. */
  setSegmentorOrgan: (organ: Organ) => Promise<void>;
  cancel: () => void;
  addCase: (c: PrepCase & { scheme: string }) => void;
  removeCase: (key: number) => void;
  setProvenance: (key: number, p: PrepCase['tumourProvenance']) => void;
  setOptions: (o: Partial<PrepOptionsForm>) => void;
  build: (id?: string) => Promise<Study>;
  setError: (e: string | null) => void;
  reset: () => void;
}

let nextKey = 1;
let runner: StudyRunner | null = null;
let job: BuildJob | null = null;

/** The runner Prepare uses (tests inject one with G and S in-process). */
export function setStudyRunner(r: StudyRunner | null): void {
  runner = r;
}
const theRunner = (): StudyRunner => (runner ??= defaultRunner());

/** What Prepare sends the runner for the chosen synthesis. */
export function synthesisChoice(o: PrepOptionsForm): SynthesisChoice {
  // No synthetic items: a study of real items needs no models (they may still be loading).
  return o.synthesis === 'handcrafted' || o.syntheticCount === 0 ? { method: 'handcrafted' } : { method: 'generator', threshold: o.threshold, mix: o.mix, maxAttempts: o.maxAttempts };
}

export function newStudyId(at = new Date()): string {
  const stamp = at.toISOString().slice(0, 16).replace(/[-:T]/g, '');
  const r = new Uint32Array(1);
  crypto.getRandomValues(r);
  return `rs-${stamp}-${r[0].toString(16).padStart(8, '0')}`;
}

const initial = {
  cases: [] as PrepCaseEntry[],
  options: DEFAULT_PREP_OPTIONS,
  building: false,
  progress: null,
  error: null,
  models: {},
  modelStatus: 'idle' as ModelStatus,
  modelError: null,
  lastReport: null,
  warning: null as { studyId: string; text: string } | null,
};

export const usePrepareStore = create<PrepareState>()((set, get) => ({
  ...initial,
  addCase: (c) => {
    const { scheme, ...prep } = c;
    const found = findCandidates(prep.label);
    set({
      cases: [...get().cases, { key: nextKey++, case: prep, scheme, organs: organsPresent(prep.label), candidates: found.length, candidateOrgans: found.map((f) => f.organ) }],
      error: null,
    });
  },
  removeCase: (key) => set({ cases: get().cases.filter((c) => c.key !== key) }),
  setProvenance: (key, p) => set({ cases: get().cases.map((c) => (c.key === key ? { ...c, case: { ...c.case, tumourProvenance: p } } : c)) }),
  setOptions: (o) => set({ options: { ...get().options, ...o } }),
  loadDemoModels: async (base) => {
    const r = theRunner();
    if (!r.canLoadModels || get().modelStatus !== 'idle') return;
    set({ modelStatus: 'checking', modelError: null });
    try {
      for (const slot of ['generator', 'segmentor'] as const) {
        if (get().models[slot]) continue;
        const demo = await fetchDemoModel(base, slot);
        if (!demo) continue;
        const info = await r.loadModel(slot, demo.fileName, demo.bytes);
        set({ models: { ...get().models, [slot]: info } });
      }
      const m = get().models;
      set({ modelStatus: m.generator && m.segmentor ? 'ready' : 'absent' });
    } catch (err) {
      set({ modelStatus: 'failed', modelError: `Bundled demo model: ${err instanceof Error ? err.message : String(err)}` });
    }
    // No G and S: handcrafted synthesis is what can run (the page says why).
    if (get().modelStatus !== 'ready') set({ options: { ...get().options, synthesis: 'handcrafted' } });
  },
  loadModelFile: async (slot, fileName, bytes) => {
    // The build holds the loaded networks, and a demo load in flight would overwrite this one.
    if (get().building) return set({ modelError: 'Wait for the study build to finish (or cancel it) before loading models.' });
    if (get().modelStatus === 'loading' || get().modelStatus === 'checking') return set({ modelError: 'Another model is loading; try again when it is done.' });
    set({ modelStatus: 'loading', modelError: null });
    try {
      assertModelFileName(fileName);
      const info = await theRunner().loadModel(slot, fileName, bytes);
      set({ models: { ...get().models, [slot]: info } });
    } catch (err) {
      set({ modelError: `Refused: ${err instanceof Error ? err.message : String(err)}` });
    } finally {
      const m = get().models;
      set({ modelStatus: m.generator && m.segmentor ? 'ready' : 'absent' });
    }
  },
  setSegmentorOrgan: async (organ) => {
    if (get().building) return set({ modelError: 'Wait for the study build to finish (or cancel it) before changing the organ.' });
    try {
      const runner = theRunner();
      if (!runner.setSegmentorOrgan) throw new Error('this study runner loads no models');
      const info = await runner.setSegmentorOrgan(organ);
      set({ models: { ...get().models, segmentor: info }, modelError: null });
    } catch (err) {
      set({ modelError: `Refused: ${err instanceof Error ? err.message : String(err)}` });
    }
  },
  cancel: () => job?.cancel(),
  build: async (id = newStudyId()) => {
    const { cases, options } = get();
    if (get().building) throw new Error('a study is already being built');
    set({ building: true, error: null, progress: null, lastReport: null, warning: null });
    const { title, seed, realCount, syntheticCount, sizeClasses, organs, cropVoxels, fovMm } = options;
    const prep: BuildOptions = { id, title, seed, realCount, syntheticCount, sizeClasses, organs, cropVoxels, fovMm };
    try {
      if (options.synthesis === 'generator' && options.syntheticCount > 0 && !(get().models.generator && get().models.segmentor)) {
        throw new Error('generator synthesis needs a generator (G) and a segmentor (S): load both, or choose “handcrafted, not quality-tested”');
      }
      job = theRunner().build(
        cases.map((c) => c.case),
        prep,
        synthesisChoice(options),
        (done, total, phase) => set({ progress: { done, total, phase } }),
      );
      const study = await job.promise;
      const real = study.key?.filter((k) => k.truth === 'real').length ?? 0;
      const short = realShortfall(options.realCount, real);
      set({ lastReport: study.synthesis?.report ?? null, warning: short ? { studyId: study.id, text: short } : null });
      await useStudyStore.getState().setStudy(study);
      return study;
    } catch (err) {
      set({ error: err instanceof StudyCancelled ? 'Cancelled: no study was made.' : err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      job = null;
      set({ building: false });
    }
  },
  setError: (error) => set({ error }),
  // Loaded models stay loaded (they live in the worker); only the page state resets.
  reset: () => set({ ...initial, models: get().models, modelStatus: get().modelStatus }),
}));
