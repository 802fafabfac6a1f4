import type { NVImage } from '@niivue/niivue';
import type { Mat4, Vec3 } from '../../core/volume.ts';
import { sameGeometry, voxelToWorld } from '../../core/volume.ts';
import type { LabelMap, ProjectLabelName } from '../../core/labels.ts';
import type { LoadedFile } from '../stores/caseStore.ts';
import { DEFAULT_LABEL_OPACITY, type LabelEntry } from '../stores/labelStore.ts';
import { insideVolume, invertAffine, worldToVoxel } from './geometry.ts';
import { describeLabel, labelMapOf, maskAnchor, projectLabelsOf, type ProjectLabelInfo, type SchemeId } from './labelScheme.ts';
import { LabelSplitClient } from './labelSplitClient.ts';
import { gridLike, setRange } from './derivedVolumes.ts';
import { refreshOverlays } from './glRefresh.ts';
import { yieldToPage } from './chunkedCopy.ts';
import { maskOutline } from './maskOutline.ts';
import type { SplitRequest } from './labelSplit.ts';
import { describeFile, scaling } from './readVolume.ts';
import type { LabelStyle, ViewerHost } from './viewerTypes.ts';

interface Overlay {
  volume: NVImage;
  /** The filled mask; the outline is derived from it on first use. */
  mask: Uint8Array;
  edge?: Uint8Array;
  visible: boolean;
  opacity: number;
  anchor?: Vec3 | null;
}

export interface LabelState {
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
  overlays: Map<ProjectLabelName, Overlay>;
}

export interface LabelAt {
  labelId: number;
  labelName: string;
  projectLabel: ProjectLabelName | null;
}

/**
 * The label map and its overlays: one niivue volume per project label, because niivue's label
 * shader binarises a colour table's alpha, so a single overlay cannot give each label its own
 * opacity; separate volumes can.
 */
export class LabelLayers {
  private state: LabelState | null = null;
  private display: LabelStyle = 'fill';
  private readonly splitter = new LabelSplitClient();

  constructor(private readonly host: ViewerHost) {}

  dispose(): void {
    this.splitter.dispose();
  }

  get current(): LabelState | null {
    return this.state;
  }

  get style(): LabelStyle {
    return this.display;
  }

  volumes(): NVImage[] {
    return this.state ? [...this.state.overlays.values()].map((o) => o.volume) : [];
  }

  /** Forget the label map without touching the scene (the caller rebuilds it). */
  reset(): void {
    this.state = null;
  }

  /** Take the overlays out of niivue's scene, keeping the background and anything else. */
  removeFromScene(): void {
    const nv = this.host.nv();
    if (!this.state) return;
    const overlays = new Set(this.volumes());
    nv.volumes = nv.volumes.filter((v) => !overlays.has(v));
    nv.overlays = nv.volumes.slice(1);
  }

  /**
   * Read `segment` under `forcedScheme` (or the guessed one), split in a worker, and put one
   * overlay per present project label into the scene. Returns the legend entries and whether a label map was there
   * before (a re-read keeps visibility and opacity).
   */
  async install(segment: NVImage, name: string, datatype: number, forcedScheme: SchemeId | null, bytes: Uint8Array): Promise<{ entries: LabelEntry[]; replaced: boolean }> {
    const { slope, inter } = scaling(segment);
    const dims = [segment.hdr!.dims[1], segment.hdr!.dims[2], Math.max(1, segment.hdr!.dims[3])] as SplitRequest['dims'];
    const split = await this.splitter.split(segment.img as SplitRequest['data'], slope, inter, forcedScheme, dims);
    // Nothing on screen changes until the worker is done: the old labels stay usable meanwhile.
    const nv = this.host.nv();
    const previous = this.state;
    this.removeFromScene();
    const counts = new Map(split.counts);
    const scheme = split.scheme;
    const map = labelMapOf(scheme);
    const masks = new Map(split.masks.map((m) => [m.key, m]));
    const { file, affine } = describeFile(segment, name, datatype);
    const overlays: LabelState['overlays'] = new Map();
    const entries: LabelEntry[] = [];
    for (const info of projectLabelsOf(map)) {
      const voxels = info.sourceIds.reduce((n, id) => n + (counts.get(id) ?? 0), 0);
      const part = masks.get(info.key);
      if (voxels === 0 || !part) continue;
      const { mask, anchor } = part;
      const kept = previous?.overlays.get(info.key);
      const style = { visible: kept?.visible ?? true, opacity: kept?.opacity ?? DEFAULT_LABEL_OPACITY };
      const overlay: Overlay = { volume: makeOverlay(segment, mask, info, style.visible ? style.opacity : 0), mask, anchor, ...style };
      if (this.display === 'outline') overlay.volume.img = edgeOf(overlay, file.dims);
      overlays.set(info.key, overlay);
      entries.push({
        key: info.key,
        name: info.name,
        color: info.color,
        voxels,
        sources: info.sourceIds.map((id) => describeLabel(id, map).source),
        ...style,
      });
    }
    this.state = { segment, bytes, datatype, file, affine, inverse: invertAffine(affine), slope, inter, scheme, map, overlays };
    // addVolume refreshes every layer on the GPU; add all, then render the overlays only (the
    // background on screen is unchanged).
    for (const { volume } of overlays.values()) nv.volumes.push(volume);
    nv.overlays = nv.volumes.slice(1);
    refreshOverlays(nv, 'labels');
    // The refresh was one long task; the panels re-render in the next.
    await yieldToPage();
    this.host.events.emit('labelsLoaded', { file, scheme, labels: entries });
    if (!forcedScheme) this.checkGrid(file, affine);
    return { entries, replaced: previous !== null };
  }

