/**
 * Where Prepare's work runs. In the browser: `WorkerStudyRunner`, the study worker (synthesis never
 * on the page; progress messages; cancel between items / candidates). Without Worker (Node tests):
 * `LocalStudyRunner`, handcrafted only, in-process — tests that need G and S inject their own.
 */
import type { ModelSlot } from '../qualityLab/messages.ts';
import type { Organ } from '../../core/labels.ts';
import { DEMO_MODELS } from '../qualityLab/demoModels.ts';
import { buildStudy, type PrepCase } from './prepare.ts';
import { StudyCancelled } from './qualityMix.ts';
import type { BuildOptions, MainToStudy, StudyModelInfo, StudyToMain, SynthesisChoice } from './studyMessages.ts';
import type { Study } from './types.ts';

export type ProgressFn = (done: number, total: number, phase: string) => void;

export interface BuildJob {
  promise: Promise<Study>;
  cancel(): void;
}

export interface StudyRunner {
  /** Whether G / S can be loaded here (false: handcrafted only). */
  readonly canLoadModels: boolean;
  loadModel(slot: ModelSlot, fileName: string, bytes: Uint8Array): Promise<StudyModelInfo>;
  unloadModel(slot: ModelSlot): void;
  /** Runners that load models (the worker) let the user name a .pt specialist's organ. */
  setSegmentorOrgan?(organ: Organ): Promise<StudyModelInfo>;
  build(cases: PrepCase[], options: BuildOptions, synthesis: SynthesisChoice, onProgress: ProgressFn): BuildJob;
}

/** In-process, handcrafted only (Node, or a browser without workers). */
export class LocalStudyRunner implements StudyRunner {
  readonly canLoadModels = false;
  loadModel(): Promise<StudyModelInfo> {
    return Promise.reject(new Error('loading models needs the study worker (not available here)'));
  }
  unloadModel(): void {}
  setSegmentorOrgan(): Promise<StudyModelInfo> {
    return Promise.reject(new Error('loading models needs the study worker (not available here)'));
  }
  build(cases: PrepCase[], options: BuildOptions, synthesis: SynthesisChoice, onProgress: ProgressFn): BuildJob {
    let stop = false;
    const promise =
      synthesis.method !== 'handcrafted'
        ? Promise.reject(new Error('generator synthesis needs the study worker; choose handcrafted synthesis'))
        : buildStudy(cases, {
            ...options,
            shouldStop: () => stop,
            onProgress: (done, total, phase) => {
              onProgress(done, total, phase ?? '');
              return new Promise((r) => setTimeout(r, 0));
            },
          });
    return { promise, cancel: () => void (stop = true) };
  }
}

interface Pending {
  resolve: (m: StudyToMain) => void;
  reject: (e: Error) => void;
  onProgress?: ProgressFn;
}

export class WorkerStudyRunner implements StudyRunner {
  readonly canLoadModels = true;
  private worker: Worker | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  /** The tfjs backend the worker started (null until a model is loaded). */
  backend: string | null = null;

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./studyWorker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (e: MessageEvent<StudyToMain>) => this.onMessage(e.data);
    // A failed worker is dropped: its pending requests fail now and the next request starts a new one
    // (posting to a dead worker would leave the page waiting for ever).
    const fail = (why: string) => {
      if (this.worker === w) this.worker = null;
      w.terminate();
      const err = new Error(`the study worker failed: ${why}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    w.onerror = (e) => fail(e.message || 'it could not load');
    w.onmessageerror = () => fail('a message from it could not be read');
    this.worker = w;
    return w;
  }

  private onMessage(m: StudyToMain): void {
    if (m.type === 'backend') {
      this.backend = m.backend;
      return;
    }
    const id = m.requestId;
    if (id === null) return;
    const p = this.pending.get(id);
    if (!p) return;
    if (m.type === 'progress') {
      p.onProgress?.(m.done, m.total, m.phase);
      return;
    }
    this.pending.delete(id);
    if (m.type === 'error') p.reject(new Error(m.message));
    else if (m.type === 'cancelled') p.reject(new StudyCancelled());
    else p.resolve(m);
  }

  private request(m: MainToStudy & { requestId: number }, transfer: Transferable[] = [], onProgress?: ProgressFn): Promise<StudyToMain> {
    const w = this.ensure();
    return new Promise((resolve, reject) => {
      this.pending.set(m.requestId, { resolve, reject, onProgress });
      w.postMessage(m, transfer);
    });
  }

  async loadModel(slot: ModelSlot, fileName: string, bytes: Uint8Array): Promise<StudyModelInfo> {
    const r = await this.request({ type: 'loadModel', requestId: this.nextId++, slot, fileName, bytes }, [bytes.buffer as ArrayBuffer]);
    if (r.type !== 'modelLoaded') throw new Error(`unexpected reply ${r.type}`);
    return r.info;
  }

  async setSegmentorOrgan(organ: Organ): Promise<StudyModelInfo> {
    const r = await this.request({ type: 'setSegmentorOrgan', requestId: this.nextId++, organ });
    if (r.type !== 'modelLoaded') throw new Error(`unexpected reply ${r.type}`);
    return r.info;
  }

  unloadModel(slot: ModelSlot): void {
    this.worker?.postMessage({ type: 'unloadModel', slot } satisfies MainToStudy);
  }

  build(cases: PrepCase[], options: BuildOptions, synthesis: SynthesisChoice, onProgress: ProgressFn): BuildJob {
    const requestId = this.nextId++;
    // The cases are copied to the worker (structured clone): the page keeps its own.
    const promise = this.request({ type: 'build', requestId, cases, options, synthesis }, [], onProgress).then((r) => {
      if (r.type !== 'built') throw new Error(`unexpected reply ${r.type}`);
      return r.study;
    });
    return { promise, cancel: () => this.worker?.postMessage({ type: 'cancel', requestId } satisfies MainToStudy) };
  }
}

/**
 * The bundled demo models, fetched as the quality lab fetches them; absent (404, or the dev server's
 * HTML fallback) → null for that slot.
 */
export async function fetchDemoModel(base: string, slot: ModelSlot): Promise<{ fileName: string; bytes: Uint8Array } | null> {
  const res = await fetch(`${base}${DEMO_MODELS[slot]}`);
  const type = res.headers.get('content-type') ?? '';
  if (!res.ok || type.includes('text/html')) return null;
  return { fileName: DEMO_MODELS[slot].split('/').pop()!, bytes: new Uint8Array(await res.arrayBuffer()) };
}

export function defaultRunner(): StudyRunner {
  return typeof Worker === 'undefined' ? new LocalStudyRunner() : new WorkerStudyRunner();
}
