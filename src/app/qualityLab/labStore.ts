/** The quality-test lab's state: screen, backend, models, settings, single result, batch, progress. */
import { DEFAULT_QUALITY } from '../../models/config.ts';
import { create } from 'zustand';
import type { Organ } from '../../core/labels.ts';
import type { Vec3 } from '../../core/volume.ts';
import type { SizeClass } from '../../core/tumor/sizeClasses.ts';
import { passCount } from './helpers.ts';
import type { LabBackendName, LabItem, ModelInfo, ModelSlot, Thumbnail } from './messages.ts';

export type DemoStatus = 'checking' | 'loaded' | 'absent' | 'failed';
export type JobKind = 'single' | 'batch' | 'export' | 'model';

export interface LabProgress {
  kind: JobKind;
  requestId: number;
  done: number;
  total: number;
  phase: string;
  startedAt: number;
}

export interface LabBatch {
  items: LabItem[];
  thumbs: Record<number, Thumbnail>;
  total: number;
  finished: boolean;
  cancelled: boolean;
  baseSeed: number;
  numTensorsAfter: number | null;
}

interface LabState {
  open: boolean;
  backend: LabBackendName | null;
  backendNote: string | null;
  backendFailures: { name: string; error: string }[];
  models: Partial<Record<ModelSlot, ModelInfo>>;
  modelError: string | null;
  demo: DemoStatus;
  organ: Organ;
  sizeClass: SizeClass | 'random';
  seed: number;
  count: number;
  threshold: number;
  placing: boolean;
  centre: Vec3 | null;
  single: LabItem | null;
  batch: LabBatch | null;
  /** The tumour shown in the viewer: -1 the single one, n a batch item, null none. */
  shown: number | null;
  progress: LabProgress | null;
  error: string | null;
  notices: string[];
  /** Project label ids the case has (organs, tumours), for the viewer's legend. */
  caseLabels: number[];
  /** The lab viewer's 2-D zoom (1 = fit). */
  zoom: number;
  setCaseLabels: (ids: number[]) => void;
  setZoom: (zoom: number) => void;
  setOpen: (open: boolean) => void;
  setBackend: (b: LabBackendName | null, failures: { name: string; error: string }[], note: string | null) => void;
  setModel: (info: ModelInfo) => void;
  unloadModel: (slot: ModelSlot) => void;
  setModelError: (e: string | null) => void;
  setDemo: (d: DemoStatus) => void;
  setOrgan: (o: Organ) => void;
  setSizeClass: (c: SizeClass | 'random') => void;
  setSeed: (s: number) => void;
  setCount: (n: number) => void;
  setThreshold: (t: number) => void;
  setPlacing: (p: boolean) => void;
  setCentre: (c: Vec3 | null) => void;
  startJob: (kind: JobKind, requestId: number, total: number, phase: string) => void;
  progressJob: (requestId: number, done: number, total: number, phase: string) => void;
  endJob: (requestId: number) => void;
  setSingle: (item: LabItem) => void;
  startBatch: (total: number, baseSeed: number) => void;
  addBatchItem: (item: LabItem, thumb: Thumbnail) => void;
  finishBatch: (cancelled: boolean, numTensors: number) => void;
  setShown: (i: number | null) => void;
  setError: (e: string | null) => void;
  notice: (m: string) => void;
  /** A new case: results go, models and settings stay. */
  clearResults: () => void;
  reset: () => void;
}

/** METHOD.md's T, the models' default (src/models/config.ts). */
export const DEFAULT_THRESHOLD = DEFAULT_QUALITY.threshold;
export const DEFAULT_BATCH = 50;
export const MAX_BATCH = 500;

const initial = {
  open: false,
  backend: null as LabBackendName | null,
  backendNote: null as string | null,
  backendFailures: [] as { name: string; error: string }[],
  models: {} as Partial<Record<ModelSlot, ModelInfo>>,
  modelError: null as string | null,
  demo: 'checking' as DemoStatus,
  organ: 'liver' as Organ,
  sizeClass: 'random' as SizeClass | 'random',
  seed: 1,
  count: DEFAULT_BATCH,
  threshold: DEFAULT_THRESHOLD,
  placing: false,
  centre: null as Vec3 | null,
  single: null as LabItem | null,
  batch: null as LabBatch | null,
  shown: null as number | null,
  progress: null as LabProgress | null,
  error: null as string | null,
  notices: [] as string[],
  caseLabels: [] as number[],
  zoom: 1,
};

