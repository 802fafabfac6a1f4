import { Niivue, SLICE_TYPE, type NVImage, type NiiVueLocation } from '@niivue/niivue';
import type { Vec3 } from '../../core/volume.ts';
import { voxelToWorld } from '../../core/volume.ts';
import { PROJECT_LABEL_NAMES, type LabelMap, type ProjectLabelName } from '../../core/labels.ts';
import type { Lesion } from '../../core/lesions.ts';
import { Emitter } from './emitter.ts';
import { insideVolume, invertAffine, worldToVoxel } from './geometry.ts';
import type { SchemeId } from './labelScheme.ts';
import { windowPreset, type WindowPresetId } from './windowPresets.ts';
import type { CaseSource } from '../stores/caseStore.ts';
import type { Layout } from '../stores/viewStore.ts';
import { DEFAULT_AZIMUTH_ELEVATION, LAYOUT_SLICE, niivueOptions } from './niivueSetup.ts';
import { describeFile, readLabelVolume, readVolume, scaling } from './readVolume.ts';
import { Windowing } from './windowing.ts';
import { LabelLayers } from './labelLayers.ts';
import { makeSynthetic, type SyntheticCase } from './syntheticOverlay.ts';
import { ComparePane } from './comparePane.ts';
import { Placement } from './placement.ts';
import { LesionClient, lesionRequest } from './lesionClient.ts';
import { VolumeClient } from './volumeClient.ts';
import { DEFAULT_VOLUME_LIMITS, type VolumeLimits } from './volumeLimits.ts';
import { addBackground, refreshAll, refreshBackground } from './glRefresh.ts';
import { pace } from './pacedGl.ts';
import { yieldToPage } from './chunkedCopy.ts';
import type { ImageState, LabelStyle, PlacementClick, ViewerEvents, ViewerHost, VolumeSource } from './viewerTypes.ts';

export type { LabelStyle, PlacementClick, ViewerEvents, VolumeSource } from './viewerTypes.ts';
export { TUMOUR_OUTLINE_COLOR } from './syntheticOverlay.ts';

/**
 * Owns the niivue instance. Everything the UI can do to the viewer goes through a method here;
 * everything the UI shows about the viewer comes back as an event. No React in this file. The
 * concerns live in their own modules (labels, synthetic overlay, compare pane, placement,
 * windowing); this class loads cases, arranges the scene they share and moves the crosshair.
 */
export class ViewerController {
  readonly events = new Emitter<ViewerEvents>();
  private main: Niivue | null = null;
  private img: ImageState | null = null;
  private layout: Layout = 'multiplanar';
  private readonly host: ViewerHost = { events: this.events, nv: () => this.requireNv(), image: () => this.img };
  private readonly windowing = new Windowing(this.events);
  private readonly labels = new LabelLayers(this.host);
  private synthetic: SyntheticCase | null = null;
  private readonly compare = new ComparePane();
  private readonly placement = new Placement();
  private readonly lesionClient = new LesionClient();
  private lesionList: Lesion[] = [];
  private lesionGeneration = 0;
  private readonly volumes: VolumeClient;
  /** Serialises loads: a second drop while the first still parses must not interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  /** `limits`: the largest volume opened (see volumeLimits.ts). */
  constructor(limits: VolumeLimits = DEFAULT_VOLUME_LIMITS) {
    this.volumes = new VolumeClient(limits);
  }

  async attach(canvas: HTMLCanvasElement): Promise<void> {
    const nv = new Niivue(niivueOptions());
    await nv.attachToCanvas(canvas);
    // niivue's layer refreshes are queued and replayed a slab at a time (pacedGl.ts).
    pace(nv);
    nv.setSliceType(SLICE_TYPE.MULTIPLANAR);
    nv.setRenderAzimuthElevation(...DEFAULT_AZIMUTH_ELEVATION);
    nv.onLocationChange = (loc) => this.handleLocation(loc as NiiVueLocation);
    nv.onMouseUp = () => this.windowing.adoptFrom(this.img?.volume);
    this.main = nv;
  }

