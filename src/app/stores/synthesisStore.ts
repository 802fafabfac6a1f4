import { create } from 'zustand';
import type { Organ } from '../../core/labels.ts';
import type { SizeClass } from '../../core/tumor/sizeClasses.ts';

export type SizeChoice = SizeClass | 'random';
export type Placement = 'random' | 'click';
export type SynthesisView = 'original' | 'synthetic';

export const ORGAN_CHOICES: readonly Organ[] = ['liver', 'pancreas', 'kidney'];
export const SIZE_CHOICES: readonly SizeChoice[] = ['random', 'tiny', 'small', 'medium', 'large'];
export const MAX_COUNT = 5;
export const MAX_SEED = 2 ** 31 - 1;

/** What the user asks for. Kept across cases: a new case clears the result, not the settings. */
export interface SynthesisSettings {
  organ: Organ;
  sizeClass: SizeChoice;
  seed: number;
  count: number;
  avoidVessels: boolean;
  huThreshold: number;
  placement: Placement;
}

export interface TumourInfo {
  organ: Organ;
  sizeClass: SizeClass;
  centreVoxel: [number, number, number];
  centreMm: [number, number, number];
  userCentre: boolean;
  voxelCount: number;
  volumeMm3: number;
  /** This tumour's own generator seed (derived from the base seed and its index). */
  tumourSeed: number;
}

export interface SynthesisResult {
  /** The seed the user gave. */
  seed: number;
  tumours: TumourInfo[];
  darkening: number;
  /** Milliseconds the worker took. */
  elapsedMs: number;
}

export type SynthesisStatus = 'idle' | 'running' | 'done' | 'error';

export const DEFAULT_SETTINGS: SynthesisSettings = {
  organ: 'liver',
  sizeClass: 'random',
  seed: 1,
  count: 1,
  avoidVessels: false,
  huThreshold: 180,
  placement: 'random',
};

interface SynthesisState {
  settings: SynthesisSettings;
  /** The voxel the user clicked (placement 'click'); null until one is placed. */
  centre: [number, number, number] | null;
  /** Waiting for a click on a slice. */
  placing: boolean;
  status: SynthesisStatus;
  /** What went wrong, or why a click was refused; cleared by the next attempt. */
  message: string | null;
  result: SynthesisResult | null;
  view: SynthesisView;
  compare: boolean;
  /** Names of the files last exported, for the panel to show. */
  exported: { image: string; label: string } | null;
  /** The DICOM export's zip and how many DICOM files it holds. */
  exportedDicom: { zip: string; files: number } | null;
  exporting: boolean;

  update: (change: Partial<SynthesisSettings>) => void;
  cycleOrgan: () => void;
  cycleSize: () => void;
  cycleCount: () => void;
  adjustThreshold: (delta: number) => void;
  setPlacing: (placing: boolean) => void;
  setCentre: (centre: [number, number, number] | null) => void;
  start: () => void;
  succeed: (result: SynthesisResult) => void;
  fail: (message: string) => void;
  setMessage: (message: string | null) => void;
  setView: (view: SynthesisView) => void;
  toggleView: () => void;
  setCompare: (on: boolean) => void;
  setExporting: (exporting: boolean) => void;
  setExported: (files: { image: string; label: string } | null) => void;
  setExportedDicom: (exported: { zip: string; files: number } | null) => void;
  /** Forget the result (new case or new label map); settings stay. */
  clearResult: () => void;
  /** Everything back to the defaults. */
  reset: () => void;
}

const cleared = {
  centre: null,
  placing: false,
  status: 'idle' as SynthesisStatus,
  message: null,
  result: null,
  view: 'original' as SynthesisView,
  compare: false,
  exported: null,
  exportedDicom: null,
  exporting: false,
};

function next<T>(list: readonly T[], current: T): T {
  return list[(list.indexOf(current) + 1) % list.length];
}

function clampInt(v: number, lo: number, hi: number): number {
  if (!Number.isFinite(v)) return lo;
  return Math.min(hi, Math.max(lo, Math.round(v)));
}

export const useSynthesisStore = create<SynthesisState>()((set) => ({
  settings: { ...DEFAULT_SETTINGS },
  ...cleared,
  update: (change) =>
    set((s) => {
      const settings = { ...s.settings, ...change };
      settings.seed = clampInt(settings.seed, 0, MAX_SEED);
      settings.count = clampInt(settings.count, 1, MAX_COUNT);
      settings.huThreshold = clampInt(settings.huThreshold, -1000, 3000);
      // A clicked centre belongs to the organ it was checked against.
      const centre = change.organ && change.organ !== s.settings.organ ? null : s.centre;
      return { settings, centre };
    }),
  cycleOrgan: () => set((s) => ({ settings: { ...s.settings, organ: next(ORGAN_CHOICES, s.settings.organ) }, centre: null })),
  cycleSize: () => set((s) => ({ settings: { ...s.settings, sizeClass: next(SIZE_CHOICES, s.settings.sizeClass) } })),
  cycleCount: () => set((s) => ({ settings: { ...s.settings, count: (s.settings.count % MAX_COUNT) + 1 } })),
  adjustThreshold: (delta) =>
    set((s) => ({ settings: { ...s.settings, huThreshold: clampInt(s.settings.huThreshold + delta, -1000, 3000) } })),
  setPlacing: (placing) =>
    set((s) => ({ placing, message: null, settings: placing ? { ...s.settings, placement: 'click' } : s.settings })),
  setCentre: (centre) => set({ centre }),
  start: () => set({ status: 'running', message: null, placing: false }),
  succeed: (result) => set({ status: 'done', result, message: null, view: 'synthetic', exported: null, exportedDicom: null }),
  fail: (message) => set({ status: 'error', message }),
  setMessage: (message) => set({ message }),
  setView: (view) => set((s) => (s.result || view === 'original' ? { view } : {})),
  toggleView: () => set((s) => (s.result ? { view: s.view === 'original' ? 'synthetic' : 'original' } : {})),
  setCompare: (compare) => set((s) => (s.result || !compare ? { compare } : {})),
  setExporting: (exporting) => set({ exporting }),
  setExported: (exported) => set({ exported, exporting: false }),
  setExportedDicom: (exportedDicom) => set({ exportedDicom, exporting: false }),
  clearResult: () => set((s) => ({ ...cleared, settings: s.settings })),
  reset: () => set({ settings: { ...DEFAULT_SETTINGS }, ...cleared }),
}));
