import { createContext, useContext } from 'react';
import type { ViewerController } from './viewer/ViewerController.ts';
import type { ActionRegistry } from './actions/registry.ts';
import type { FileRole } from './files/openLocalFiles.ts';

/** The hidden file inputs' click(), so actions can open the pickers. */
export interface Pickers {
  image: () => void;
  labels: () => void;
  dicomFiles: () => void;
  dicomFolder: () => void;
}

export interface AppServices {
  viewer: ViewerController;
  actions: ActionRegistry;
  openFiles: (files: readonly File[], role: FileRole) => Promise<void>;
  /** Registers the hidden file inputs so actions can open the pickers. */
  registerPickers: (pickers: Pickers) => void;
}

export const AppContext = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const s = useContext(AppContext);
  if (!s) throw new Error('AppContext missing');
  return s;
}
