/**
 * The abdominal phantom's anatomy: shapes in patient millimetres and a typical portal-venous-phase
 * CT value for each tissue. Coordinates are RAS with the origin at the centre of the field of view:
 * +x patient right (RAS+), +y anterior, +z superior. Sizes are textbook adult values (liver ≈ 16 cm wide,
 * kidneys ≈ 11 cm long, pancreas ≈ 15 cm from head to tail, aorta ≈ 2.2 cm across); HU are typical
 * enhanced-CT values. Label ids are TotalSegmentator v2 "total" ids, the scheme the real demo uses,
 * so organ choices, synthesis and the legend treat both demos alike.
 */
import { TOTALSEGMENTATOR_V2_CLASSES } from '../totalSegmentatorClasses.ts';
import type { Vec3 } from '../volume.ts';

export type Shape =
  | { kind: 'ellipsoid'; centre: Vec3; radii: Vec3 }
  /** A tube along a polyline; `radius` per point, interpolated along each segment. */
  | { kind: 'tube'; points: Vec3[]; radius: number[] };

export interface Structure {
  /** TotalSegmentator v2 class name; its id is the label written. */
  name: string;
  /** Union of shapes. */
  shapes: Shape[];
  /** Mean HU. */
  hu: number;
  /** Amplitude (HU) of the smooth texture inside the structure. */
  texture: number;
  /** How far (fraction of the size) the outline departs from the smooth shape. */
  wobble: number;
  /** Inner core of a different HU (kidney medulla): below this normalised depth, `coreHu`. */
  core?: { depth: number; hu: number };
}

/** TotalSegmentator v2 id of a class name; throws on a name not in the class list. */
export function totalSegmentatorId(name: string): number {
  const k = TOTALSEGMENTATOR_V2_CLASSES.indexOf(name);
  if (k < 0) throw new Error(`phantom: '${name}' is not a TotalSegmentator v2 class`);
  return k + 1;
}

export const TISSUE_HU = {
  air: -1000,
  fat: -95,
  muscle: 50,
  bowel: 30,
  bowelGas: -850,
  disc: 90,
  csf: 15,
  cancellousBone: 220,
  corticalBone: 900,
} as const;

/** Body outline: an ellipse in x/y, the whole height of the field. Semi-axes in mm. */
export const BODY = { centre: [0, -10] as [number, number], semiAxes: [165, 125] as [number, number], fatMm: 18, muscleMm: 10 };

/** Vertebrae: body centre in x/y, radii, and levels spaced along z. */
export const SPINE = {
  bodyCentre: [0, -62] as [number, number],
  bodyRadii: [22, 18] as [number, number],
  cortexMm: 3,
  canalCentre: [0, -92] as [number, number],
  canalRadius: 9,
  archRadius: 17,
  spinous: { halfWidth: 5, from: -105, to: -115 },
  /** z of L1's centre and the distance between vertebral centres; discs sit half-way. */
  l1CentreZ: 20,
  levelMm: 33,
  discHalfMm: 3.5,
  /** Names from the most caudal level upwards, L1 at index LEVEL_L1. */
  levels: ['vertebrae_L5', 'vertebrae_L4', 'vertebrae_L3', 'vertebrae_L2', 'vertebrae_L1', 'vertebrae_T12', 'vertebrae_T11', 'vertebrae_T10', 'vertebrae_T9'],
  levelL1: 4,
};

/**
 * Soft-tissue structures, most specific first: a voxel takes the first that contains it, so the
 * labels are disjoint by construction (the liver wraps the right kidney the way it does in a body).
 */
export function structures(zTop: number, zBottom: number): Structure[] {
  return [
    {
      name: 'aorta',
      shapes: [{ kind: 'tube', points: [[-12, -34, zTop + 10], [-12, -34, zBottom - 10]], radius: [11, 10] }],
      hu: 165,
      texture: 4,
      wobble: 0.02,
    },
    {
      name: 'kidney_right',
      shapes: [{ kind: 'ellipsoid', centre: [64, -48, -18], radii: [28, 25, 55] }],
      hu: 165,
      texture: 6,
      wobble: 0.06,
      core: { depth: 0.45, hu: 115 },
    },
    {
      name: 'kidney_left',
      shapes: [{ kind: 'ellipsoid', centre: [-62, -45, -4], radii: [28, 25, 55] }],
      hu: 165,
      texture: 6,
      wobble: 0.06,
      core: { depth: 0.45, hu: 115 },
    },
    {
      name: 'pancreas',
      shapes: [{ kind: 'tube', points: [[32, 4, -6], [5, 12, 6], [-35, 2, 16], [-72, -16, 26]], radius: [15, 11, 10, 8] }],
      hu: 95,
      texture: 10,
      wobble: 0.12,
    },
    {
      name: 'spleen',
      shapes: [{ kind: 'ellipsoid', centre: [-100, -28, 50], radii: [26, 45, 48] }],
      hu: 115,
      texture: 6,
      wobble: 0.06,
    },
    {
      name: 'liver',
      shapes: [
        { kind: 'ellipsoid', centre: [66, 0, 40], radii: [72, 74, 58] },
        // The left lobe: thinner, reaching across the midline in front of the stomach.
        { kind: 'ellipsoid', centre: [-6, 26, 58], radii: [42, 34, 28] },
      ],
      hu: 105,
      texture: 7,
      wobble: 0.05,
    },
    {
      name: 'iliopsoas_right',
      shapes: [{ kind: 'tube', points: [[36, -58, zTop - 60], [42, -52, zBottom - 10]], radius: [9, 20] }],
      hu: 55,
      texture: 5,
      wobble: 0.06,
    },
    {
      name: 'iliopsoas_left',
      shapes: [{ kind: 'tube', points: [[-36, -58, zTop - 60], [-42, -52, zBottom - 10]], radius: [9, 20] }],
      hu: 55,
      texture: 5,
      wobble: 0.06,
    },
    {
      name: 'autochthon_right',
      shapes: [{ kind: 'tube', points: [[30, -95, zTop + 10], [30, -95, zBottom - 10]], radius: [18, 20] }],
      hu: 55,
      texture: 5,
      wobble: 0.05,
    },
    {
      name: 'autochthon_left',
      shapes: [{ kind: 'tube', points: [[-30, -95, zTop + 10], [-30, -95, zBottom - 10]], radius: [18, 20] }],
      hu: 55,
      texture: 5,
      wobble: 0.05,
    },
  ];
}
