/**
 * The reading view's own niivue instance: one crop at a time, centred on the lesion, in the
 * study's window, with nothing else drawn (no labels, no names, no colour bar, no 3-D). It is
 * separate from the workbench's ViewerController so that nothing the workbench shows (case
 * names, label overlays, readouts) can reach a reader.
 */
import { MULTIPLANAR_TYPE, NVImage, Niivue, SHOW_RENDER, SLICE_TYPE } from '@niivue/niivue';

/** Every crop is given the same neutral name: niivue needs one ending in .nii.gz. */
const NEUTRAL_NAME = 'item.nii.gz';

export class StudyViewer {
  private nv: Niivue | null = null;
  private volume: NVImage | null = null;
  private window = { width: 400, level: 40 };
  private markerOn = true;
  /** Serialises loads: Back pressed twice quickly must not interleave two items. */
  private queue: Promise<unknown> = Promise.resolve();

  async attach(canvas: HTMLCanvasElement): Promise<void> {
    const nv = new Niivue({
      backColor: [0, 0, 0, 1],
      crosshairColor: [0.25, 0.8, 1, 0.8],
      // A wide gap: the marker points at the lesion without covering it.
      crosshairGap: 22,
      // A hair line whatever the voxel size (niivue's default is one voxel: a 3 mm bar on 3 mm CT).
      crosshairWidth: 0.5,
      crosshairWidthUnit: 'percent',
      show3Dcrosshair: false,
      isColorbar: false,
      isOrientCube: false,
      dragAndDropEnabled: false,
      multiplanarShowRender: SHOW_RENDER.NEVER,
      multiplanarLayout: MULTIPLANAR_TYPE.AUTO,
      heroImageFraction: 0.62,
      heroSliceType: SLICE_TYPE.AXIAL,
      multiplanarPadPixels: 6,
      viewModeHotKey: 'None',
      clipPlaneHotKey: 'None',
      cycleClipPlaneHotKey: 'None',
      loadingText: '',
      logLevel: 'warn',
      isRadiologicalConvention: true,
    });
    await nv.attachToCanvas(canvas);
    nv.setSliceType(SLICE_TYPE.MULTIPLANAR);
    this.nv = nv;
  }

  dispose(): void {
    this.nv?.cleanup();
    this.nv = null;
    this.volume = null;
  }

  /** Show one crop (NIfTI bytes) centred on its lesion (world 0,0,0) in the given window. */
  show(bytes: Uint8Array, window: { width: number; level: number }): Promise<void> {
    const run = this.queue.then(async () => {
      const nv = this.nv;
      if (!nv) return;
      const copy = bytes.slice();
      const volume = await NVImage.loadFromUrl({ url: NEUTRAL_NAME, name: NEUTRAL_NAME, buffer: copy.buffer as ArrayBuffer, colormap: 'gray' });
      if (this.nv !== nv) return;
      this.window = window;
      volume.cal_min = window.level - window.width / 2;
      volume.cal_max = window.level + window.width / 2;
      nv.volumes = [];
      nv.overlays = [];
      nv.addVolume(volume);
      this.volume = volume;
      this.recentre();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Back to the lesion centre, the study window, no zoom or pan. */
  recentre(): void {
    const nv = this.nv;
    if (!nv || !this.volume) return;
    this.volume.cal_min = this.window.level - this.window.width / 2;
    this.volume.cal_max = this.window.level + this.window.width / 2;
    nv.setPan2Dxyzmm([0, 0, 0, 1]);
    nv.scene.crosshairPos = nv.mm2frac([0, 0, 0]);
    nv.updateGLVolume();
    nv.drawScene();
  }

  toggleMarker(): boolean {
    const nv = this.nv;
    this.markerOn = !this.markerOn;
    if (nv) {
      nv.setCrosshairWidth(this.markerOn ? 0.5 : 0);
      nv.drawScene();
    }
    return this.markerOn;
  }
}
