import { MULTIPLANAR_TYPE, NVImage, Niivue, SHOW_RENDER, SLICE_TYPE, type NiiVueLocation } from '@niivue/niivue';
import type { Mat4, Vec3 } from '../../core/volume.ts';
import { sameGeometry, voxelToWorld } from '../../core/volume.ts';
import { PROJECT_LABEL_NAMES, type LabelMap, type ProjectLabelName } from '../../core/labels.ts';
import { huVolume, labelOverlayVolume } from './derivedVolumes.ts';
import { Emitter } from './emitter.ts';
import { boundaryMask } from '../synthesis/boundary.ts';
import { flattenAffine, insideVolume, invertAffine, spacingFromAffine, worldToVoxel } from './geometry.ts';
import {
  countIds,
  describeLabel,
  detectScheme,
  labelMapOf,
  maskAnchor,
  maskOf,
  projectLabelsOf,
  type ProjectLabelInfo,
  type SchemeId,
} from './labelScheme.ts';
import { DEFAULT_WINDOW, windowPreset, type WindowPresetId } from './windowPresets.ts';
import { datatypeName, sniffNifti } from '../files/sniffNifti.ts';
import type { LoadedFile, CaseSource } from '../stores/caseStore.ts';
import type { Layout } from '../stores/viewStore.ts';
import type { LabelEntry } from '../stores/labelStore.ts';
import { DEFAULT_LABEL_OPACITY } from '../stores/labelStore.ts';
import type { Readout } from '../stores/readoutStore.ts';

/** Where a volume comes from: a URL niivue can fetch, named so niivue can tell its format. */
export interface VolumeSource {
  url: string;
  name: string;
}

export interface ViewerEvents {
  loading: { name: string | null };
  imageLoaded: { file: LoadedFile; source: CaseSource };
  labelsLoaded: { file: LoadedFile; scheme: SchemeId; labels: LabelEntry[] } | null;
  windowChanged: { min: number; max: number; preset: WindowPresetId | null };
  layoutChanged: Layout;
  labelStyleChanged: { key: ProjectLabelName; visible: boolean; opacity: number };
  location: Readout;
  /** Something the user should know that is not an error, e.g. a label map on another grid. */
  notice: { text: string };
}

/** What the controller keeps of the loaded image to answer readout queries without niivue. */
interface ImageState {
  volume: NVImage;
  /** The file's bytes as read: synthesis and export start from exactly these. */
  bytes: Uint8Array;
  file: LoadedFile;
  inverse: Mat4;
  affine: Mat4;
  slope: number;
  inter: number;
}

/** A synthesised case on screen: the HU image and the tumour mask M, both on the image grid. */
interface SyntheticState {
  image: Float32Array;
  tumourLabel: Uint8Array;
  volume: NVImage;
  outline: NVImage;
  showing: boolean;
}

/** The second niivue of the side-by-side compare: the synthetic image, its crosshair tied to the main one. */
interface CompareState {
  nv: Niivue;
  canvas: HTMLCanvasElement;
}

/** Where a placement click landed. */
export type PlacementClick =
  | { kind: 'voxel'; voxel: Vec3; mm: Vec3; labelId: number | null; projectLabel: ProjectLabelName | null; labelName: string | null }
  | { kind: 'not-a-slice' }
  | { kind: 'outside' };

/** Outline colour of synthetic tumours: lime reads on grey CT and on the warm organ overlays. */
export const TUMOUR_OUTLINE_COLOR: [number, number, number] = [80, 255, 60];

interface LabelState {
  segment: NVImage;
  bytes: Uint8Array;
  /** On-disk NIfTI datatype code (niivue widens some types on load). */
  datatype: number;
  file: LoadedFile;
  inverse: Mat4;
  slope: number;
  inter: number;
  scheme: SchemeId;
  map: LabelMap;
  affine: Mat4;
  overlays: Map<ProjectLabelName, { volume: NVImage; visible: boolean; opacity: number; anchor?: Vec3 | null }>;
}

