/** The workbench-level action that opens the quality-test lab. */
import type { Action } from '../actions/registry.ts';
import type { LabService } from './labService.ts';
import { useLabStore } from './labStore.ts';

export function openQualityLab(service: LabService): void {
  service.start();
  useLabStore.getState().setOpen(true);
}

export function createLabActions(service: LabService): Action[] {
  return [
    {
      id: 'lab.open',
      label: 'Quality-test lab: synthesise with G, score with S (P, pass rate vs T)',
      group: 'Study',
      shortcut: 'Shift+Q',
      perform: () => openQualityLab(service),
    },
  ];
}
