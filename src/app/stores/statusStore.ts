import { create } from 'zustand';

export type BackendName = 'webgpu' | 'webgl' | 'cpu';

export interface BackendInfo {
  name: BackendName;
  /** e.g. "google / swiftshader", when WebGPU exposes it. */
  adapter: string | null;
  isFallbackAdapter: boolean | null;
  /** On cpu, how many threads the kernels run on, and why fewer than requested; null elsewhere. */
  threads: { threads: number; requested: number; reason: string | null } | null;
  /** Backends tried before this one, with the reason each failed. */
  failures: { name: string; error: string }[];
}

export type MessageLevel = 'info' | 'error';

export interface StatusMessage {
  id: number;
  level: MessageLevel;
  text: string;
}

/** Work under way that takes seconds (opening a large scan): shown with a Cancel while it runs. */
export interface StatusTask {
  id: number;
  text: string;
  cancel: (() => void) | null;
}

interface StatusState {
  backendState: 'initialising' | 'ready' | 'failed';
  backend: BackendInfo | null;
  backendError: string | null;
  messages: StatusMessage[];
  tasks: StatusTask[];
  /** Returns the id endTask takes. */
  startTask: (text: string, cancel?: (() => void) | null) => number;
  endTask: (id: number) => void;
  setBackend: (b: BackendInfo) => void;
  setBackendFailed: (error: string) => void;
  pushMessage: (level: MessageLevel, text: string) => number;
  dismissMessage: (id: number) => void;
  /** Where an action starts: the messages it pushes get ids from here on. */
  mark: () => number;
  /**
   * The action begun at `mark` succeeded, so what earlier actions reported no longer applies:
   * their messages go (an old error would otherwise come back once the newer info times out).
   * The action's own messages stay.
   */
  settle: (mark: number) => void;
  clearMessages: () => void;
  reset: () => void;
}

let nextId = 1;
const MAX_MESSAGES = 5;

export const useStatusStore = create<StatusState>()((set) => ({
  backendState: 'initialising',
  backend: null,
  backendError: null,
  messages: [],
  tasks: [],
  startTask: (text, cancel = null) => {
    const id = nextId++;
    set((s) => ({ tasks: [...s.tasks, { id, text, cancel }] }));
    return id;
  },
  endTask: (id) => set((s) => ({ tasks: s.tasks.filter((t) => t.id !== id) })),
  setBackend: (backend) => set({ backend, backendState: 'ready', backendError: null }),
  setBackendFailed: (backendError) => set({ backendState: 'failed', backend: null, backendError }),
  pushMessage: (level, text) => {
    const id = nextId++;
    // Keep only the newest few: old messages are noise in a status area.
    set((s) => ({ messages: [...s.messages, { id, level, text }].slice(-MAX_MESSAGES) }));
    return id;
  },
  dismissMessage: (id) => set((s) => ({ messages: s.messages.filter((m) => m.id !== id) })),
  mark: () => nextId,
  settle: (mark) => set((s) => ({ messages: s.messages.filter((m) => m.id >= mark) })),
  clearMessages: () => set({ messages: [] }),
  reset: () => set({ backendState: 'initialising', backend: null, backendError: null, messages: [], tasks: [] }),
}));
