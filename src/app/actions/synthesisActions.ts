import { useSynthesisStore } from '../stores/synthesisStore.ts';
import { useDicomStore } from '../stores/dicomStore.ts';
import type { Action } from './registry.ts';

/** The part of the synthesis service the actions call; a fake in tests. */
export interface SynthesisApi {
  synthesize(): Promise<void> | void;
  togglePlacement(): void;
  randomPlacement(): void;
  newSeed(): void;
  toggleView(): void;
  toggleCompare(): void;
  exportCase(): Promise<void> | void;
  exportDicom(): Promise<void> | void;
  hasCase(): boolean;
}

const st = () => useSynthesisStore.getState();

/** Every synthesis control as an action: the panel's buttons and the keyboard both run these. */
export function createSynthesisActions(api: SynthesisApi): Action[] {
  const ready = () => api.hasCase() && st().status !== 'running';
  const hasResult = () => st().result !== null;
  const group = 'Synthesize' as const;
  return [
    { id: 'synth.run', label: 'Synthesise tumour', group, shortcut: 'T', perform: () => void api.synthesize(), enabled: ready },
    {
      id: 'synth.place',
      label: 'Click in the viewer to place the tumour',
      group,
      shortcut: 'P',
      perform: () => api.togglePlacement(),
      currentLabel: () => (st().placing ? 'Stop placing (click mode)' : null),
      enabled: ready,
    },
    { id: 'synth.random', label: 'Random placement', group, shortcut: 'Shift+P', perform: () => api.randomPlacement() },
    {
      id: 'synth.organ',
      label: 'Next target organ (liver, pancreas, kidney)',
      group,
      shortcut: 'Shift+T',
      perform: () => st().cycleOrgan(),
    },
    { id: 'synth.size', label: 'Next size class (random, tiny … large)', group, shortcut: 'Shift+Z', perform: () => st().cycleSize() },
    { id: 'synth.seed', label: 'New random seed', group, shortcut: 'Shift+S', perform: () => api.newSeed() },
    { id: 'synth.count', label: 'Number of tumours (1–5, cycles)', group, shortcut: 'Shift+C', perform: () => st().cycleCount() },
    {
      id: 'synth.vessels',
      label: 'Vessel avoidance on / off',
      group,
      shortcut: 'Shift+V',
      perform: () => st().update({ avoidVessels: !st().settings.avoidVessels }),
    },
    { id: 'synth.huUp', label: 'Vessel threshold +10 HU', group, shortcut: '}', perform: () => st().adjustThreshold(10) },
    { id: 'synth.huDown', label: 'Vessel threshold −10 HU', group, shortcut: '{', perform: () => st().adjustThreshold(-10) },
    {
      id: 'synth.toggleView',
      label: 'Show original / synthetic',
      group,
      shortcut: 'X',
      perform: () => api.toggleView(),
      enabled: () => hasResult() && !st().compare,
    },
    { id: 'synth.compare', label: 'Side-by-side compare', group, shortcut: 'B', perform: () => api.toggleCompare(), enabled: hasResult },
    {
      id: 'synth.export',
      label: 'Export synthetic case (.nii.gz image + label)',
      group,
      shortcut: 'E',
      perform: () => void api.exportCase(),
      enabled: () => hasResult() && !st().exporting,
    },
    {
      id: 'synth.exportDicom',
      label: 'Export DICOM SEG + derived series (.zip; DICOM cases)',
      group,
      shortcut: 'Shift+E',
      perform: () => void api.exportDicom(),
      enabled: () => hasResult() && !st().exporting && useDicomStore.getState().source !== null,
    },
  ];
}
