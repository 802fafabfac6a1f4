import { Niivue } from '@niivue/niivue';
import { huVolume } from './derivedVolumes.ts';
import { addBackground, attachNiivue, refreshBackground, refreshOverlays } from './glRefresh.ts';
import { LAYOUT_SLICE, niivueOptions } from './niivueSetup.ts';
import { outlineVolume, type SyntheticCase } from './syntheticOverlay.ts';
import type { Layout } from '../stores/viewStore.ts';
import type { ImageState } from './viewerTypes.ts';
import type { WindowState } from './windowing.ts';

/**
 * The second niivue of the side-by-side compare: the synthetic image with the outline, its
 * crosshair, slice type, zoom/pan and 3-D view tied to the main one.
 */
export class ComparePane {
  private nv: Niivue | null = null;
  private canvas: HTMLCanvasElement | null = null;
  private syncing = false;

  get active(): boolean {
    return this.nv !== null;
  }

  isOn(canvas: HTMLCanvasElement): boolean {
    return this.canvas === canvas;
  }

  async attach(canvas: HTMLCanvasElement, main: Niivue, layout: Layout): Promise<void> {
    this.detach(main);
    const nv = new Niivue(niivueOptions());
    await attachNiivue(nv, canvas, 'compare set-up');
    nv.setSliceType(LAYOUT_SLICE[layout]);
    nv.scene.renderAzimuth = main.scene.renderAzimuth;
    nv.scene.renderElevation = main.scene.renderElevation;
    this.nv = nv;
    this.canvas = canvas;
  }

  /**
   * niivue syncs from the focused canvas only (user drags, wheel, 3-D rotation); programmatic
   * moves go through syncCrosshair. The two-way link cannot loop: sync() returns early on the
   * canvas without focus, and syncCrosshair stops once both crosshairs agree. Link only once
   * both have a volume: niivue's sync() asks the other view for its location.
   */
  link(main: Niivue): void {
    if (!this.nv) return;
    const opts = { '2d': true, '3d': true };
    this.nv.broadcastTo(main, opts);
    main.broadcastTo(this.nv, opts);
  }

  detach(main: Niivue | null): void {
    const nv = this.nv;
    if (!nv) return;
    this.nv = null;
    this.canvas = null;
    main?.broadcastTo([], { '2d': false, '3d': false });
    try {
      nv.cleanup();
      // Hand the WebGL context back now rather than when the canvas is collected: browsers cap them.
      const gl = nv.gl as WebGL2RenderingContext | null;
      gl?.getExtension('WEBGL_lose_context')?.loseContext();
    } catch {
      // a context already lost is fine
    }
  }

  fill(main: Niivue, image: ImageState, synthetic: SyntheticCase, window: WindowState): void {
    const nv = this.nv;
    if (!nv) return;
    const base = image.volume;
    nv.volumes = [];
    nv.overlays = [];
    // The same read-only arrays as the main view's synthetic layers. addVolume sets niivue's
    // background; the outline then needs only its own layer rendered.
    addBackground(nv, huVolume(base, synthetic.image, window, 'synthetic', true), 'compare pane');
    nv.volumes.push(outlineVolume(base, synthetic.outline.img as Uint8Array));
    nv.overlays = nv.volumes.slice(1);
    refreshOverlays(nv, 'compare outline');
    this.syncCrosshair(main, true);
  }

  setWindow(window: WindowState): void {
    const v = this.nv?.volumes[0];
    if (!v || !this.nv) return;
    v.cal_min = window.min;
    v.cal_max = window.max;
    refreshBackground(this.nv, 'compare window');
  }

  setLayout(layout: Layout): void {
    this.nv?.setSliceType(LAYOUT_SLICE[layout]);
  }

  /** Copy the main crosshair here when they differ (by more than a hundredth of a mm). */
  syncCrosshair(main: Niivue, force = false): void {
    const nv = this.nv;
    if (!nv || this.syncing || nv.volumes.length === 0) return;
    const mm = main.frac2mm(main.scene.crosshairPos);
    const there = nv.frac2mm(nv.scene.crosshairPos);
    const same = [0, 1, 2].every((a) => Math.abs(mm[a] - there[a]) < 0.01);
    if (same && !force) return;
    this.syncing = true;
    try {
      nv.scene.crosshairPos = nv.mm2frac(mm);
      nv.scene.pan2Dxyzmm = [...main.scene.pan2Dxyzmm] as typeof main.scene.pan2Dxyzmm;
      nv.drawScene();
    } finally {
      this.syncing = false;
    }
  }
}
