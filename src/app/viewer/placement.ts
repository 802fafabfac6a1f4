import { SLICE_TYPE, type Niivue } from '@niivue/niivue';
import type { PlacementClick } from './viewerTypes.ts';

/**
 * One-shot click mode on the main canvas: the next left click on a 2-D slice is reported (niivue
 * has moved the crosshair there by then). Clicks on the 3-D tile report so and keep the mode on.
 */
export class Placement {
  private armed: { handler: (click: PlacementClick) => void; off: () => void } | null = null;

  /** `resolve` turns the crosshair niivue just moved into a click; returns the cancel function. */
  arm(nv: Niivue, handler: (click: PlacementClick) => void, resolve: () => PlacementClick): () => void {
    this.cancel();
    const canvas = nv.canvas as HTMLCanvasElement | null;
    if (!canvas) throw new Error('viewer is not attached');
    let down: { x: number; y: number } | null = null;
    const onDown = (e: MouseEvent) => {
      down = e.button === 0 ? { x: e.clientX, y: e.clientY } : null;
    };
    const onUp = (e: MouseEvent) => {
      if (e.button !== 0 || !down) return;
      const rect = canvas.getBoundingClientRect();
      const dpr = nv.uiData.dpr || 1;
      const tile = nv.tileIndex((e.clientX - rect.left) * dpr, (e.clientY - rect.top) * dpr);
      const slice = tile >= 0 ? nv.screenSlices[tile] : undefined;
      const armed = this.armed;
      if (!armed) return;
      if (!slice || slice.axCorSag === SLICE_TYPE.RENDER) {
        armed.handler({ kind: 'not-a-slice' });
        return;
      }
      this.cancel();
      armed.handler(resolve());
    };
    canvas.addEventListener('mousedown', onDown);
    canvas.addEventListener('mouseup', onUp);
    canvas.classList.add('is-placing');
    const off = () => {
      canvas.removeEventListener('mousedown', onDown);
      canvas.removeEventListener('mouseup', onUp);
      canvas.classList.remove('is-placing');
    };
    this.armed = { handler, off };
    return () => this.cancel();
  }

  cancel(): void {
    this.armed?.off();
    this.armed = null;
  }
}
