/** Messages between the quality-test lab's page code and its worker (tfjs lives in the worker). */
import type { DicomSeries } from '../../core/dicom/types.ts';
import type { LabelMap, Organ } from '../../core/labels.ts';
import type { Vec3 } from '../../core/volume.ts';
import type { SizeClass } from '../../core/tumor/sizeClasses.ts';

export type LabBackendName = 'webgpu' | 'webgl' | 'cpu';
export const LAB_BACKEND_ORDER: readonly LabBackendName[] = ['webgpu', 'webgl', 'cpu'];
export type ModelSlot = 'generator' | 'segmentor';

/** What the lab shows of a loaded checkpoint (its model card and the geometry it works at). */
export interface ModelInfo {
  slot: ModelSlot;
  fileName: string;
  networkName: string;
  role: string;
  labelScheme: string | null;
  /** A specialist segmentor's organ (model card `organ`); null otherwise or when the card does not say. */
  organ: Organ | null;
  preset: string;
  description: string | null;
  provenance: Record<string, unknown>;
  /** Encoder widths, e.g. [[4,8],[8,16]]. */
  encoder: number[][];
  outChannels: number;
  params: number;
  /** Crop edge in voxels [x, y, z] and voxel size in mm the model works at. */
  patch: Vec3;
  spacingMm: number;
  step: number;
  createdAt: string;
  /** Architecture in words (e.g. "SwinUNETR fs48 v2 (MONAI 1.3)"); absent = our U-Net (see encoder). */
  architecture?: string;
  /** A PyTorch .pt converted in the worker: the file's SHA-256, and its epoch / best_acc when saved. */
  source?: { kind: 'torch.save'; sha256: string; epoch: number | null; bestAcc: number | null };
  /** The file does not say the specialist's organ: the user picks it (default liver). */
  organChoice?: boolean;
  /**
   * A smaller crop the user runs a SwinUNETR S at (a multiple of 32 below its card's patch, same
   * spacing): a 96³ forward takes minutes without a GPU. Absent = the card's patch.
   */
  runPatch?: Vec3;
}

/** One synthesised tumour's summary (no volumes). */
export interface LabItem {
  index: number;
  seed: number;
  organ: Organ;
  sizeClass: string;
  centreVoxel: Vec3;
  volumeMm3: number;
  /** New tumour voxels on the source grid (|M|: organ voxels that were not tumour before). */
  newVoxels: number;
  /** |M| voxels on the model grid (the denominator of P). */
  maskVoxels: number;
  /** |M ∩ S predicts tumour| voxels on the model grid. */
  hitVoxels: number;
  /** NaN where M has no voxel inside the crop. */
  P: number;
  elapsedMs: number;
}

/** An axial slice through a tumour centre: HU of x̂ and outline flags (1 M, 2 S, 3 both). */
export interface Thumbnail {
  nx: number;
  ny: number;
  hu: Float32Array;
  outline: Uint8Array;
}

export interface CaseFilesMsg {
  image: { name: string; bytes: Uint8Array };
  label: { name: string; bytes: Uint8Array };
  labelMap: LabelMap;
}

export interface SynthesisRequest {
  seed: number;
  organ: Organ;
  /** Centre voxel (source grid) of a clicked placement; null = drawn. */
  centre: Vec3 | null;
  /** Force a size class; null = drawn (uniform over the four, METHOD.md). */
  sizeClass: SizeClass | null;
}

export type MainToLab =
  | { type: 'init'; forceBackends?: LabBackendName[] }
  | { type: 'setCase'; caseId: number; files: CaseFilesMsg }
  | { type: 'loadModel'; requestId: number; slot: ModelSlot | 'auto'; fileName: string; bytes: Uint8Array }
  | { type: 'unloadModel'; slot: ModelSlot }
  /** The organ of a specialist S whose file does not say (a PyTorch .pt): answered by modelLoaded. */
  | { type: 'setSegmentorOrgan'; requestId: number; organ: Organ }
  /** The crop edge a SwinUNETR S runs at (its card's patch edge or a smaller multiple of 32). */
  | { type: 'setSegmentorCrop'; requestId: number; edge: number }
  | { type: 'single'; requestId: number; caseId: number; request: SynthesisRequest }
  | { type: 'batch'; requestId: number; caseId: number; count: number; baseSeed: number; organ: Organ; sizeClass: SizeClass | null }
  | { type: 'open'; requestId: number; index: number }
  | { type: 'cancel'; requestId: number }
  | { type: 'exportPassing'; requestId: number; threshold: number }
  /** The passing tumours as one zip: per tumour a SEG and a derived series of `source` (a DICOM case). */
  | { type: 'exportPassingDicom'; requestId: number; threshold: number; source: DicomSeries; keepIdentifiers: boolean }
  | { type: 'memory'; requestId: number }
  /** Test hook: behave as if the GPU device were lost (exercises the fallback path). */
  | { type: 'simulateDeviceLost' };

/** Full-volume result of one tumour for the viewer (source grid). */
export interface ViewResult {
  item: LabItem;
  /** x̂ in HU on the source grid (float32). */
  image: Float32Array;
  /** 1 = M outline, 2 = S-predicts-tumour outline, 3 = both (source grid). */
  outline: Uint8Array;
  /** The case's own labels in project ids (organs and tumours, before this tumour), source grid. */
  labels: Uint8Array;
  /** The project ids present in `labels` (0 left out), for the legend. */
  labelIds: number[];
}

export type LabToMain =
  | { type: 'backend'; backend: LabBackendName; failures: { name: string; error: string }[]; reason: string | null }
  | { type: 'backendFailed'; failures: { name: string; error: string }[] }
  /** `checkpoint`: the FreeTumor checkpoint file of weights that arrived in another format (PyTorch), for saving / download. */
  | { type: 'modelLoaded'; requestId: number; infos: ModelInfo[]; checkpoint?: Uint8Array; checkpoints?: Partial<Record<ModelSlot, Uint8Array>> }
  | { type: 'progress'; requestId: number; done: number; total: number; phase: string }
  | { type: 'single'; requestId: number; view: ViewResult }
  | { type: 'batchItem'; requestId: number; item: LabItem; thumb: Thumbnail }
  | { type: 'batchDone'; requestId: number; cancelled: boolean; numTensors: number }
  | { type: 'opened'; requestId: number; view: ViewResult }
  /** The passing tumours' image + label pairs as one store-only zip; null when none passes. */
  | { type: 'exported'; requestId: number; zip: Uint8Array | null; tumours: number }
  /** `zip` is null when no tumour passes. */
  | { type: 'exportedDicom'; requestId: number; zip: Uint8Array | null; tumours: number }
  | { type: 'memory'; requestId: number; numTensors: number; numBytes: number; backend: string }
  | { type: 'cancelled'; requestId: number }
  | { type: 'error'; requestId: number | null; message: string }
  | { type: 'notice'; message: string };
