/**
 * The lab's own niivue: the case's grid, x̂ of the tumour on show, and two outlines (M lime, S's
 * predicted tumour magenta, both yellow). Separate from the workbench's ViewerController, as the
 * reader study's viewer is; the lab covers the workbench while open.
 */
import { MULTIPLANAR_TYPE, NVImage, Niivue, SHOW_RENDER, SLICE_TYPE } from '@niivue/niivue';
import { PROJECT_LABEL_COLORS, PROJECT_LABEL_NAMES } from '../../core/labels.ts';
import type { Vec3 } from '../../core/volume.ts';
import { mmToVoxel, voxelToMm } from './affine.ts';
import { huVolume, labelOverlayVolume } from '../viewer/derivedVolumes.ts';

export const M_COLOR: [number, number, number] = [80, 255, 60];
export const S_COLOR: [number, number, number] = [255, 60, 220];
export const BOTH_COLOR: [number, number, number] = [255, 230, 40];
const WINDOW = { min: -160, max: 240 };
/** Faint enough that the tumour's texture and the M / S outlines stay readable on top. */
const CASE_LABEL_OPACITY = 0.3;
export const ZOOM_RANGE = [0.5, 8] as const;

/** Project ids 1–6 in order, so label value n takes colour entry n. */
const CASE_LABEL_ENTRIES = [1, 2, 3, 4, 5, 6].map((id) => ({ rgb: PROJECT_LABEL_COLORS[id], label: PROJECT_LABEL_NAMES[id] }));

/** The file's voxel → mm affine (rows), as niivue read it from the header. */
function affineOf(v: NVImage): number[][] {
  const a = v.hdr?.affine as number[][] | undefined;
  if (!a) throw new Error('the image has no affine');
  return a;
}

export class LabViewer {
  private nv: Niivue | null = null;
  private base: NVImage | null = null;
  private baseKey: Uint8Array | null = null;
  private clickHandler: ((voxel: Vec3 | null) => void) | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private offCanvas: (() => void) | null = null;
  private caseLabels: NVImage | null = null;
  private labelsShown = true;
  /** Told of every zoom change (the page shows the factor). */
  onZoom: ((zoom: number) => void) | null = null;

