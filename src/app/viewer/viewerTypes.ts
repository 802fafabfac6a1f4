import type { NVImage, Niivue } from '@niivue/niivue';
import type { Mat4, Vec3 } from '../../core/volume.ts';
import type { ProjectLabelName } from '../../core/labels.ts';
import type { LoadedFile, CaseSource } from '../stores/caseStore.ts';
import type { Layout } from '../stores/viewStore.ts';
import type { LabelEntry } from '../stores/labelStore.ts';
import type { Readout } from '../stores/readoutStore.ts';
import type { Lesion } from '../../core/lesions.ts';
import type { Emitter } from './emitter.ts';
import type { SchemeId } from './labelScheme.ts';
import type { WindowPresetId } from './windowPresets.ts';

/** Where a volume comes from: a URL niivue can fetch, named so niivue can tell its format. */
export interface VolumeSource {
  url: string;
  name: string;
}

export type LabelStyle = 'fill' | 'outline';

export interface ViewerEvents {
  loading: { name: string | null };
  imageLoaded: { file: LoadedFile; source: CaseSource };
  labelsLoaded: { file: LoadedFile; scheme: SchemeId; labels: LabelEntry[] } | null;
  windowChanged: { min: number; max: number; preset: WindowPresetId | null };
  layoutChanged: Layout;
  labelStyleChanged: { key: ProjectLabelName; visible: boolean; opacity: number };
  /** Labels drawn filled or as their margin only. */
  labelDisplayChanged: LabelStyle;
  location: Readout;
  /** Something the user should know that is not an error, e.g. a label map on another grid. */
  notice: { text: string };
  /** The tumours of the case (real and synthetic), recomputed when labels or the synthesis change; null while computing. */
  lesions: { lesions: Lesion[] } | { computing: true } | { error: string };
}

/** What the controller keeps of the loaded image to answer readout queries without niivue. */
export interface ImageState {
  volume: NVImage;
  /** The file's bytes as read: synthesis and export start from exactly these. */
  bytes: Uint8Array;
  file: LoadedFile;
  inverse: Mat4;
  affine: Mat4;
  slope: number;
  inter: number;
}

/** Where a placement click landed. */
export type PlacementClick =
  | { kind: 'voxel'; voxel: Vec3; mm: Vec3; labelId: number | null; projectLabel: ProjectLabelName | null; labelName: string | null }
  | { kind: 'not-a-slice' }
  | { kind: 'outside' };

/** What each part of the viewer may reach of the controller: the main niivue, the image, the events. */
export interface ViewerHost {
  readonly events: Emitter<ViewerEvents>;
  nv(): Niivue;
  image(): ImageState | null;
}