  dispose(): void {
    this.detachCompare();
    this.lesionClient.dispose();
    this.volumes.dispose();
    this.labels.dispose();
    this.events.clear();
    this.main?.cleanup();
    this.main = null;
  }

  get hasImage(): boolean {
    return this.img !== null;
  }

  /**
   * Stop reading the file being opened (the read fails with a message naming it; the case on
   * screen stays). Returns false when nothing was being read. What niivue already has is kept.
   */
  cancelLoading(): boolean {
    return this.volumes.cancel();
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private requireNv(): Niivue {
    if (!this.main) throw new Error('viewer is not attached');
    return this.main;
  }

  // ---- loading ----

  /** Load an image and, optionally, its label map. Nothing on screen changes unless both parse. */
  loadCase(image: VolumeSource, label: VolumeSource | null, source: CaseSource): Promise<void> {
    return this.enqueue(async () => {
      const nv = this.requireNv();
      this.events.emit('loading', { name: image.name });
      try {
        const { volume, datatype, bytes } = await readVolume(this.volumes, image, 'gray');
        let segment: { segment: NVImage; datatype: number; bytes: Uint8Array } | null = null;
        if (label) {
          this.events.emit('loading', { name: label.name });
          segment = await readLabelVolume(this.volumes, label);
        }
        // Replace the scene the way loadVolumes does, but only now that the new data is valid.
        // (The label map is split after the image shows; a failure there leaves the image open.)
        nv.volumes = [];
        nv.overlays = [];
        this.labels.reset();
        this.dropSynthetic();
        const { file, affine } = describeFile(volume, image.name, datatype);
        this.img = { volume, bytes, file, affine, inverse: invertAffine(affine), ...scaling(volume) };
        this.windowing.applyTo(volume);
        addBackground(nv, volume, 'image');
        // niivue's refresh was one long task; what reacts to the new image runs in the next.
        await yieldToPage();
        this.events.emit('imageLoaded', { file, source });
        if (segment && label) await this.installLabels(segment.segment, label.name, segment.datatype, null, segment.bytes);
        else {
          this.events.emit('labelsLoaded', null);
          this.measureLesions();
        }
        this.centreCrosshair();
      } finally {
        this.events.emit('loading', { name: null });
      }
    });
  }

  /** Replace the label map of the current image. */
  loadLabels(label: VolumeSource): Promise<void> {
    return this.enqueue(async () => {
      if (!this.img) throw new Error(`open an image before the label map "${label.name}"`);
      this.events.emit('loading', { name: label.name });
      try {
        const { segment, datatype, bytes } = await readLabelVolume(this.volumes, label);
        await this.installLabels(segment, label.name, datatype, null, bytes);
        this.requireNv().drawScene();
      } finally {
        this.events.emit('loading', { name: null });
      }
    });
  }

  /** Re-read the current label map under another scheme (e.g. the user corrects the guess). */
  setScheme(scheme: SchemeId): Promise<void> {
    return this.enqueue(async () => {
      const lab = this.labels.current;
      if (!lab || lab.scheme === scheme) return;
      await this.installLabels(lab.segment, lab.file.name, lab.datatype, scheme, lab.bytes);
      this.requireNv().drawScene();
    });
  }

  private async installLabels(segment: NVImage, name: string, datatype: number, forcedScheme: SchemeId | null, bytes: Uint8Array): Promise<void> {
    const { entries, replaced } = await this.labels.install(segment, name, datatype, forcedScheme, bytes);
    // A synthetic tumour was placed through the old label map: it no longer holds. Dropped only
    // now, with the new labels in, so the scene is rebuilt once.
    if (this.synthetic) {
      this.dropSynthetic();
      this.arrangeScene();
    }
    this.measureLesions();
    await yieldToPage();
    // A new case opens on its first organ so every plane shows it; a re-read keeps the position.
    const first = entries[0];
    if (replaced || !first || !this.goToLabel(first.key)) this.requestLocation();
  }

  /** The bytes of the loaded image and label map, and the label map they are read with. */
  caseFiles(): { image: { name: string; bytes: Uint8Array }; label: { name: string; bytes: Uint8Array }; labelMap: LabelMap } | null {
    const lab = this.labels.current;
    if (!this.img || !lab) return null;
    return {
      image: { name: this.img.file.name, bytes: this.img.bytes },
      label: { name: lab.file.name, bytes: lab.bytes },
      labelMap: lab.map,
    };
  }

  // ---- synthetic overlay ----

  get hasSynthetic(): boolean {
    return this.synthetic !== null;
  }

  /** Put a synthetic image (HU, image grid) and its tumour mask on screen, replacing any earlier one. */
  setSynthetic(image: Float32Array, tumourLabel: Uint8Array, show = true): void {
    this.requireNv();
    if (!this.img) throw new Error('no image open');
    this.synthetic = makeSynthetic(this.img, image, tumourLabel, this.windowing.current, show);
    this.arrangeScene();
    this.fillCompare();
    this.measureLesions();
    this.requestLocation();
  }

  /** Show the synthetic image (true) or the original (false); the outline stays on both. */
  showSynthetic(show: boolean): void {
    if (!this.synthetic || this.synthetic.showing === show) return;
    this.synthetic.showing = show;
    this.arrangeScene();
    this.requestLocation();
  }

  clearSynthetic(): void {
    if (!this.synthetic) return;
    this.dropSynthetic();
    this.measureLesions();
    if (this.main && this.img) {
      this.arrangeScene();
      this.requestLocation();
    }
  }

  private dropSynthetic(): void {
    this.synthetic = null;
    this.cancelPlacement();
    this.detachCompare();
  }

  /** Background (original or synthetic), organ overlays, then the tumour outline on top. */
  private arrangeScene(): void {
    const nv = this.requireNv();
    if (!this.img) return;
    const s = this.synthetic;
    const back = s?.showing ? s.volume : this.img.volume;
    this.windowing.applyTo(back);
    nv.volumes = [back, ...this.labels.volumes(), ...(s ? [s.outline] : [])];
    nv.overlays = nv.volumes.slice(1);
    refreshAll(nv, 'scene');
  }

  // ---- compare pane ----

  /**
   * Side by side: a second niivue on `canvas` shows the synthetic image with the outline; the
   * main view shows the original.
   */
  async attachCompare(canvas: HTMLCanvasElement): Promise<void> {
    if (!this.synthetic || !this.main) throw new Error('synthesise a tumour first');
    if (this.compare.isOn(canvas)) return;
    await this.compare.attach(canvas, this.main, this.layout);
    this.fillCompare();
    this.showSynthetic(false);
    this.compare.link(this.main);
  }

  detachCompare(): void {
    this.compare.detach(this.main);
  }

  get comparing(): boolean {
    return this.compare.active;
  }

  private fillCompare(): void {
    if (this.main && this.img && this.synthetic) this.compare.fill(this.main, this.img, this.synthetic, this.windowing.current);
  }

  // ---- placement ----

  /**
   * Call `handler` with the voxel of the next left click on a 2-D slice. Clicks on the 3-D tile
   * or outside the image report so. One click, then the mode ends; returns the cancel function.
   */
  armPlacement(handler: (click: PlacementClick) => void): () => void {
    return this.placement.arm(this.requireNv(), handler, () => this.clickAtCrosshair());
  }

  cancelPlacement(): void {
    this.placement.cancel();
  }

  private clickAtCrosshair(): PlacementClick {
    const nv = this.requireNv();
    if (!this.img) return { kind: 'outside' };
    const m = nv.frac2mm(nv.scene.crosshairPos);
    const mm: Vec3 = [m[0], m[1], m[2]];
    const voxel = worldToVoxel(this.img.inverse, mm);
    if (!insideVolume(this.img.file.dims, voxel)) return { kind: 'outside' };
    const here = this.labels.at(mm);
    return {
      kind: 'voxel',
      voxel,
      mm: voxelToWorld(this.img.affine, voxel),
      labelId: here?.labelId ?? null,
      projectLabel: here?.projectLabel ?? null,
      labelName: here?.labelName ?? null,
    };
  }

  // ---- windowing and layout ----

  setWindow(min: number, max: number, preset: WindowPresetId | null = null): void {
    if (!this.windowing.set(min, max, preset)) return;
    const nv = this.main;
    if (nv && this.img) {
      this.windowing.applyTo(this.img.volume, this.synthetic?.volume);
      refreshBackground(nv, 'window');
      this.compare.setWindow(this.windowing.current);
    }
  }

  setWindowPreset(id: WindowPresetId): void {
    const p = windowPreset(id);
    this.setWindow(p.min, p.max, id);
  }

  setLayout(layout: Layout): void {
    this.layout = layout;
    this.requireNv().setSliceType(LAYOUT_SLICE[layout]);
    this.compare.setLayout(layout);
    this.events.emit('layoutChanged', layout);
  }

  /** Undo zoom, pan and 3-D rotation; the crosshair and window stay. */
  resetView(): void {
    const nv = this.requireNv();
    nv.setPan2Dxyzmm([0, 0, 0, 1]);
    nv.setScale(1);
    nv.setRenderAzimuthElevation(...DEFAULT_AZIMUTH_ELEVATION);
    nv.drawScene();
  }

  getLayout(): Layout {
    return this.layout;
  }

  // ---- labels ----

  setLabelVisibility(key: ProjectLabelName, visible: boolean): void {
    this.labels.setStyle(key, { visible });
  }

  setLabelOpacity(key: ProjectLabelName, opacity: number): void {
    this.labels.setStyle(key, { opacity });
  }

  /** Show every label if any is hidden, otherwise hide them all. */
  toggleAllLabels(): void {
    this.labels.toggleAll();
  }

  /** Nudge every label's opacity, for keyboard use. */
  adjustAllOpacity(delta: number): void {
    this.labels.adjustAllOpacity(delta);
  }

  labelKeys(): ProjectLabelName[] {
    return this.labels.keys();
  }

  isLabelVisible(key: ProjectLabelName): boolean {
    return this.labels.isVisible(key);
  }

  get labelDisplay(): LabelStyle {
    return this.labels.style;
  }

  setLabelDisplay(style: LabelStyle): void {
    this.labels.setDisplay(style);
  }

  toggleLabelDisplay(): void {
    this.labels.setDisplay(this.labels.style === 'fill' ? 'outline' : 'fill');
  }

  // ---- lesions ----

  get lesions(): readonly Lesion[] {
    return this.lesionList;
  }

  /**
   * Re-measure every tumour of the case in the worker: real ones from the label map, synthetic
   * ones from the synthesis on screen. Copies go to the worker; the viewer keeps its arrays.
   */
  private measureLesions(): void {
    const lab = this.labels.current;
    const image = this.img;
    this.lesionList = [];
    const generation = ++this.lesionGeneration;
    if (!lab || !image) {
      this.lesionClient.cancel();
      this.events.emit('lesions', { lesions: [] });
      return;
    }
    this.events.emit('lesions', { computing: true });
    // The copies for the worker take a few tasks; a newer case or synthesis meanwhile wins.
    lesionRequest(lab, image, this.synthetic)
      .then((req) => (generation === this.lesionGeneration ? this.lesionClient.measure(req) : null))
      .then(
        (lesions) => {
          if (!lesions || generation !== this.lesionGeneration) return;
          this.lesionList = lesions;
          this.events.emit('lesions', { lesions });
        },
        (err: unknown) => {
          if (generation === this.lesionGeneration) this.events.emit('lesions', { error: err instanceof Error ? err.message : String(err) });
        },
      );
  }

  /** Put the crosshair in lesion `index` (1-based, as listed); false when there is none. */
  goToLesion(index: number): boolean {
    const l = this.lesionList.find((x) => x.index === index);
    const lab = this.labels.current;
    if (!l || !lab) return false;
    this.goToWorld(voxelToWorld(lab.affine, l.anchorVoxel));
    return true;
  }

  // ---- navigation ----

  /**
   * Step the crosshair through slices along the axis the current view looks down (axial → S/I,
   * coronal → A/P, sagittal → L/R). niivue steps in RAS voxel space, so + is always superior,
   * anterior or right whatever the file's orientation.
   */
  moveSlice(delta: number): void {
    if (!this.main || !this.img) return;
    const axis = this.layout === 'coronal' ? 1 : this.layout === 'sagittal' ? 0 : 2;
    const step: Vec3 = [0, 0, 0];
    step[axis] = delta;
    this.main.moveCrosshairInVox(step[0], step[1], step[2]);
  }

  /** Put the crosshair inside a label, near its centroid; returns false if the label is absent. */
  goToLabel(key: ProjectLabelName): boolean {
    const mm = this.labels.anchorOf(key);
    if (!mm) return false;
    this.goToWorld(mm);
    return true;
  }

  /** Put the crosshair on a voxel of the image (native file indices). Returns false if outside. */
  goToVoxel(i: number, j: number, k: number): boolean {
    if (!this.img) return false;
    const v: Vec3 = [Math.round(i), Math.round(j), Math.round(k)];
    if (!insideVolume(this.img.file.dims, v)) return false;
    this.goToWorld(voxelToWorld(this.img.affine, v));
    return true;
  }

  private goToWorld(mm: Vec3): void {
    const nv = this.requireNv();
    nv.scene.crosshairPos = nv.mm2frac(mm);
    nv.createOnLocationChange();
    nv.drawScene();
  }

  private centreCrosshair(): void {
    // Keep a position chosen by installLabels (organ centroid); otherwise start mid-volume.
    if (this.labels.current) return;
    const nv = this.requireNv();
    nv.scene.crosshairPos = [0.5, 0.5, 0.5];
    this.requestLocation();
  }

  private requestLocation(): void {
    const nv = this.requireNv();
    nv.createOnLocationChange();
    nv.drawScene();
  }

  private handleLocation(loc: NiiVueLocation): void {
    if (!this.img) return;
    const mm: Vec3 = [loc.mm[0], loc.mm[1], loc.mm[2]];
    const voxel = worldToVoxel(this.img.inverse, mm);
    const { dims } = this.img.file;
    const inside = insideVolume(dims, voxel);
    let value: number | null = null;
    const synth = this.synthetic?.showing ? this.synthetic : null;
    const at = voxel[0] + dims[0] * (voxel[1] + dims[1] * voxel[2]);
    if (inside) {
      // The readout reads what is on screen: the synthetic image holds HU already.
      value = synth ? synth.image[at] : (this.img.volume.img as ArrayLike<number>)[at] * this.img.slope + this.img.inter;
    }
    const here = this.labels.at(mm);
    let labelName: string | null = here?.labelName ?? null;
    let projectLabel: string | null = here?.projectLabel ?? null;
    const tumour = synth && inside ? synth.tumourLabel[at] : 0;
    if (tumour) {
      projectLabel = PROJECT_LABEL_NAMES[tumour] ?? projectLabel;
      labelName = `synthetic ${projectLabel ?? 'tumour'}`;
    }
    this.events.emit('location', { mm, voxel, inside, value, labelId: here?.labelId ?? null, labelName, projectLabel });
    if (this.main) this.compare.syncCrosshair(this.main);
  }
}

