import { describe, expect, it } from 'vitest';
import type { Niivue } from '@niivue/niivue';
import { pace } from './pacedGl.ts';

const SIGNALED = 0x9119;

/** A WebGL2 context stand-in that logs every call it receives, in order. */
function fakeGl() {
  const log: unknown[][] = [];
  const rec = (name: string) => (...args: unknown[]) => {
    log.push([name, ...args]);
  };
  const gl = {
    log,
    FRAMEBUFFER: 0x8d40,
    SYNC_GPU_COMMANDS_COMPLETE: 0x9117,
    SYNC_STATUS: 0x9114,
    SIGNALED,
    drawingBufferWidth: 64,
    drawingBufferHeight: 64,
    isContextLost: () => false,
    createTexture: () => ({ texture: log.length }),
    fenceSync: () => ({}),
    getSyncParameter: () => SIGNALED,
    deleteSync: () => undefined,
    getParameter: (p: number) => {
      log.push(['getParameter', p]);
      return 0;
    },
    checkFramebufferStatus: (_target: number) => 0x8cd5,
    flush: rec('flush'),
    finish: rec('finish'),
    viewport: rec('viewport'),
    bindFramebuffer: rec('bindFramebuffer'),
    framebufferTextureLayer: rec('framebufferTextureLayer'),
    uniform1f: rec('uniform1f'),
    uniform4fv: rec('uniform4fv'),
    drawArrays: rec('drawArrays'),
    texStorage3D: rec('texStorage3D'),
    texSubImage3D: rec('texSubImage3D'),
  };
  return gl;
}

/** The parts of a Niivue instance the pacing touches, with a refresh shaped like niivue's. */
function fakeNiivue(gradientTextureAmount = 0) {
  const gl = fakeGl();
  const sizes: number[][] = [];
  const nv = {
    gl: gl as unknown,
    canvas: null,
    gradientTextureAmount,
    useCustomGradientTexture: false,
    opts: { gradientOpacity: 0 },
    draws: 0,
    drawScene() {
      this.draws++;
      (this.gl as ReturnType<typeof fakeGl>).viewport(0, 0, 64, 64);
    },
    rgbaTex(_tex: unknown, _active: number, dims: number[], _isInit = false) {
      sizes.push(dims);
      return {};
    },
    /** Layer 0: an orient pass over 4 slices, then (like niivue) the gradient pass. */
    refreshLayers(_v: unknown, layer: number) {
      const g = this.gl as ReturnType<typeof fakeGl>;
      g.bindFramebuffer(g.FRAMEBUFFER, {});
      g.viewport(0, 0, 32, 32);
      for (let z = 0; z < 4; z++) {
        g.uniform1f('coordZ', z);
        g.framebufferTextureLayer(0, 0, 'out', 0, z);
        g.drawArrays(5, 0, 4);
      }
      if (layer !== 0) return;
      this.rgbaTex(null, 33992, [3, 32, 32, 4], true);
      for (let z = 0; z < 4; z++) {
        g.checkFramebufferStatus(g.FRAMEBUFFER);
        g.drawArrays(5, 0, 4);
      }
      this.rgbaTex(null, 33990, [3, 32, 32, 4]);
      g.uniform4fv('after', [1, 2, 3, 4]);
    },
  };
  return { nv, gl, sizes };
}

describe('paced niivue context', () => {
  it('queues a refresh, replays it in order over several tasks, then draws the scene once', async () => {
    const { nv, gl } = fakeNiivue(0.5);
    const p = pace(nv as unknown as Niivue, { slabWeight: 2 * 32 * 32 });
    nv.refreshLayers(null, 1);
    nv.drawScene();
    nv.drawScene();
    expect(gl.log).toEqual([]);
    expect(p.busy).toBe(true);
    await p.idle();
    const names = gl.log.map((c) => c[0]);
    expect(names.filter((n) => n === 'drawArrays')).toHaveLength(4);
    // the slices in the order niivue issued them, each after its own uniform and layer
    expect(gl.log.filter((c) => c[0] === 'uniform1f').map((c) => c[2])).toEqual([0, 1, 2, 3]);
    expect(names.indexOf('framebufferTextureLayer')).toBeLessThan(names.indexOf('drawArrays'));
    expect(nv.draws).toBe(1);
    expect(names.lastIndexOf('viewport')).toBeGreaterThan(names.lastIndexOf('drawArrays'));
    // 4 slices at 2 per slab, then the scene in a slab of its own
    expect(p.stats.slabs).toBeGreaterThanOrEqual(3);
    expect(p.busy).toBe(false);
  });

  it('copies small arrays when queued, so later edits by niivue do not leak in', async () => {
    const { nv, gl } = fakeNiivue(0.5);
    const p = pace(nv as unknown as Niivue);
    const values = [1, 2, 3, 4];
    p.record(() => (nv.gl as ReturnType<typeof fakeGl>).uniform4fv('u', values));
    values[0] = 99;
    await p.idle();
    expect(gl.log.find((c) => c[0] === 'uniform4fv')![2]).toEqual([1, 2, 3, 4]);
  });

  it('cuts a whole-volume upload into z-slabs that cover it exactly once', async () => {
    const { nv, gl } = fakeNiivue();
    const p = pace(nv as unknown as Niivue, { uploadSlabBytes: 3 * 512 });
    const voxels = new Int16Array(16 * 16 * 10);
    p.record(() => (nv.gl as ReturnType<typeof fakeGl>).texSubImage3D(0x806f, 0, 0, 0, 0, 16, 16, 10, 0x8d94, 0x1402, voxels));
    await p.idle();
    const slabs = gl.log.filter((c) => c[0] === 'texSubImage3D');
    expect(slabs.map((c) => [c[5], c[8]])).toEqual([[0, 3], [3, 3], [6, 3], [9, 1]]);
    for (const c of slabs) {
      expect(c[11]).toBe(voxels);
      expect(c[12]).toBe((c[5] as number) * 256);
    }
  });

  it('runs everything queued before answering a query, and turns finish() into flush()', async () => {
    const { nv, gl } = fakeNiivue(0.5);
    const p = pace(nv as unknown as Niivue);
    const g = nv.gl as ReturnType<typeof fakeGl>;
    nv.refreshLayers(null, 1);
    g.getParameter(7);
    expect(gl.log.map((c) => c[0]).slice(-2)).toEqual(['drawArrays', 'getParameter']);
    g.finish();
    expect(gl.log.at(-1)![0]).toBe('flush');
    await p.idle();
  });

  it('drops the gradient pass when no renderer reads it, and keeps it when one does', async () => {
    for (const amount of [0, 0.5]) {
      const { nv, gl, sizes } = fakeNiivue(amount);
      const p = pace(nv as unknown as Niivue);
      nv.refreshLayers(null, 0);
      await p.idle();
      const draws = gl.log.filter((c) => c[0] === 'drawArrays').length;
      if (amount === 0) {
        expect(draws).toBe(4);
        expect(sizes).toEqual([[3, 1, 1, 1], [3, 1, 1, 1]]);
        expect(p.stats.skippedGradientDraws).toBe(4);
      } else {
        expect(draws).toBe(8);
        expect(sizes).toEqual([[3, 32, 32, 4], [3, 32, 32, 4]]);
      }
      // what niivue does after the gradient pass still reaches the GPU
      expect(gl.log.some((c) => c[0] === 'uniform4fv')).toBe(true);
      // and the next refresh draws again
      nv.refreshLayers(null, 1);
      await p.idle();
      expect(gl.log.filter((c) => c[0] === 'drawArrays').length).toBe(draws + 4);
    }
  });
});
