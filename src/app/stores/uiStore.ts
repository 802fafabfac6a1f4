import { create } from 'zustand';

export type Overlay = 'help' | 'about' | null;

interface UiState {
  overlay: Overlay;
  dragging: boolean;
  /** Bumped to ask the go-to-voxel field to take focus (keyboard shortcut). */
  focusGoTo: number;
  openOverlay: (o: Overlay) => void;
  toggleOverlay: (o: Exclude<Overlay, null>) => void;
  setDragging: (d: boolean) => void;
  requestGoToFocus: () => void;
  reset: () => void;
}

export const useUiStore = create<UiState>()((set) => ({
  overlay: null,
  dragging: false,
  focusGoTo: 0,
  openOverlay: (overlay) => set({ overlay }),
  toggleOverlay: (o) => set((s) => ({ overlay: s.overlay === o ? null : o })),
  setDragging: (dragging) => set({ dragging }),
  requestGoToFocus: () => set((s) => ({ focusGoTo: s.focusGoTo + 1 })),
  reset: () => set({ overlay: null, dragging: false, focusGoTo: 0 }),
}));
