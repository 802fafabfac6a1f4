import { beforeEach, describe, expect, it } from 'vitest';
import { ActionRegistry, shortcutOf } from './registry.ts';
import { createRegistry, type ViewerApi } from './appActions.ts';
import { useCaseStore } from '../stores/caseStore.ts';
import { useLabelStore } from '../stores/labelStore.ts';
import { useUiStore } from '../stores/uiStore.ts';
import { useReadoutStore } from '../stores/readoutStore.ts';
import { useLesionStore } from '../stores/lesionStore.ts';

describe('shortcutOf', () => {
  it('uses the physical key for digits and letters, the character for symbols', () => {
    expect(shortcutOf({ key: '1', code: 'Digit1' })).toBe('1');
    expect(shortcutOf({ key: '!', code: 'Digit1', shiftKey: true })).toBe('Shift+1');
    expect(shortcutOf({ key: 'l', code: 'KeyL' })).toBe('L');
    expect(shortcutOf({ key: 'O', code: 'KeyO', shiftKey: true })).toBe('Shift+O');
    expect(shortcutOf({ key: '?', code: 'Slash', shiftKey: true })).toBe('?');
    expect(shortcutOf({ key: ']', code: 'BracketRight' })).toBe(']');
    expect(shortcutOf({ key: 'Escape', code: 'Escape' })).toBe('Escape');
    expect(shortcutOf({ key: 'o', code: 'KeyO', ctrlKey: true })).toBe('Ctrl+O');
  });
});

describe('ActionRegistry', () => {
  it('refuses duplicate ids and shortcuts', () => {
    const r = new ActionRegistry();
    r.register({ id: 'a', label: 'A', group: 'View', shortcut: 'A', perform: () => {} });
    expect(() => r.register({ id: 'a', label: 'again', group: 'View', perform: () => {} })).toThrow(/twice/);
    expect(() => r.register({ id: 'b', label: 'B', group: 'View', shortcut: 'A', perform: () => {} })).toThrow(/shortcut A/);
  });

  it('runs only enabled actions', () => {
    let n = 0;
    let on = false;
    const r = new ActionRegistry().registerAll([{ id: 'x', label: 'X', group: 'View', perform: () => n++, enabled: () => on }]);
    expect(r.run('x')).toBe(false);
    on = true;
    expect(r.run('x')).toBe(true);
    expect(n).toBe(1);
    expect(() => r.get('missing')).toThrow();
  });
});

function fakeViewer() {
  const calls: string[] = [];
  const viewer: ViewerApi = {
    setWindowPreset: (id) => calls.push(`window:${id}`),
    setLayout: (l) => calls.push(`layout:${l}`),
    setLabelVisibility: (k, v) => calls.push(`label:${k}:${v}`),
    toggleAllLabels: () => calls.push('toggleAll'),
    adjustAllOpacity: (d) => calls.push(`opacity:${d}`),
    moveSlice: (d) => calls.push(`slice:${d}`),
    resetView: () => calls.push('reset'),
    goToLabel: (k) => calls.push(`goto:${k}`) > 0,
    goToLesion: (n) => calls.push(`lesion:${n}`) > 0,
    toggleLabelDisplay: () => calls.push('outline'),
  };
  return { viewer, calls };
}

