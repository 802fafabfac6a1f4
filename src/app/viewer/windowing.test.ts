import { describe, expect, it } from 'vitest';
import type { NVImage } from '@niivue/niivue';
import { Emitter } from './emitter.ts';
import { Windowing } from './windowing.ts';
import type { ViewerEvents } from './viewerTypes.ts';

describe('Windowing', () => {
  it('refuses an empty or inverted range and reports every change', () => {
    const events = new Emitter<ViewerEvents>();
    const seen: ViewerEvents['windowChanged'][] = [];
    events.on('windowChanged', (w) => seen.push(w));
    const w = new Windowing(events);
    expect(w.set(100, 100, null)).toBe(false);
    expect(w.set(200, 100, null)).toBe(false);
    expect(w.set(-160, 240, 'abdomen')).toBe(true);
    expect(seen).toEqual([{ min: -160, max: 240, preset: 'abdomen' }]);
    const a = {} as NVImage;
    const b = {} as NVImage;
    w.applyTo(a, null, b);
    expect([a.cal_min, a.cal_max, b.cal_min, b.cal_max]).toEqual([-160, 240, -160, 240]);
  });

  it('adopts a window niivue changed on a right-drag as a custom one, once', () => {
    const events = new Emitter<ViewerEvents>();
    let n = 0;
    events.on('windowChanged', () => n++);
    const w = new Windowing(events);
    w.set(-160, 240, 'abdomen');
    const v = { cal_min: -160, cal_max: 240 } as NVImage;
    w.adoptFrom(v);
    expect(n).toBe(1);
    v.cal_min = -50;
    v.cal_max = 150;
    w.adoptFrom(v);
    expect(w.current).toEqual({ min: -50, max: 150, preset: null });
    expect(n).toBe(2);
  });
});
