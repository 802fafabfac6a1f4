import type { NVImage } from '@niivue/niivue';
import type { Emitter } from './emitter.ts';
import type { ViewerEvents } from './viewerTypes.ts';
import { DEFAULT_WINDOW, windowPreset, type WindowPresetId } from './windowPresets.ts';

export interface WindowState {
  min: number;
  max: number;
  preset: WindowPresetId | null;
}

/**
 * The CT window (level/width as min/max HU) shared by every greyscale volume on screen: the
 * original, the synthetic image and the compare pane all read from here.
 */
export class Windowing {
  private state: WindowState = { min: windowPreset(DEFAULT_WINDOW).min, max: windowPreset(DEFAULT_WINDOW).max, preset: DEFAULT_WINDOW };

  constructor(private readonly events: Emitter<ViewerEvents>) {}

  get current(): WindowState {
    return this.state;
  }

  /** Returns false (and changes nothing) for an empty or inverted range. */
  set(min: number, max: number, preset: WindowPresetId | null): boolean {
    if (!(max > min)) return false;
    this.state = { min, max, preset };
    this.events.emit('windowChanged', { min, max, preset });
    return true;
  }

  applyTo(...volumes: (NVImage | null | undefined)[]): void {
    for (const v of volumes) {
      if (!v) continue;
      v.cal_min = this.state.min;
      v.cal_max = this.state.max;
    }
  }

  /** A right-drag changes the window inside niivue; adopt it so the preset UI stays honest. */
  adoptFrom(v: NVImage | null | undefined): void {
    if (!v || v.cal_min === undefined || v.cal_max === undefined) return;
    if (Math.abs(v.cal_min - this.state.min) < 1e-6 && Math.abs(v.cal_max - this.state.max) < 1e-6) return;
    this.set(v.cal_min, v.cal_max, null);
  }
}
