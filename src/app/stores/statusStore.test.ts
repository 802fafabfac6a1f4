import { beforeEach, describe, expect, it } from 'vitest';
import { useStatusStore } from './statusStore.ts';

describe('statusStore', () => {
  beforeEach(() => useStatusStore.getState().reset());

  it('moves from initialising to a backend or a failure', () => {
    expect(useStatusStore.getState().backendState).toBe('initialising');
    useStatusStore.getState().setBackend({ name: 'webgpu', adapter: 'google / swiftshader', isFallbackAdapter: true, threads: null, failures: [] });
    expect(useStatusStore.getState()).toMatchObject({ backendState: 'ready', backend: { name: 'webgpu' } });
    useStatusStore.getState().setBackendFailed('cpu: boom');
    expect(useStatusStore.getState()).toMatchObject({ backendState: 'failed', backend: null, backendError: 'cpu: boom' });
  });

  it('keeps the newest five messages, dismisses by id and clears', () => {
    const s = useStatusStore.getState();
    const ids = Array.from({ length: 7 }, (_, n) => s.pushMessage(n % 2 ? 'error' : 'info', `m${n}`));
    expect(new Set(ids).size).toBe(7);
    expect(useStatusStore.getState().messages.map((m) => m.text)).toEqual(['m2', 'm3', 'm4', 'm5', 'm6']);
    s.dismissMessage(ids[6]);
    expect(useStatusStore.getState().messages.at(-1)?.text).toBe('m5');
    s.clearMessages();
    expect(useStatusStore.getState().messages).toEqual([]);
  });

  it('drops what earlier actions said once a later action succeeds, keeping that action\'s own messages', () => {
    const s = useStatusStore.getState();
    s.pushMessage('error', 'Could not open "notes.txt"');
    const mark = s.mark();
    s.pushMessage('error', 'Ignored "extra.nii.gz"');
    s.pushMessage('info', 'Opened ct.nii.gz');
    s.settle(mark);
    expect(useStatusStore.getState().messages.map((m) => m.text)).toEqual(['Ignored "extra.nii.gz"', 'Opened ct.nii.gz']);
  });

  it('lists running tasks with their cancel until each ends', () => {
    const s = useStatusStore.getState();
    let cancelled = 0;
    const a = s.startTask('Opening ct.nii…', () => cancelled++);
    const b = s.startTask('Opening seg.nii…');
    expect(useStatusStore.getState().tasks.map((t) => t.text)).toEqual(['Opening ct.nii…', 'Opening seg.nii…']);
    useStatusStore.getState().tasks[0].cancel?.();
    expect(cancelled).toBe(1);
    expect(useStatusStore.getState().tasks[1].cancel).toBeNull();
    s.endTask(a);
    expect(useStatusStore.getState().tasks.map((t) => t.id)).toEqual([b]);
    s.reset();
    expect(useStatusStore.getState().tasks).toEqual([]);
  });
});
