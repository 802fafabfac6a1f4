import { beforeEach, describe, expect, it } from 'vitest';
import { ActionRegistry } from './registry.ts';
import { createRegistry, type ViewerApi } from './appActions.ts';
import { createSynthesisActions, type SynthesisApi } from './synthesisActions.ts';
import { useSynthesisStore } from '../stores/synthesisStore.ts';
import { useDicomStore, type DicomSource } from '../stores/dicomStore.ts';

function fakeApi(hasCase = true) {
  const calls: string[] = [];
  const api: SynthesisApi = {
    synthesize: () => void calls.push('run'),
    togglePlacement: () => void calls.push('place'),
    randomPlacement: () => void calls.push('random'),
    newSeed: () => void calls.push('seed'),
    toggleView: () => void calls.push('view'),
    toggleCompare: () => void calls.push('compare'),
    exportCase: () => void calls.push('export'),
    exportDicom: () => void calls.push('exportDicom'),
    hasCase: () => hasCase,
  };
  return { api, calls };
}

const noopViewer = new Proxy({}, { get: () => () => false }) as ViewerApi;

describe('synthesis actions', () => {
  beforeEach(() => {
    useSynthesisStore.getState().reset();
    useDicomStore.getState().reset();
  });

  it('register next to the app actions without a shortcut clash, each with a shortcut', () => {
    const r = createRegistry({ viewer: noopViewer, pickImage: () => {}, pickLabels: () => {}, pickDicomFolder: () => {}, pickDicomFiles: () => {}, loadDemo: () => {} });
    const { api } = fakeApi();
    r.registerAll(createSynthesisActions(api));
    const mine = r.all().filter((a) => a.group === 'Synthesize');
    expect(mine.length).toBe(14);
    for (const a of mine) expect(a.shortcut).toBeTruthy();
    expect(r.grouped().map((g) => g.group)).toContain('Synthesize');
  });

  it('keys drive the store and the service', () => {
    const { api, calls } = fakeApi();
    const r = new ActionRegistry().registerAll(createSynthesisActions(api));
    const press = (key: string, code: string, shiftKey = false) => {
      const a = r.match({ key, code, shiftKey });
      expect(a, key).toBeDefined();
      if (!a!.enabled || a!.enabled()) a!.perform();
    };
    press('t', 'KeyT');
    press('p', 'KeyP');
    press('P', 'KeyP', true);
    press('T', 'KeyT', true);
    press('Z', 'KeyZ', true);
    press('C', 'KeyC', true);
    press('V', 'KeyV', true);
    press('}', 'BracketRight', true);
    press('S', 'KeyS', true);
    const s = useSynthesisStore.getState().settings;
    expect(s).toMatchObject({ organ: 'pancreas', sizeClass: 'tiny', count: 2, avoidVessels: true, huThreshold: 190 });
    expect(calls).toEqual(['run', 'place', 'random', 'seed']);
    // View, compare and export wait for a result.
    expect(r.isEnabled('synth.toggleView')).toBe(false);
    expect(r.isEnabled('synth.export')).toBe(false);
    useSynthesisStore.getState().succeed({ seed: 1, darkening: 0.3, elapsedMs: 1, tumours: [] });
    press('x', 'KeyX');
    press('b', 'KeyB');
    press('e', 'KeyE');
    expect(calls.slice(4)).toEqual(['view', 'compare', 'export']);
  });

  it('DICOM export waits for a result on a case that came from DICOM', () => {
    const { api, calls } = fakeApi();
    const r = new ActionRegistry().registerAll(createSynthesisActions(api));
    useSynthesisStore.getState().succeed({ seed: 1, darkening: 0.3, elapsedMs: 1, tumours: [] });
    expect(r.isEnabled('synth.exportDicom')).toBe(false);
    useDicomStore.getState().setSource({ series: { seriesInstanceUID: '1.2.3' }, grid: { dims: [1, 1, 1], affine: [] }, imageName: 'ct.nii.gz' } as unknown as DicomSource);
    expect(r.run('synth.exportDicom')).toBe(true);
    expect(r.match({ key: 'E', code: 'KeyE', shiftKey: true })?.id).toBe('synth.exportDicom');
    useDicomStore.getState().clearSource();
    expect(r.isEnabled('synth.exportDicom')).toBe(false);
    expect(calls).toEqual(['exportDicom']);
  });

  it('synthesis and placement are disabled without a case', () => {
    const r = new ActionRegistry().registerAll(createSynthesisActions(fakeApi(false).api));
    expect(r.isEnabled('synth.run')).toBe(false);
    expect(r.isEnabled('synth.place')).toBe(false);
  });
});
