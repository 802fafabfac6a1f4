import { create } from 'zustand';
import type { Lesion } from '../../core/lesions.ts';
import type { LabelStyle } from '../viewer/viewerTypes.ts';

export type LesionStatus = 'idle' | 'computing' | 'ready' | 'error';

interface LesionState {
  status: LesionStatus;
  lesions: Lesion[];
  error: string | null;
  /** The lesion last jumped to (1-based index), for N / Shift+N and the list's highlight. */
  current: number | null;
  labelDisplay: LabelStyle;
  computing: () => void;
  setLesions: (lesions: Lesion[]) => void;
  fail: (error: string) => void;
  setCurrent: (index: number | null) => void;
  setLabelDisplay: (style: LabelStyle) => void;
}

export const useLesionStore = create<LesionState>()((set) => ({
  status: 'idle',
  lesions: [],
  error: null,
  current: null,
  labelDisplay: 'fill',
  computing: () => set({ status: 'computing', error: null }),
  setLesions: (lesions) => set({ status: 'ready', lesions, error: null, current: null }),
  fail: (error) => set({ status: 'error', lesions: [], error, current: null }),
  setCurrent: (current) => set({ current }),
  setLabelDisplay: (labelDisplay) => set({ labelDisplay }),
}));

/** The lesion `step` places after (or before) the current one, wrapping round; null for an empty list. */
export function stepLesion(lesions: readonly Lesion[], current: number | null, step: 1 | -1): Lesion | null {
  if (lesions.length === 0) return null;
  const at = lesions.findIndex((l) => l.index === current);
  if (at < 0) return step > 0 ? lesions[0] : lesions[lesions.length - 1];
  return lesions[(at + step + lesions.length) % lesions.length];
}