  async attach(canvas: HTMLCanvasElement): Promise<void> {
    const nv = new Niivue({
      backColor: [0, 0, 0, 1],
      show3Dcrosshair: false,
      isColorbar: false,
      isOrientCube: false,
      dragAndDropEnabled: false,
      multiplanarShowRender: SHOW_RENDER.NEVER,
      multiplanarLayout: MULTIPLANAR_TYPE.AUTO,
      // As the workbench and the reader study: patient right on screen left.
      isRadiologicalConvention: true,
      heroImageFraction: 0.62,
      heroSliceType: SLICE_TYPE.AXIAL,
      multiplanarPadPixels: 4,
      crosshairColor: [0.25, 0.8, 1, 0.7],
      // A gap so the crosshair points at the tumour without covering its outlines.
      crosshairGap: 14,
      crosshairWidth: 0.5,
      crosshairWidthUnit: 'percent',
      viewModeHotKey: 'None',
      clipPlaneHotKey: 'None',
      cycleClipPlaneHotKey: 'None',
      loadingText: '',
      logLevel: 'warn',
    });
    await nv.attachToCanvas(canvas);
    nv.setSliceType(SLICE_TYPE.MULTIPLANAR);
    this.nv = nv;
    let down: { x: number; y: number } | null = null;
    const onDown = (e: MouseEvent) => {
      down = e.button === 0 ? { x: e.clientX, y: e.clientY } : null;
    };
    const onUp = (e: MouseEvent) => {
      const h = this.clickHandler;
      if (!h || e.button !== 0 || !down) return;
      this.clickHandler = null;
      canvas.classList.remove('is-placing');
      h(this.crosshairVoxel());
    };
    // Ctrl/⌘ + wheel zooms; the plain wheel keeps moving through slices (niivue's own). Caught on
    // the way down (capture, on the parent) so niivue never sees it as a slice scroll.
    const onWheel = (e: WheelEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.target !== canvas) return;
      e.preventDefault();
      e.stopPropagation();
      this.zoomBy(e.deltaY < 0 ? 1.25 : 0.8);
    };
    const host = canvas.parentElement ?? canvas;
    canvas.addEventListener('mousedown', onDown);
    canvas.addEventListener('mouseup', onUp);
    host.addEventListener('wheel', onWheel, { capture: true, passive: false });
    this.offCanvas = () => {
      canvas.removeEventListener('mousedown', onDown);
      canvas.removeEventListener('mouseup', onUp);
      host.removeEventListener('wheel', onWheel, { capture: true });
    };
  }

  dispose(): void {
    this.offCanvas?.();
    this.nv?.cleanup();
    this.nv = null;
    this.base = null;
    this.baseKey = null;
    this.caseLabels = null;
  }

  /** 2-D zoom (1 = fit), kept centred on the crosshair as niivue's own wheel zoom does. */
  zoomBy(factor: number): void {
    const nv = this.nv;
    if (!nv) return;
    const pan = nv.scene.pan2Dxyzmm;
    const zoom = Math.min(ZOOM_RANGE[1], Math.max(ZOOM_RANGE[0], pan[3] * factor));
    const mm = nv.frac2mm(nv.scene.crosshairPos);
    const change = pan[3] - zoom;
    nv.scene.pan2Dxyzmm = [pan[0] + change * mm[0], pan[1] + change * mm[1], pan[2] + change * mm[2], zoom];
    nv.drawScene();
    this.onZoom?.(zoom);
  }

  /** Fit the slices again (zoom 1, no pan); middle-drag pans (niivue). */
  resetView(): void {
    const nv = this.nv;
    if (!nv) return;
    nv.scene.pan2Dxyzmm = [0, 0, 0, 1];
    nv.drawScene();
    this.onZoom?.(1);
  }

  /** The case's organ / tumour labels under the outlines, or not. */
  setLabelsVisible(show: boolean): void {
    this.labelsShown = show;
    const nv = this.nv;
    if (!nv || !this.caseLabels) return;
    this.caseLabels.opacity = show ? CASE_LABEL_OPACITY : 0;
    nv.updateGLVolume();
  }

  /** The case as loaded (NIfTI bytes); shown without any tumour. */
  setCase(bytes: Uint8Array, name: string): Promise<void> {
    return this.enqueue(async () => {
      const nv = this.nv;
      if (!nv || this.baseKey === bytes) return;
      const v = await NVImage.loadFromUrl({ url: name, name, buffer: bytes.slice().buffer as ArrayBuffer, colormap: 'gray' });
      if (this.nv !== nv) return;
      v.cal_min = WINDOW.min;
      v.cal_max = WINDOW.max;
      this.base = v;
      this.baseKey = bytes;
      nv.volumes = [];
      nv.overlays = [];
      nv.addVolume(v);
    });
  }

  /**
   * x̂ (HU), the case's own labels (project ids, faint fill) and the outline label (1 M, 2 S,
   * 3 both) on the case grid; centre the crosshair there.
   */
  show(image: Float32Array, outline: Uint8Array, centre: Vec3, labels: Uint8Array): Promise<void> {
    return this.enqueue(async () => {
      const nv = this.nv;
      const base = this.base;
      if (!nv || !base) return;
      const hu = huVolume(base, image, WINDOW);
      const ol = labelOverlayVolume(base, outline, 'outlines', [
        { rgb: M_COLOR, label: 'M (simulated mask)' },
        { rgb: S_COLOR, label: 'S predicts tumour' },
        { rgb: BOTH_COLOR, label: 'both' },
      ]);
      const cl = labelOverlayVolume(base, labels, 'case labels', CASE_LABEL_ENTRIES);
      cl.opacity = this.labelsShown ? CASE_LABEL_OPACITY : 0;
      this.caseLabels = cl;
      nv.volumes = [];
      nv.overlays = [];
      nv.addVolume(hu);
      nv.addVolume(cl);
      nv.addVolume(ol);
      const mm = voxelToMm(affineOf(base), centre);
      nv.scene.crosshairPos = nv.mm2frac(mm);
      nv.updateGLVolume();
      nv.drawScene();
    });
  }

  /** The next left click on a slice reports its voxel (null: outside the image). */
  armClick(handler: (voxel: Vec3 | null) => void): void {
    this.clickHandler = handler;
    (this.nv?.canvas as HTMLCanvasElement | null)?.classList.add('is-placing');
  }

  cancelClick(): void {
    this.clickHandler = null;
    (this.nv?.canvas as HTMLCanvasElement | null)?.classList.remove('is-placing');
  }

  private crosshairVoxel(): Vec3 | null {
    const nv = this.nv;
    const v = this.base;
    if (!nv || !v) return null;
    const mm = nv.frac2mm(nv.scene.crosshairPos);
    const vox = mmToVoxel(affineOf(v), [mm[0], mm[1], mm[2]]);
    const d = v.hdr?.dims ?? [];
    const out = [Math.round(vox[0]), Math.round(vox[1]), Math.round(vox[2])] as Vec3;
    if (out.some((x, a) => x < 0 || x >= (d[a + 1] ?? 0))) return null;
    return out;
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