const clamp01 = (t: number) => (Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : DEFAULT_THRESHOLD);

export const useLabStore = create<LabState>()((set, get) => ({
  ...initial,
  setOpen: (open) => set({ open, placing: open ? get().placing : false }),
  setBackend: (backend, backendFailures, backendNote) => set({ backend, backendFailures, backendNote }),
  // A specialist S scores its own organ only: the organ follows it.
  setModel: (info) => set({ models: { ...get().models, [info.slot]: info }, modelError: null, organ: info.slot === 'segmentor' && info.organ ? info.organ : get().organ }),
  unloadModel: (slot) => {
    const models = { ...get().models };
    delete models[slot];
    set({ models });
  },
  setModelError: (modelError) => set({ modelError }),
  setDemo: (demo) => set({ demo }),
  setOrgan: (organ) => set({ organ, centre: null }),
  setSizeClass: (sizeClass) => set({ sizeClass }),
  setSeed: (seed) => set({ seed: Number.isFinite(seed) ? Math.max(0, Math.floor(seed)) >>> 0 : get().seed }),
  setCount: (n) => set({ count: Number.isFinite(n) ? Math.min(MAX_BATCH, Math.max(1, Math.floor(n))) : get().count }),
  setThreshold: (t) => set({ threshold: clamp01(t) }),
  setPlacing: (placing) => set({ placing }),
  setCentre: (centre) => set({ centre }),
  startJob: (kind, requestId, total, phase) => set({ progress: { kind, requestId, done: 0, total, phase, startedAt: Date.now() }, error: null }),
  progressJob: (requestId, done, total, phase) => {
    const p = get().progress;
    if (p && p.requestId === requestId) set({ progress: { ...p, done, total, phase } });
  },
  endJob: (requestId) => {
    if (get().progress?.requestId === requestId) set({ progress: null });
  },
  setSingle: (single) => set({ single, shown: -1 }),
  startBatch: (total, baseSeed) => set({ batch: { items: [], thumbs: {}, total, finished: false, cancelled: false, baseSeed, numTensorsAfter: null } }),
  addBatchItem: (item, thumb) => {
    const b = get().batch;
    if (!b) return;
    set({ batch: { ...b, items: [...b.items, item], thumbs: { ...b.thumbs, [item.index]: thumb } } });
  },
  finishBatch: (cancelled, numTensors) => {
    const b = get().batch;
    if (b) set({ batch: { ...b, finished: true, cancelled, numTensorsAfter: numTensors } });
  },
  setShown: (shown) => set({ shown }),
  setCaseLabels: (caseLabels) => set({ caseLabels }),
  setZoom: (zoom) => set({ zoom }),
  setError: (error) => set({ error }),
  notice: (m) => set({ notices: [...get().notices.slice(-9), m] }),
  clearResults: () => set({ single: null, batch: null, shown: null, centre: null, placing: false, caseLabels: [] }),
  reset: () => set({ ...initial }),
}));

/**
 * The tumour whose result the panel shows: the one in the viewer (a gallery item once opened),
 * else the last single synthesis.
 */
export function shownItem(s: Pick<LabState, 'single' | 'batch' | 'shown'>): { item: LabItem; from: 'single' | 'gallery' } | null {
  if (s.shown !== null && s.shown !== -1) {
    const it = s.batch?.items.find((i) => i.index === s.shown);
    if (it) return { item: it, from: 'gallery' };
  }
  return s.single ? { item: s.single, from: 'single' } : null;
}

/** Items passing at the store's threshold. */
export function currentPassCount(s: Pick<LabState, 'batch' | 'threshold'>): number {
  return s.batch ? passCount(s.batch.items.map((i) => i.P), s.threshold) : 0;
}

export function labHoldsKeyboard(): boolean {
  return useLabStore.getState().open;
}
