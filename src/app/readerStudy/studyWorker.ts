// The reader study's worker: study synthesis (real crops, handcrafted tumours, or G + Eq. 1 scored
// by S with the quality lab's compute code) runs here, never on the page. tfjs starts only when a
// model is loaded (webgpu → webgl → cpu, fast conv3d kernels as in the lab's worker). Cancel is
// checked between items / candidates.
import '@tensorflow/tfjs-backend-webgpu';
import { firstWorkingBackend, type BackendFailure } from '../compute/startBackend.ts';
import { LAB_BACKEND_ORDER } from '../qualityLab/messages.ts';
import { generatorSource } from './generatorSource.ts';
import { buildStudy } from './prepare.ts';
import { StudyCancelled } from './qualityMix.ts';
import { loadStudyModel, setStudySegmentorOrgan, studyModels, unloadStudyModel, type StudyModelSlots } from './studyModels.ts';
import type { MainToStudy, StudyToMain } from './studyMessages.ts';

const scope = self as unknown as {
  postMessage(m: StudyToMain, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<MainToStudy>) => void) | null;
};
const post = (m: StudyToMain, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

let backend: Promise<string> | null = null;

function startBackend(): Promise<string> {
  backend ??= (async () => {
    const failures: BackendFailure[] = [];
    const got = await firstWorkingBackend(LAB_BACKEND_ORDER, failures);
    if (!got) throw new Error(`no tfjs backend could start: ${failures.map((f) => `${f.name}: ${f.error}`).join('; ')}`);
    post({ type: 'backend', backend: got.name, failures });
    return got.name;
  })();
  return backend;
}

const slots: StudyModelSlots = {};
const cancelled = new Set<number>();
let building = 0;

async function build(m: Extract<MainToStudy, { type: 'build' }>): Promise<void> {
  const { requestId } = m;
  try {
    let synthesis;
    if (m.synthesis.method === 'generator') {
      await startBackend();
      const { lab, refs } = studyModels(slots);
      synthesis = generatorSource(lab, refs, m.synthesis);
    }
    const study = await buildStudy(m.cases, {
      ...m.options,
      synthesis,
      shouldStop: () => cancelled.has(requestId),
      onProgress: async (done, total, phase) => {
        post({ type: 'progress', requestId, done, total, phase: phase ?? '' });
        // Let a cancel message in between items.
        await new Promise((r) => setTimeout(r, 0));
      },
    });
    post({ type: 'built', requestId, study }, study.items.map((i) => i.crop.buffer as ArrayBuffer));
  } catch (err) {
    if (err instanceof StudyCancelled) post({ type: 'cancelled', requestId });
    else throw err;
  } finally {
    cancelled.delete(requestId);
  }
}

scope.onmessage = (e) => {
  const m = e.data;
  const fail = (requestId: number | null) => (err: unknown) => post({ type: 'error', requestId, message: message(err) });
  switch (m.type) {
    case 'loadModel':
      // A running build holds the networks in the slots; replacing one would dispose it under the build.
      if (building) return void post({ type: 'error', requestId: m.requestId, message: 'a study is being built; load models when it is done' });
      startBackend()
        .then(() => loadStudyModel(slots, m.slot, m.fileName, m.bytes))
        .then((info) => post({ type: 'modelLoaded', requestId: m.requestId, info }))
        .catch(fail(m.requestId));
      return;
    case 'setSegmentorOrgan':
      if (building) return void post({ type: 'error', requestId: m.requestId, message: 'a study is being built; change the organ when it is done' });
      try {
        post({ type: 'modelLoaded', requestId: m.requestId, info: setStudySegmentorOrgan(slots, m.organ) });
      } catch (err) {
        fail(m.requestId)(err);
      }
      return;
    case 'unloadModel':
      if (!building) unloadStudyModel(slots, m.slot);
      return;
    case 'build':
      building++;
      build(m)
        .catch(fail(m.requestId))
        .finally(() => building--);
      return;
    case 'cancel':
      cancelled.add(m.requestId);
      return;
  }
};
