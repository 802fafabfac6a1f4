import type { LabService } from './labService.ts';

let service: LabService | null = null;

/** main.tsx creates the one lab service; the lab's components find it here. */
export function setLabService(s: LabService): void {
  service = s;
}

export function getLabService(): LabService | null {
  return service;
}
