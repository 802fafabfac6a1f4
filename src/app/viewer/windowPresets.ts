/** CT display windows. Stored as HU min/max because the training window is defined that way. */
export interface WindowPreset {
  id: WindowPresetId;
  name: string;
  min: number;
  max: number;
  /** How radiologists quote it, e.g. "W400 L40". */
  description: string;
}

export type WindowPresetId = 'abdomen' | 'liver' | 'training' | 'bone';

function fromWidthLevel(id: WindowPresetId, name: string, width: number, level: number): WindowPreset {
  return { id, name, min: level - width / 2, max: level + width / 2, description: `W${width} L${level}` };
}

export const WINDOW_PRESETS: readonly WindowPreset[] = [
  fromWidthLevel('abdomen', 'Abdomen', 400, 40),
  fromWidthLevel('liver', 'Liver', 150, 90),
  // The intensity clip used when training the FreeTumor networks.
  { id: 'training', name: 'Training', min: -175, max: 250, description: '−175 … 250 HU' },
  fromWidthLevel('bone', 'Bone', 1800, 400),
];

export const DEFAULT_WINDOW: WindowPresetId = 'abdomen';

export function windowPreset(id: WindowPresetId): WindowPreset {
  const p = WINDOW_PRESETS.find((w) => w.id === id);
  if (!p) throw new Error(`unknown window preset ${id}`);
  return p;
}

export function widthLevel(min: number, max: number): { width: number; level: number } {
  return { width: max - min, level: (max + min) / 2 };
}
