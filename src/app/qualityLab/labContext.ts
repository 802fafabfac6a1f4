import type { LabService } from './labService.ts';
import { useLabStore } from './labStore.ts';

let service: LabService | null = null;

/** main.tsx creates the one lab service; the lab's components find it here. */
export function setLabService(s: LabService): void {
  service = s;
}

export function getLabService(): LabService | null {
  return service;
}

/** Files dropped while the lab is open go to it (as checkpoints); returns whether it took them. */
export function routeLabDrop(files: File[]): boolean {
  if (!service || !useLabStore.getState().open) return false;
  void service.loadFiles(files, 'auto');
  return true;
}