/** A three-quarter view from the patient's front-left: liver and kidneys both visible. */
const DEFAULT_AZIMUTH_ELEVATION: [number, number] = [200, 15];

const LAYOUT_SLICE: Record<Layout, SLICE_TYPE> = {
  multiplanar: SLICE_TYPE.MULTIPLANAR,
  axial: SLICE_TYPE.AXIAL,
  coronal: SLICE_TYPE.CORONAL,
  sagittal: SLICE_TYPE.SAGITTAL,
  render: SLICE_TYPE.RENDER,
};

function scaling(v: NVImage): { slope: number; inter: number } {
  const hdr = v.hdr!;
  const slope = Number.isFinite(hdr.scl_slope) && hdr.scl_slope !== 0 ? hdr.scl_slope : 1;
  const inter = Number.isFinite(hdr.scl_inter) ? hdr.scl_inter : 0;
  return { slope, inter };
}

function describeFile(v: NVImage, name: string, datatype: number): { file: LoadedFile; affine: Mat4 } {
  const hdr = v.hdr!;
  const affine = flattenAffine(hdr.affine);
  const dims: Vec3 = [hdr.dims[1], hdr.dims[2], Math.max(1, hdr.dims[3])];
  const spacing = spacingFromAffine(affine);
  return { file: { name, dims, spacing, datatype: datatypeName(datatype) }, affine };
}

