import { describe, expect, it, vi } from 'vitest';
import { createReaderRegistry, type ReaderHandlers } from './readerActions.ts';
import { createStudyActions } from './studyActions.ts';
import { useStudyStore } from './studyStore.ts';
import { ActionRegistry } from '../actions/registry.ts';

function handlers(over: Partial<ReaderHandlers> = {}): ReaderHandlers {
  return {
    answer: vi.fn(),
    confidence: vi.fn(),
    next: vi.fn(),
    skip: vi.fn(),
    back: vi.fn(),
    toggleMarker: vi.fn(),
    recentre: vi.fn(),
    canAnswer: () => true,
    canNext: () => true,
    ...over,
  };
}

describe('reader actions', () => {
  it('answer keys follow the configuration; digits set confidence', () => {
    const h = handlers();
    const reg = createReaderRegistry({ real: 'D', synthetic: 'K' }, h);
    expect(reg.match({ key: 'd', code: 'KeyD' })?.id).toBe('reader.real');
    expect(reg.match({ key: 'k', code: 'KeyK' })?.id).toBe('reader.synthetic');
    expect(reg.match({ key: 'f', code: 'KeyF' })).toBeUndefined();
    reg.run('reader.synthetic');
    expect(h.answer).toHaveBeenCalledWith('synthetic');
    reg.match({ key: '4', code: 'Digit4' })!.perform();
    expect(h.confidence).toHaveBeenCalledWith(4);
    expect(reg.all().every((a) => a.group === 'Study')).toBe(true);
  });
  it('next is disabled until the item is answered', () => {
    const h = handlers({ canNext: () => false });
    const reg = createReaderRegistry({ real: 'F', synthetic: 'J' }, h);
    expect(reg.run('reader.next')).toBe(false);
    expect(h.next).not.toHaveBeenCalled();
  });
  it('study.open opens the study layer and fits in the workbench registry', () => {
    useStudyStore.getState().reset();
    const reg = new ActionRegistry().registerAll(createStudyActions());
    reg.run('study.open');
    expect(useStudyStore.getState().mode).toBe('home');
    useStudyStore.getState().reset();
  });
});
