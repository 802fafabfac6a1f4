import { MULTIPLANAR_TYPE, SHOW_RENDER, SLICE_TYPE, type Niivue } from '@niivue/niivue';
import type { Layout } from '../stores/viewStore.ts';

/** A three-quarter view from the patient's front-left: liver and kidneys both visible. */
export const DEFAULT_AZIMUTH_ELEVATION: [number, number] = [200, 15];

export const LAYOUT_SLICE: Record<Layout, SLICE_TYPE> = {
  multiplanar: SLICE_TYPE.MULTIPLANAR,
  axial: SLICE_TYPE.AXIAL,
  coronal: SLICE_TYPE.CORONAL,
  sagittal: SLICE_TYPE.SAGITTAL,
  render: SLICE_TYPE.RENDER,
};

/** One look for every niivue instance (main view and compare pane). */
export function niivueOptions(): ConstructorParameters<typeof Niivue>[0] {
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
    // Slicer and OHIF put the patient's nose on the left of a sagittal slice; readers expect it.
    sagittalNoseLeft: true,
  };
}