  /** niivue resamples overlays in world space, so a mismatch still displays; say so anyway. */
  private checkGrid(label: LoadedFile, affine: Mat4): void {
    const image = this.host.image();
    if (!image) return;
    if (sameGeometry({ dims: image.file.dims, affine: image.affine }, { dims: label.dims, affine })) return;
    this.host.events.emit('notice', {
      text: `"${label.name}" (${label.dims.join('×')}) is not on the image's voxel grid (${image.file.dims.join('×')}); it is shown resampled by world position.`,
    });
  }

  /** The label under a world position, or null outside the label map. */
  at(mm: Vec3): LabelAt | null {
    const lab = this.state;
    if (!lab) return null;
    const lv = worldToVoxel(lab.inverse, mm);
    const ld = lab.file.dims;
    if (!insideVolume(ld, lv)) return null;
    const raw = (lab.segment.img as ArrayLike<number>)[lv[0] + ld[0] * (lv[1] + ld[1] * lv[2])];
    const labelId = Math.round(raw * lab.slope + lab.inter);
    const d = describeLabel(labelId, lab.map);
    return { labelId, labelName: d.source, projectLabel: d.project };
  }

  /** A world position inside the label near its centroid; null when the label is absent. */
  anchorOf(key: ProjectLabelName): Vec3 | null {
    const o = this.state?.overlays.get(key);
    if (!o || !this.state) return null;
    o.anchor ??= maskAnchor(o.mask, this.state.file.dims);
    return o.anchor ? voxelToWorld(this.state.affine, o.anchor) : null;
  }

  keys(): ProjectLabelName[] {
    return this.state ? [...this.state.overlays.keys()] : [];
  }

  isVisible(key: ProjectLabelName): boolean {
    return this.state?.overlays.get(key)?.visible ?? false;
  }

  setStyle(key: ProjectLabelName, change: { visible?: boolean; opacity?: number }, refresh = true): void {
    const o = this.state?.overlays.get(key);
    if (!o) return;
    if (change.visible !== undefined) o.visible = change.visible;
    if (change.opacity !== undefined) o.opacity = Math.min(1, Math.max(0, change.opacity));
    o.volume.opacity = o.visible ? o.opacity : 0;
    if (refresh) refreshOverlays(this.host.nv(), 'label style');
    this.host.events.emit('labelStyleChanged', { key, visible: o.visible, opacity: o.opacity });
  }

  /** Show every label if any is hidden, otherwise hide them all. */
  toggleAll(): void {
    if (!this.state) return;
    const show = [...this.state.overlays.values()].some((o) => !o.visible);
    for (const key of this.state.overlays.keys()) this.setStyle(key, { visible: show }, false);
    refreshOverlays(this.host.nv(), 'label style');
  }

  adjustAllOpacity(delta: number): void {
    if (!this.state) return;
    for (const [key, o] of this.state.overlays) this.setStyle(key, { opacity: o.opacity + delta }, false);
    refreshOverlays(this.host.nv(), 'label style');
  }

  /**
   * Fill or outline. The outline is the mask's 3-D boundary (face neighbours), so a slice through
   * an organ shows its margin and the image inside stays readable.
   */
  setDisplay(style: LabelStyle): void {
    if (this.display === style) return;
    this.display = style;
    const lab = this.state;
    if (lab) {
      // niivue keys its textures on the identity of `img`: swapping arrays re-uploads the layer.
      for (const o of lab.overlays.values()) o.volume.img = style === 'outline' ? edgeOf(o, lab.file.dims) : o.mask;
      refreshOverlays(this.host.nv(), 'label display');
    }
    this.host.events.emit('labelDisplayChanged', style);
  }
}

function edgeOf(o: Overlay, dims: readonly [number, number, number]): Uint8Array {
  o.edge ??= maskOutline(o.mask, dims);
  return o.edge;
}

function makeOverlay(segment: NVImage, mask: Uint8Array, info: ProjectLabelInfo, opacity: number): NVImage {
  // Not segment.clone(): that copies the whole label map and scans it, to be thrown away.
  const v = gridLike(segment, mask);
  // gridLike copies the header shallowly; these writes touch only the copy.
  v.hdr!.datatypeCode = 2;
  v.hdr!.numBitsPerVoxel = 8;
  v.hdr!.scl_slope = 1;
  v.hdr!.scl_inter = 0;
  v.name = info.key;
  const [r, g, b] = info.color;
  v.setColormapLabel({ R: [0, r], G: [0, g], B: [0, b], A: [0, 255], I: [0, 1], labels: ['', info.name] });
  setRange(v, 0, 1);
  v.opacity = opacity;
  return v;
}
