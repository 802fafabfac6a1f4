import type { Niivue } from '@niivue/niivue';
import { pace, pacingOf } from './pacedGl.ts';

/**
 * niivue's GPU refreshes, named in the page's performance timeline. niivue uploads each layer and
 * re-renders it slice by slice in one call; on a paced instance (pacedGl.ts) that call only queues
 * the commands, and the GPU measure lasts until the queue has been replayed and drawn. The
 * long-task e2e and the app benchmark read these entries to tell niivue's work from ours.
 */
export const REFRESH_MEASURE = 'ftw:niivue-refresh';

/**
 * From the start of a refresh until the GPU has finished what it queued (niivue's per-slice
 * renders and the first frame drawn with them). The GPU works in its own process, but the page's
 * next frame waits for it, so the tasks that follow a refresh can be long without running any of
 * the app's code. A fence, polled without blocking, tells when the GPU is done.
 */
export const GPU_MEASURE = 'ftw:niivue-gpu';

function traceGpu(nv: Niivue, start: number, what: string): void {
  const done = () => performance.measure(GPU_MEASURE, { start, end: performance.now(), detail: what });
  const paced = pacingOf(nv);
  if (paced) {
    // The queue replays niivue's commands slab by slab and ends on a fence: idle means drawn.
    void paced.idle().then(done);
    return;
  }
  const gl = nv.gl as WebGL2RenderingContext | null;
  const sync = gl?.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0) ?? null;
  if (!gl || !sync) return;
  gl.flush();
  const poll = () => {
    if (gl.isContextLost()) return;
    if (gl.getSyncParameter(sync, gl.SYNC_STATUS) !== gl.SIGNALED) {
      setTimeout(poll, 20);
      return;
    }
    gl.deleteSync(sync);
    done();
  };
  setTimeout(poll, 0);
}

function measured<T>(what: string, run: () => T, nv: Niivue): T {
  const start = performance.now();
  try {
    return run();
  } finally {
    performance.measure(REFRESH_MEASURE, { start, end: performance.now(), detail: what });
    traceGpu(nv, start, what);
  }
}

/** Every layer, background included: after the background or the set of layers changed. */
export function refreshAll(nv: Niivue, what: string): void {
  measured(what, () => nv.updateGLVolume(), nv);
}

/** Add the background volume (niivue refreshes the layers in the scene). */
export function addBackground(nv: Niivue, volume: Parameters<Niivue['addVolume']>[0], what: string): void {
  measured(what, () => nv.addVolume(volume), nv);
}

/**
 * Only the background layer, after a window change: overlays live in their own texture (niivue
 * does the same on a right-drag), so the label layers need not be rendered again.
 */
export function refreshBackground(nv: Niivue, what: string): void {
  if (nv.volumes.length < 1) return;
  measured(what, () => {
    nv.refreshLayers(nv.volumes[0], 0);
    nv.drawScene();
  }, nv);
}

/**
 * Only the overlays, when the background is unchanged: niivue renders overlays into their own
 * texture, layer 1 first, so re-rendering layers 1..n leaves the background's texture and its
 * gradients as they are. With no overlay left niivue must clear that texture: a full refresh.
 */
export function refreshOverlays(nv: Niivue, what: string): void {
  if (nv.volumes.length < 2) return refreshAll(nv, what);
  measured(what, () => {
    for (let layer = 1; layer < nv.volumes.length; layer++) nv.refreshLayers(nv.volumes[layer], layer);
    nv.drawScene();
  }, nv);
}

/**
 * niivue's start on a canvas (WebGL context, shader compiles, fonts): GPU set-up, seconds on a
 * software GPU, in niivue's own tasks. Measured like a refresh. From here on the instance draws
 * through the paced context (pacedGl.ts).
 */
export async function attachNiivue(nv: Niivue, canvas: HTMLCanvasElement, what: string): Promise<void> {
  const start = performance.now();
  try {
    await nv.attachToCanvas(canvas);
    pace(nv);
  } finally {
    performance.measure(REFRESH_MEASURE, { start, end: performance.now(), detail: what });
    traceGpu(nv, start, what);
  }
}