describe('app actions', () => {
  beforeEach(() => {
    useCaseStore.getState().clear();
    useLabelStore.getState().clear();
    useUiStore.getState().reset();
    useReadoutStore.getState().clear();
  });

  it('bind the CT window presets to 1–4', () => {
    const { viewer, calls } = fakeViewer();
    const r = createRegistry({ viewer, pickImage: () => {}, pickLabels: () => {}, pickDicomFolder: () => {}, pickDicomFiles: () => {}, loadDemo: () => {} });
    for (const key of ['1', '2', '3', '4']) r.match({ key, code: `Digit${key}` })!.perform();
    expect(calls).toEqual(['window:abdomen', 'window:liver', 'window:training', 'window:bone']);
  });

  it('give every action a label and group, and ? toggles the help overlay', () => {
    const { viewer } = fakeViewer();
    const r = createRegistry({ viewer, pickImage: () => {}, pickLabels: () => {}, pickDicomFolder: () => {}, pickDicomFiles: () => {}, loadDemo: () => {} });
    for (const a of r.all()) expect(a.label.length).toBeGreaterThan(0);
    expect(r.grouped().flatMap((g) => g.actions)).toHaveLength(r.all().length);
    r.match({ key: '?', code: 'Slash', shiftKey: true })!.perform();
    expect(useUiStore.getState().overlay).toBe('help');
    expect(r.run('help.close')).toBe(true);
    expect(useUiStore.getState().overlay).toBeNull();
    expect(r.run('help.close')).toBe(false);
  });

  it('label actions are disabled without labels and toggle the n-th legend entry', () => {
    const { viewer, calls } = fakeViewer();
    const r = createRegistry({ viewer, pickImage: () => {}, pickLabels: () => {}, pickDicomFolder: () => {}, pickDicomFiles: () => {}, loadDemo: () => {} });
    expect(r.isEnabled('labels.toggleAll')).toBe(false);
    expect(r.isEnabled('file.openLabels')).toBe(false);
    useCaseStore.getState().setImage({ name: 'ct', dims: [1, 1, 1], spacing: [1, 1, 1], datatype: 'int16' }, 'local');
    useLabelStore.getState().setLabels('totalsegmentator', [
      { key: 'liver', name: 'Liver', color: [1, 2, 3], voxels: 1, sources: ['liver'], visible: true, opacity: 0.6 },
      { key: 'kidney', name: 'Kidney', color: [1, 2, 3], voxels: 1, sources: ['kidney_right'], visible: false, opacity: 0.6 },
    ]);
    expect(r.isEnabled('file.openLabels')).toBe(true);
    expect(r.get('labels.toggle2').currentLabel?.()).toBe('Show / hide Kidney');
    r.run('labels.toggle2');
    r.run('labels.toggleAll');
    expect(r.run('labels.toggle3')).toBe(false);
    expect(calls).toEqual(['label:kidney:true', 'toggleAll']);
  });

  it('J cycles the crosshair through the legend from the organ it is in', () => {
    const { viewer, calls } = fakeViewer();
    const r = createRegistry({ viewer, pickImage: () => {}, pickLabels: () => {}, pickDicomFolder: () => {}, pickDicomFiles: () => {}, loadDemo: () => {} });
    const entry = { color: [1, 2, 3] as [number, number, number], voxels: 1, sources: [], visible: true, opacity: 0.6 };
    useLabelStore.getState().setLabels('totalsegmentator', [
      { ...entry, key: 'liver', name: 'Liver' },
      { ...entry, key: 'pancreas', name: 'Pancreas' },
      { ...entry, key: 'kidney', name: 'Kidney' },
    ]);
    const at = (projectLabel: string | null) =>
      useReadoutStore.getState().setReadout({ mm: [0, 0, 0], voxel: [0, 0, 0], inside: true, value: 0, labelId: 0, labelName: null, projectLabel });
    at('kidney');
    r.match({ key: 'j', code: 'KeyJ' })!.perform();
    at(null);
    r.match({ key: 'j', code: 'KeyJ' })!.perform();
    at('liver');
    r.match({ key: 'j', code: 'KeyJ' })!.perform();
    expect(calls).toEqual(['goto:liver', 'goto:liver', 'goto:pancreas']);
  });

  it('N and Shift+N step through the lesion list, off without lesions; Shift+L toggles outlines', () => {
    const { viewer, calls } = fakeViewer();
    const r = createRegistry({ viewer, pickImage: () => {}, pickLabels: () => {}, pickDicomFolder: () => {}, pickDicomFiles: () => {}, loadDemo: () => {} });
    useLesionStore.getState().setLesions([]);
    expect(r.run('navigate.nextLesion')).toBe(false);
    const base = { organ: 'liver' as const, tumourId: 2, synthetic: false, voxels: 1, volumeMl: 1, longestDiameterMm: 1, meanHu: null, anchorVoxel: [0, 0, 0] as [number, number, number], anchorMm: [0, 0, 0] as [number, number, number] };
    useLesionStore.getState().setLesions([1, 2, 3].map((index) => ({ ...base, index })));
    const n = { key: 'n', code: 'KeyN' };
    const shiftN = { key: 'N', code: 'KeyN', shiftKey: true };
    for (const e of [n, n, shiftN, shiftN, shiftN]) r.match(e)!.perform();
    expect(calls).toEqual(['lesion:1', 'lesion:2', 'lesion:1', 'lesion:3', 'lesion:2']);
    expect(useLesionStore.getState().current).toBe(2);
    expect(r.run('labels.outline')).toBe(false);
    useLabelStore.getState().setLabels('project', [{ key: 'liver', name: 'Liver', color: [1, 2, 3], voxels: 1, sources: [], visible: true, opacity: 0.6 }]);
    r.match({ key: 'L', code: 'KeyL', shiftKey: true })!.perform();
    expect(calls.at(-1)).toBe('outline');
  });

  it('arrow and page keys step slices only when an image is open', () => {
    const { viewer, calls } = fakeViewer();
    const r = createRegistry({ viewer, pickImage: () => {}, pickLabels: () => {}, pickDicomFolder: () => {}, pickDicomFiles: () => {}, loadDemo: () => {} });
    expect(r.run('navigate.sliceUp')).toBe(false);
    useCaseStore.getState().setImage({ name: 'ct', dims: [1, 1, 1], spacing: [1, 1, 1], datatype: 'int16' }, 'local');
    for (const key of ['ArrowUp', 'ArrowDown', 'PageUp', 'PageDown']) r.match({ key, code: key })!.perform();
    expect(calls).toEqual(['slice:1', 'slice:-1', 'slice:10', 'slice:-10']);
  });
});