/** One look for every niivue instance (main view and compare pane). */
function niivueOptions(): ConstructorParameters<typeof Niivue>[0] {
  return {
    backColor: [0.043, 0.051, 0.063, 1],
    crosshairColor: [0.25, 0.8, 1, 0.85],
    crosshairGap: 6,
    // niivue draws crosshairs as world-space cylinders; its default (one voxel wide) is a 3 mm
    // bar on this CT that hides the voxel being read. 1 mm reads as a line.
    crosshairWidth: 1,
    crosshairWidthUnit: 'mm',
    show3Dcrosshair: true,
    isColorbar: false,
    isOrientCube: false,
    dragAndDropEnabled: false,
    multiplanarShowRender: SHOW_RENDER.ALWAYS,
    multiplanarLayout: MULTIPLANAR_TYPE.GRID,
    multiplanarPadPixels: 4,
    // The app owns the keyboard; niivue's own hotkeys would fight with the action shortcuts.
    viewModeHotKey: 'None',
    clipPlaneHotKey: 'None',
    cycleClipPlaneHotKey: 'None',
    loadingText: '',
    logLevel: 'warn',
    fontColor: [0.75, 0.8, 0.86, 1],
    isRadiologicalConvention: true,
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Fetch, check and parse one volume without touching the scene. The bytes are read once here
 * (from a Blob URL for local files) so a bad file fails with a message naming it.
 */
async function readVolume(src: VolumeSource, colormap: string): Promise<{ volume: NVImage; datatype: number; bytes: Uint8Array }> {
  let bytes: Uint8Array;
  try {
    const res = await fetch(src.url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    throw new Error(`Could not read "${src.name}": ${message(err)}.`);
  }
  let summary;
  try {
    summary = await sniffNifti(src.name, bytes);
  } catch (err) {
    throw new Error(`Could not open "${src.name}": ${message(err)}.`);
  }
  let volume: NVImage;
  try {
    // The url only names the data here; niivue parses a copy, so `bytes` stay as read.
    volume = await NVImage.loadFromUrl({ url: src.name, name: src.name, buffer: bytes.slice().buffer as ArrayBuffer, colormap });
  } catch (err) {
    throw new Error(`Could not open "${src.name}": ${message(err)}.`);
  }
  if (!volume.img || !volume.hdr) throw new Error(`Could not open "${src.name}": no image data.`);
  const expected = summary.dims[0] * summary.dims[1] * summary.dims[2];
  if ((volume.img as ArrayLike<number>).length < expected) {
    throw new Error(`Could not open "${src.name}": the file is truncated.`);
  }
  return { volume, datatype: summary.datatype, bytes };
}

/** The tumour boundary as a one-colour label overlay. */
function outlineVolume(base: NVImage, boundary: Uint8Array): NVImage {
  return labelOverlayVolume(base, boundary, 'tumour-outline', [{ rgb: TUMOUR_OUTLINE_COLOR, label: 'Synthetic tumour' }]);
}

/**
 * Owns the niivue instance. Everything the UI can do to the viewer goes through a method here;
 * everything the UI shows about the viewer comes back as an event. No React in this file.
 */
export class ViewerController {
  readonly events = new Emitter<ViewerEvents>();
  private nv: Niivue | null = null;
  private image: ImageState | null = null;
  private labels: LabelState | null = null;
  private layout: Layout = 'multiplanar';
  private window: { min: number; max: number; preset: WindowPresetId | null } = {
    min: windowPreset(DEFAULT_WINDOW).min,
    max: windowPreset(DEFAULT_WINDOW).max,
    preset: DEFAULT_WINDOW,
  };
  /** Serialises loads: a second drop while the first still parses must not interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  async attach(canvas: HTMLCanvasElement): Promise<void> {
    const nv = new Niivue(niivueOptions());
    await nv.attachToCanvas(canvas);
    nv.setSliceType(SLICE_TYPE.MULTIPLANAR);
    nv.setRenderAzimuthElevation(...DEFAULT_AZIMUTH_ELEVATION);
    nv.onLocationChange = (loc) => this.handleLocation(loc as NiiVueLocation);
    // A right-drag changes the window in niivue itself; mirror it so the preset UI stays honest.
    nv.onMouseUp = () => this.syncWindowFromViewer();
    this.nv = nv;
  }

  dispose(): void {
    this.detachCompare();
    this.events.clear();
    this.nv?.cleanup();
    this.nv = null;
  }

  get hasImage(): boolean {
    return this.image !== null;
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private requireNv(): Niivue {
    if (!this.nv) throw new Error('viewer is not attached');
    return this.nv;
  }

  /** Load an image and, optionally, its label map. Nothing on screen changes unless both parse. */
  loadCase(image: VolumeSource, label: VolumeSource | null, source: CaseSource): Promise<void> {
    return this.enqueue(async () => {
      const nv = this.requireNv();
      this.events.emit('loading', { name: image.name });
      try {
        const { volume, datatype, bytes } = await readVolume(image, 'gray');
        let segment: { segment: NVImage; datatype: number; bytes: Uint8Array } | null = null;
        if (label) {
          this.events.emit('loading', { name: label.name });
          segment = await this.readLabelVolume(label);
        }
        // Replace the scene the way loadVolumes does, but only now that the new data is valid.
        nv.volumes = [];
        nv.overlays = [];
        this.labels = null;
        this.dropSynthetic();
        const { file, affine } = describeFile(volume, image.name, datatype);
        this.image = { volume, bytes, file, affine, inverse: invertAffine(affine), ...scaling(volume) };
        volume.cal_min = this.window.min;
        volume.cal_max = this.window.max;
        nv.addVolume(volume);
        this.events.emit('imageLoaded', { file, source });
        if (segment && label) this.installLabels(segment.segment, label.name, segment.datatype, null, segment.bytes);
        else this.events.emit('labelsLoaded', null);
        this.centreCrosshair();
      } finally {
        this.events.emit('loading', { name: null });
      }
    });
  }

  /** Replace the label map of the current image. */
  loadLabels(label: VolumeSource): Promise<void> {
    return this.enqueue(async () => {
      if (!this.image) throw new Error(`open an image before the label map "${label.name}"`);
      this.events.emit('loading', { name: label.name });
      try {
        const { segment, datatype, bytes } = await this.readLabelVolume(label);
        this.installLabels(segment, label.name, datatype, null, bytes);
        this.requireNv().drawScene();
      } finally {
        this.events.emit('loading', { name: null });
      }
    });
  }

  private async readLabelVolume(label: VolumeSource): Promise<{ segment: NVImage; datatype: number; bytes: Uint8Array }> {
    const { volume, datatype, bytes } = await readVolume(label, 'gray');
    if (datatype === 128 || datatype === 2304) throw new Error(`Could not open "${label.name}": it is an RGB image, not a label map.`);
    return { segment: volume, datatype, bytes };
  }

  /** Re-read the current label map under another scheme (e.g. the user corrects the guess). */
  setScheme(scheme: SchemeId): void {
    if (!this.labels || this.labels.scheme === scheme) return;
    this.installLabels(this.labels.segment, this.labels.file.name, this.labels.datatype, scheme, this.labels.bytes);
    this.requireNv().drawScene();
  }

  private removeOverlays(): void {
    const nv = this.requireNv();
    if (!this.labels) return;
    const overlays = new Set([...this.labels.overlays.values()].map((o) => o.volume));
    nv.volumes = nv.volumes.filter((v) => !overlays.has(v));
    nv.overlays = nv.volumes.slice(1);
  }

  /**
   * One niivue overlay per project label. niivue's label shader binarises a colour table's alpha,
   * so a single overlay cannot give each label its own opacity; separate volumes can.
   */
  private installLabels(segment: NVImage, name: string, datatype: number, forcedScheme: SchemeId | null, bytes: Uint8Array): void {
    const nv = this.requireNv();
    const previous = this.labels;
    this.removeOverlays();
    // A synthetic tumour was placed through the old label map: it no longer holds.
    this.dropSynthetic();
    const { slope, inter } = scaling(segment);
    const data = segment.img as ArrayLike<number>;
    const counts = countIds(data, slope, inter);
    const scheme = forcedScheme ?? detectScheme(counts.keys());
    const map = labelMapOf(scheme);
    const { file, affine } = describeFile(segment, name, datatype);
    const overlays: LabelState['overlays'] = new Map();
    const entries: LabelEntry[] = [];
    for (const info of projectLabelsOf(map)) {
      const voxels = info.sourceIds.reduce((n, id) => n + (counts.get(id) ?? 0), 0);
      if (voxels === 0) continue;
      const mask = maskOf(data, info.sourceIds, slope, inter);
      const kept = previous?.overlays.get(info.key);
      const style = { visible: kept?.visible ?? true, opacity: kept?.opacity ?? DEFAULT_LABEL_OPACITY };
      const volume = this.makeOverlay(segment, mask, info, style.visible ? style.opacity : 0);
      overlays.set(info.key, { volume, ...style });
      entries.push({
        key: info.key,
        name: info.name,
        color: info.color,
        voxels,
        sources: info.sourceIds.map((id) => describeLabel(id, map).source),
        ...style,
      });
    }
    this.labels = { segment, bytes, datatype, file, affine, inverse: invertAffine(affine), slope, inter, scheme, map, overlays };
    // addVolume refreshes every layer on the GPU; add all then refresh once.
    for (const { volume } of overlays.values()) nv.volumes.push(volume);
    nv.overlays = nv.volumes.slice(1);
    nv.updateGLVolume();
    this.events.emit('labelsLoaded', { file, scheme, labels: entries });
    if (!forcedScheme) this.checkGrid(file, affine);
    // A new case opens on its first organ so every plane shows it; a re-read keeps the position.
    const first = entries[0];
    if (previous || !first || !this.goToLabel(first.key)) this.requestLocation();
  }

  /** niivue resamples overlays in world space, so a mismatch still displays; say so anyway. */
  private checkGrid(label: LoadedFile, affine: Mat4): void {
    const image = this.image;
    if (!image) return;
    if (sameGeometry({ dims: image.file.dims, affine: image.affine }, { dims: label.dims, affine })) return;
    this.events.emit('notice', {
      text: `"${label.name}" (${label.dims.join('×')}) is not on the image's voxel grid (${image.file.dims.join('×')}); it is shown resampled by world position.`,
    });
  }

  private makeOverlay(segment: NVImage, mask: Uint8Array, info: ProjectLabelInfo, opacity: number): NVImage {
    const v = segment.clone();
    // clone() copies the header shallowly; these writes touch only the copy.
    v.hdr!.datatypeCode = 2;
    v.hdr!.numBitsPerVoxel = 8;
    v.hdr!.scl_slope = 1;
    v.hdr!.scl_inter = 0;
    v.img = mask;
    v.name = info.key;
    const [r, g, b] = info.color;
    v.setColormapLabel({ R: [0, r], G: [0, g], B: [0, b], A: [0, 255], I: [0, 1], labels: ['', info.name] });
    v.cal_min = 0;
    v.cal_max = 1;
    v.opacity = opacity;
    return v;
  }


  // ---- synthesis: the case's bytes, the synthetic image, its outline, compare and placement ----

  /** The bytes of the loaded image and label map, and the label map they are read with. */
  caseFiles(): { image: { name: string; bytes: Uint8Array }; label: { name: string; bytes: Uint8Array }; labelMap: LabelMap } | null {
    if (!this.image || !this.labels) return null;
    return {
      image: { name: this.image.file.name, bytes: this.image.bytes },
      label: { name: this.labels.file.name, bytes: this.labels.bytes },
      labelMap: this.labels.map,
    };
  }

  private synthetic: SyntheticState | null = null;
  private compare: CompareState | null = null;
  private placement: { handler: (click: PlacementClick) => void; off: () => void } | null = null;
  private syncing = false;

  get hasSynthetic(): boolean {
    return this.synthetic !== null;
  }

  /** Put a synthetic image (HU, image grid) and its tumour mask on screen, replacing any earlier one. */
  setSynthetic(image: Float32Array, tumourLabel: Uint8Array, show = true): void {
    const nv = this.requireNv();
    if (!this.image) throw new Error('no image open');
    const base = this.image.volume;
    const n = this.image.file.dims[0] * this.image.file.dims[1] * this.image.file.dims[2];
    if (image.length !== n || tumourLabel.length !== n) throw new Error('synthetic image is not on the image grid');
    const volume = huVolume(base, image, this.window);
    const outline = outlineVolume(base, boundaryMask(tumourLabel, this.image.file.dims));
    this.synthetic = { image, tumourLabel, volume, outline, showing: show };
    this.arrangeScene();
    this.fillCompare();
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
    if (this.nv && this.image) {
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
    if (!this.image) return;
    const s = this.synthetic;
    const back = s?.showing ? s.volume : this.image.volume;
    back.cal_min = this.window.min;
    back.cal_max = this.window.max;
    const labels = this.labels ? [...this.labels.overlays.values()].map((o) => o.volume) : [];
    nv.volumes = [back, ...labels, ...(s ? [s.outline] : [])];
    nv.overlays = nv.volumes.slice(1);
    nv.updateGLVolume();
  }

  /**
   * Side by side: a second niivue on `canvas` shows the synthetic image with the outline; the
   * main view shows the original. Crosshair, slice type, zoom/pan and 3-D view follow each other.
   */
  async attachCompare(canvas: HTMLCanvasElement): Promise<void> {
    if (!this.synthetic || !this.nv) throw new Error('synthesise a tumour first');
    if (this.compare?.canvas === canvas) return;
    this.detachCompare();
    const nv = new Niivue(niivueOptions());
    await nv.attachToCanvas(canvas);
    nv.setSliceType(LAYOUT_SLICE[this.layout]);
    nv.scene.renderAzimuth = this.nv.scene.renderAzimuth;
    nv.scene.renderElevation = this.nv.scene.renderElevation;
    // niivue syncs from the focused canvas only (user drags, wheel, 3-D rotation); programmatic
    // moves go through syncCompareCrosshair. The two-way link cannot loop: sync() returns early on
    // the canvas without focus, and syncCompareCrosshair stops once both crosshairs agree.
    // Linked only once both have a volume: niivue's sync() asks the other view for its location.
    this.compare = { nv, canvas };
    this.fillCompare();
    this.showSynthetic(false);
    const opts = { '2d': true, '3d': true };
    nv.broadcastTo(this.nv, opts);
    this.nv.broadcastTo(nv, opts);
  }

  detachCompare(): void {
    const c = this.compare;
    if (!c) return;
    this.compare = null;
    this.nv?.broadcastTo([], { '2d': false, '3d': false });
    try {
      c.nv.cleanup();
      // Hand the WebGL context back now rather than when the canvas is collected: browsers cap them.
      const gl = c.nv.gl as WebGL2RenderingContext | null;
      gl?.getExtension('WEBGL_lose_context')?.loseContext();
    } catch {
      // a context already lost is fine
    }
  }

  get comparing(): boolean {
    return this.compare !== null;
  }

  private fillCompare(): void {
    const c = this.compare;
    const s = this.synthetic;
    if (!c || !s || !this.image) return;
    const base = this.image.volume;
    c.nv.volumes = [];
    c.nv.overlays = [];
    c.nv.addVolume(huVolume(base, s.image, this.window));
    c.nv.addVolume(outlineVolume(base, s.outline.img as Uint8Array));
    this.syncCompareCrosshair(true);
  }

  private windowCompare(): void {
    const v = this.compare?.nv.volumes[0];
    if (!v || !this.compare) return;
    v.cal_min = this.window.min;
    v.cal_max = this.window.max;
    this.compare.nv.updateGLVolume();
  }

  /** Copy the main crosshair to the compare view when they differ (by more than a hundredth of a mm). */
  private syncCompareCrosshair(force = false): void {
    const c = this.compare;
    const nv = this.nv;
    if (!c || !nv || this.syncing || c.nv.volumes.length === 0) return;
    const mm = nv.frac2mm(nv.scene.crosshairPos);
    const there = c.nv.frac2mm(c.nv.scene.crosshairPos);
    const same = [0, 1, 2].every((a) => Math.abs(mm[a] - there[a]) < 0.01);
    if (same && !force) return;
    this.syncing = true;
    try {
      c.nv.scene.crosshairPos = c.nv.mm2frac(mm);
      c.nv.scene.pan2Dxyzmm = [...nv.scene.pan2Dxyzmm] as typeof nv.scene.pan2Dxyzmm;
      c.nv.drawScene();
    } finally {
      this.syncing = false;
    }
  }

  /**
   * Call `handler` with the voxel of the next left click on a 2-D slice (niivue has moved the
   * crosshair there by then). Clicks on the 3-D tile or outside the image report so. One click,
   * then the mode ends; returns the cancel function.
   */
  armPlacement(handler: (click: PlacementClick) => void): () => void {
    this.cancelPlacement();
    const nv = this.requireNv();
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
      const placement = this.placement;
      if (!placement) return;
      if (!slice || slice.axCorSag === SLICE_TYPE.RENDER) {
        placement.handler({ kind: 'not-a-slice' });
        return;
      }
      this.cancelPlacement();
      placement.handler(this.clickAtCrosshair());
    };
    canvas.addEventListener('mousedown', onDown);
    canvas.addEventListener('mouseup', onUp);
    canvas.classList.add('is-placing');
    const off = () => {
      canvas.removeEventListener('mousedown', onDown);
      canvas.removeEventListener('mouseup', onUp);
      canvas.classList.remove('is-placing');
    };
    this.placement = { handler, off };
    return () => this.cancelPlacement();
  }

  cancelPlacement(): void {
    this.placement?.off();
    this.placement = null;
  }

  private clickAtCrosshair(): PlacementClick {
    const nv = this.requireNv();
    if (!this.image) return { kind: 'outside' };
    const m = nv.frac2mm(nv.scene.crosshairPos);
    const mm: Vec3 = [m[0], m[1], m[2]];
    const voxel = worldToVoxel(this.image.inverse, mm);
    if (!insideVolume(this.image.file.dims, voxel)) return { kind: 'outside' };
    let labelId: number | null = null;
    let projectLabel: ProjectLabelName | null = null;
    let labelName: string | null = null;
    const lab = this.labels;
    if (lab) {
      const lv = worldToVoxel(lab.inverse, mm);
      if (insideVolume(lab.file.dims, lv)) {
        const raw = (lab.segment.img as ArrayLike<number>)[lv[0] + lab.file.dims[0] * (lv[1] + lab.file.dims[1] * lv[2])];
        labelId = Math.round(raw * lab.slope + lab.inter);
        const d = describeLabel(labelId, lab.map);
        projectLabel = d.project;
        labelName = d.source;
      }
    }
    return { kind: 'voxel', voxel, mm: voxelToWorld(this.image.affine, voxel), labelId, projectLabel, labelName };
  }

  setWindow(min: number, max: number, preset: WindowPresetId | null = null): void {
    if (!(max > min)) return;
    this.window = { min, max, preset };
    const nv = this.nv;
    if (nv && this.image) {
      this.image.volume.cal_min = min;
      this.image.volume.cal_max = max;
      if (this.synthetic) {
        this.synthetic.volume.cal_min = min;
        this.synthetic.volume.cal_max = max;
      }
      nv.updateGLVolume();
      this.windowCompare();
    }
    this.events.emit('windowChanged', { min, max, preset });
  }

  setWindowPreset(id: WindowPresetId): void {
    const p = windowPreset(id);
    this.setWindow(p.min, p.max, id);
  }

  private syncWindowFromViewer(): void {
    const v = this.image?.volume;
    if (!v || v.cal_min === undefined || v.cal_max === undefined) return;
    if (Math.abs(v.cal_min - this.window.min) < 1e-6 && Math.abs(v.cal_max - this.window.max) < 1e-6) return;
    this.window = { min: v.cal_min, max: v.cal_max, preset: null };
    this.events.emit('windowChanged', { min: v.cal_min, max: v.cal_max, preset: null });
  }

  setLayout(layout: Layout): void {
    this.layout = layout;
    this.requireNv().setSliceType(LAYOUT_SLICE[layout]);
    this.compare?.nv.setSliceType(LAYOUT_SLICE[layout]);
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

  setLabelVisibility(key: ProjectLabelName, visible: boolean): void {
    this.styleLabel(key, { visible });
  }

  setLabelOpacity(key: ProjectLabelName, opacity: number): void {
    this.styleLabel(key, { opacity: Math.min(1, Math.max(0, opacity)) });
  }

  /** Show every label if any is hidden, otherwise hide them all. */
  toggleAllLabels(): void {
    if (!this.labels) return;
    const all = [...this.labels.overlays.values()];
    const show = all.some((o) => !o.visible);
    for (const key of this.labels.overlays.keys()) this.styleLabel(key, { visible: show }, false);
    this.requireNv().updateGLVolume();
  }

  /** Nudge every label's opacity, for keyboard use. */
  adjustAllOpacity(delta: number): void {
    if (!this.labels) return;
    for (const [key, o] of this.labels.overlays) this.styleLabel(key, { opacity: Math.min(1, Math.max(0, o.opacity + delta)) }, false);
    this.requireNv().updateGLVolume();
  }

  labelKeys(): ProjectLabelName[] {
    return this.labels ? [...this.labels.overlays.keys()] : [];
  }

  isLabelVisible(key: ProjectLabelName): boolean {
    return this.labels?.overlays.get(key)?.visible ?? false;
  }

  private styleLabel(key: ProjectLabelName, change: { visible?: boolean; opacity?: number }, refresh = true): void {
    const o = this.labels?.overlays.get(key);
    if (!o) return;
    if (change.visible !== undefined) o.visible = change.visible;
    if (change.opacity !== undefined) o.opacity = change.opacity;
    o.volume.opacity = o.visible ? o.opacity : 0;
    if (refresh) this.requireNv().updateGLVolume();
    this.events.emit('labelStyleChanged', { key, visible: o.visible, opacity: o.opacity });
  }

  /**
   * Step the crosshair through slices along the axis the current view looks down (axial → S/I,
   * coronal → A/P, sagittal → L/R). niivue steps in RAS voxel space, so + is always superior,
   * anterior or right whatever the file's orientation.
   */
  moveSlice(delta: number): void {
    if (!this.nv || !this.image) return;
    const axis = this.layout === 'coronal' ? 1 : this.layout === 'sagittal' ? 0 : 2;
    const step: Vec3 = [0, 0, 0];
    step[axis] = delta;
    this.nv.moveCrosshairInVox(step[0], step[1], step[2]);
  }

  /** Put the crosshair inside a label, near its centroid; returns false if the label is absent. */
  goToLabel(key: ProjectLabelName): boolean {
    const o = this.labels?.overlays.get(key);
    if (!o || !this.labels) return false;
    o.anchor ??= maskAnchor(o.volume.img as Uint8Array, this.labels.file.dims);
    if (!o.anchor) return false;
    this.goToWorld(voxelToWorld(this.labels.affine, o.anchor));
    return true;
  }

  /** Put the crosshair on a voxel of the image (native file indices). Returns false if outside. */
  goToVoxel(i: number, j: number, k: number): boolean {
    if (!this.image) return false;
    const v: Vec3 = [Math.round(i), Math.round(j), Math.round(k)];
    if (!insideVolume(this.image.file.dims, v)) return false;
    this.goToWorld(voxelToWorld(this.image.affine, v));
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
    if (this.labels) return;
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
    if (!this.image) return;
    const mm: Vec3 = [loc.mm[0], loc.mm[1], loc.mm[2]];
    const voxel = worldToVoxel(this.image.inverse, mm);
    const { dims } = this.image.file;
    const inside = insideVolume(dims, voxel);
    let value: number | null = null;
    const synth = this.synthetic?.showing ? this.synthetic : null;
    const at = voxel[0] + dims[0] * (voxel[1] + dims[1] * voxel[2]);
    if (inside) {
      // The readout reads what is on screen: the synthetic image holds HU already.
      value = synth ? synth.image[at] : (this.image.volume.img as ArrayLike<number>)[at] * this.image.slope + this.image.inter;
    }
    let labelId: number | null = null;
    let labelName: string | null = null;
    let projectLabel: string | null = null;
    const lab = this.labels;
    if (lab) {
      const lv = worldToVoxel(lab.inverse, mm);
      const ld = lab.file.dims;
      if (insideVolume(ld, lv)) {
        const raw = (lab.segment.img as ArrayLike<number>)[lv[0] + ld[0] * (lv[1] + ld[1] * lv[2])];
        labelId = Math.round(raw * lab.slope + lab.inter);
        const d = describeLabel(labelId, lab.map);
        labelName = d.source;
        projectLabel = d.project;
      }
    }
    const tumour = synth && inside ? synth.tumourLabel[at] : 0;
    if (tumour) {
      projectLabel = PROJECT_LABEL_NAMES[tumour] ?? projectLabel;
      labelName = `synthetic ${projectLabel ?? 'tumour'}`;
    }
    this.events.emit('location', { mm, voxel, inside, value, labelId, labelName, projectLabel });
    this.syncCompareCrosshair();
  }
}
