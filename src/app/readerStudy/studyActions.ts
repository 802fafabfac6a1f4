/** The workbench-level reader-study action (registered next to the app's own actions). */
import type { Action } from '../actions/registry.ts';
import { openReaderStudy } from './studyStore.ts';

export function createStudyActions(): Action[] {
  return [
    {
      id: 'study.open',
      label: 'Reader study: real or synthetic? (prepare, read, results)',
      group: 'Study',
      shortcut: 'Shift+R',
      perform: openReaderStudy,
    },
  ];
}
