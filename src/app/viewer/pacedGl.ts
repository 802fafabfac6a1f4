import type { Niivue } from '@niivue/niivue';

/**
 * niivue rebuilds a layer in one synchronous call: the whole volume uploaded with one
 * texSubImage3D, then one draw per slice into a 3-D texture (colour mapping, blending, gradients),
 * then `gl.finish()` at the end of every drawScene. The page's thread waits for all of that GPU
 * work, seconds on a software GPU for a clinical CT. Here the niivue instance draws through a
 * context wrapper that queues those commands and replays them a bounded slab at a time, each slab
 * in its own task, starting the next only once a fence says the GPU finished the last one; scenes
 * asked for meanwhile are drawn once, after the queue empties. Nothing of niivue is edited: its
 * `gl` setter, `refreshLayers`, `drawScene` and `rgbaTex` are replaced on our own instance.
 */

/** Pixels drawn plus texels uploaded per slab: four 512×512 slices, or ≈ 4 MB of voxels. */
export const DEFAULT_SLAB_WEIGHT = 1 << 20;
/** Main-thread time spent issuing one slab's commands before the rest waits for the next task. */
export const DEFAULT_SLAB_MS = 8;
/** An upload larger than this is cut into z-slabs of at most this many bytes. */
export const DEFAULT_UPLOAD_SLAB_BYTES = 2 << 20;

export interface PacingOptions {
  slabWeight?: number;
  slabMs?: number;
  uploadSlabBytes?: number;
}

/** A replayed command taking longer than this is marked in the performance timeline. */
const SLOW_COMMAND_MS = 30;
export const SLOW_COMMAND_MEASURE = 'ftw:gl-slow-command';
/**
 * A scene drawn after a refresh, until the GPU finished it. One frame cannot be cut into slabs:
 * on a software compositor the next frame reads the canvas back and waits for this much.
 */
export const SCENE_MEASURE = 'ftw:niivue-scene';

type GlFn = (...args: unknown[]) => unknown;
interface Command {
  fn: GlFn;
  args: unknown[];
  weight: number;
}

// niivue's texture units for the gradient pass (src/niivue/texture-constants.ts in niivue).
const TEXTURE6_GRADIENT = 33990;
const TEXTURE8_GRADIENT_TEMP = 33992;
const FRAMEBUFFER_COMPLETE = 0x8cd5;
const DRAW_CALLS = new Set(['drawArrays', 'drawElements', 'drawArraysInstanced', 'drawElementsInstanced', 'drawRangeElements', 'clear', 'clearBufferfv', 'clearBufferiv', 'clearBufferuiv', 'clearBufferfi']);
const PROGRAM_CALLS = new Set(['shaderSource', 'compileShader', 'attachShader', 'detachShader', 'linkProgram', 'bindAttribLocation', 'deleteProgram', 'deleteShader']);
/** Queries that read only program/shader objects: safe to answer at once unless a link is queued. */
const PROGRAM_QUERIES = new Set(['getUniformLocation', 'getAttribLocation', 'getProgramParameter', 'getShaderParameter', 'getProgramInfoLog', 'getShaderInfoLog', 'getUniformBlockIndex', 'getActiveUniform', 'getActiveAttrib']);
/** Calls with a result that does not depend on commands still queued. */
const ORDER_FREE = new Set(['isContextLost', 'getExtension', 'getSupportedExtensions', 'getContextAttributes', 'getShaderPrecisionFormat']);
/** Small arrays are copied when queued: niivue reuses some of its uniform arrays. */
const COPY_BELOW_BYTES = 1 << 16;

function returnsValue(name: string): boolean {
  return /^(get|is|create|check)/.test(name) || name === 'readPixels' || name === 'fenceSync' || name === 'clientWaitSync';
}

function snapshot(arg: unknown): unknown {
  if (Array.isArray(arg)) return arg.slice();
  if (ArrayBuffer.isView(arg) && !(arg instanceof DataView) && arg.byteLength < COPY_BELOW_BYTES) return (arg as unknown as { slice(): unknown }).slice();
  return arg;
}

type Typed = ArrayBufferView & { length: number; BYTES_PER_ELEMENT: number };

export class PacedGl {
  readonly context: WebGL2RenderingContext;
  private readonly gl: WebGL2RenderingContext;
  private readonly queue: Command[] = [];
  private head = 0;
  private recording = 0;
  private programsQueued = false;
  private drawPending = false;
  private draining = false;
  private skipGradient = false;
  private refreshingLayer: number | null = null;
  private boundFramebuffer = false;
  private viewportArea = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly slabWeight: number;
  private readonly slabMs: number;
  private readonly uploadSlabBytes: number;
  private readonly wrappers = new Map<PropertyKey, GlFn>();
  /** Steps run and commands replayed, for the benchmark and the tests. */
  readonly stats = { slabs: 0, commands: 0, skippedGradientDraws: 0 };

  constructor(private readonly nv: Niivue, options: PacingOptions = {}) {
    this.gl = nv.gl;
    this.slabWeight = options.slabWeight ?? DEFAULT_SLAB_WEIGHT;
    this.slabMs = options.slabMs ?? DEFAULT_SLAB_MS;
    this.uploadSlabBytes = options.uploadSlabBytes ?? DEFAULT_UPLOAD_SLAB_BYTES;
    this.viewportArea = this.gl.drawingBufferWidth * this.gl.drawingBufferHeight;
    this.context = new Proxy(this.gl, {
      get: (target, prop) => {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        let w = this.wrappers.get(prop);
        if (!w) {
          w = this.wrap(String(prop), value as GlFn);
          this.wrappers.set(prop, w);
        }
        return w;
      },
    });
  }

  /** True while niivue's commands are still being replayed (or a scene waits to be drawn). */
  get busy(): boolean {
    return this.head < this.queue.length || this.recording > 0 || this.drawPending;
  }

  /** Resolves once every queued command ran, the scene was drawn and the GPU finished it. */
  idle(): Promise<void> {
    if (!this.busy && !this.draining) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Run niivue code with every GL command it issues queued, then replay them paced. */
  record<T>(run: () => T): T {
    this.recording++;
    try {
      return run();
    } finally {
      this.recording--;
      this.schedule();
    }
  }

  /** niivue's drawScene: drawn now when nothing is queued, otherwise once the queue empties. */
  requestDraw(draw: () => unknown): unknown {
    if (this.busy) {
      this.drawPending = true;
      this.schedule();
      return undefined;
    }
    return draw();
  }

  /**
   * niivue computes a gradient volume (a blur and a Sobel pass over every slice) whenever the
   * background changes; only its 3-D renderer with illumination or gradient opacity reads it.
   * When neither is on, the passes are dropped and tiny textures stand in for the two volume-sized
   * ones (which would also cost 2 × 4 bytes per voxel of GPU memory).
   */
  gradientNeeded(): boolean {
    const nv = this.nv as unknown as { gradientTextureAmount: number; useCustomGradientTexture: boolean; renderGradientValues?: boolean; opts: { gradientOpacity: number } };
    return nv.gradientTextureAmount !== 0 || nv.opts.gradientOpacity > 0 || nv.useCustomGradientTexture || !!nv.renderGradientValues;
  }

  /**
   * niivue's rgbaTex, with the gradient pass's textures made tiny when the gradient is unused.
   * The pass is recognised by its first texture: zero-filled, volume-sized, on texture unit 8,
   * inside the refresh of layer 0 (unit 8 also holds niivue's 2×2×2 placeholder atlas texture).
   */
  gradientTexture(activeId: number, dims: number[], isInit: boolean): number[] | null {
    const volumeSized = dims[1] * dims[2] * dims[3] > 8;
    if (activeId === TEXTURE8_GRADIENT_TEMP && isInit && volumeSized && this.refreshingLayer === 0 && !this.gradientNeeded()) {
      this.skipGradient = true;
      return [dims[0], 1, 1, 1];
    }
    if (activeId === TEXTURE6_GRADIENT && this.skipGradient) return [dims[0], 1, 1, 1];
    return null;
  }

  /** niivue's refreshLayers for `layer`, its GL commands queued. */
  refresh(layer: number, run: () => void): void {
    const outer = this.refreshingLayer;
    this.refreshingLayer = layer;
    try {
      this.record(run);
    } finally {
      // niivue runs the gradient pass last in refreshLayers: whatever follows is drawn again.
      this.skipGradient = false;
      this.refreshingLayer = outer;
    }
  }

  private wrap(name: string, fn: GlFn): GlFn {
    const gl = this.gl;
    if (name === 'finish') {
      // niivue ends every drawScene with finish(), which makes the page wait for the GPU.
      return () => this.enqueueOrRun('flush', gl.flush as GlFn, []);
    }
    if (name === 'checkFramebufferStatus') {
      // niivue only logs an incomplete framebuffer; answering from the queue would mean waiting
      // for every slice before it. Its framebuffers are complete by construction (a layer of a
      // texture it just allocated).
      return (...args) => (this.queuing() ? FRAMEBUFFER_COMPLETE : fn.apply(gl, args));
    }
    if (ORDER_FREE.has(name)) return (...args) => fn.apply(gl, args);
    if (PROGRAM_QUERIES.has(name)) {
      return (...args) => {
        if (this.queuing() && this.programsQueued) this.drainNow();
        return fn.apply(gl, args);
      };
    }
    if (returnsValue(name) && !name.startsWith('create')) {
      return (...args) => {
        if (this.queuing()) this.drainNow();
        return fn.apply(gl, args);
      };
    }
    if (name.startsWith('create')) return (...args) => fn.apply(gl, args);
    return (...args) => this.enqueueOrRun(name, fn, args);
  }

  private queuing(): boolean {
    return this.recording > 0 || this.head < this.queue.length;
  }

  private enqueueOrRun(name: string, fn: GlFn, args: unknown[]): unknown {
    if (this.skipGradient && (DRAW_CALLS.has(name) || name === 'framebufferTextureLayer')) {
      this.stats.skippedGradientDraws++;
      return undefined;
    }
    if (!this.queuing()) return fn.apply(this.gl, args);
    if (PROGRAM_CALLS.has(name)) this.programsQueued = true;
    if (name === 'texSubImage3D' && this.splitUpload(fn, args)) return undefined;
    this.queue.push({ fn, args: args.map(snapshot), weight: this.weigh(name, args) });
    return undefined;
  }

  private weigh(name: string, args: unknown[]): number {
    if (name === 'viewport') this.viewportArea = Math.max(1, Number(args[2]) * Number(args[3]));
    if (name === 'bindFramebuffer') this.boundFramebuffer = args[1] !== null;
    if (DRAW_CALLS.has(name)) return this.boundFramebuffer ? this.viewportArea : 0;
    let bytes = 0;
    for (const a of args) if (ArrayBuffer.isView(a)) bytes = Math.max(bytes, a.byteLength);
    if (name === 'texStorage3D') bytes = Number(args[3]) * Number(args[4]) * Number(args[5]);
    return bytes / 4;
  }

  /** One whole-volume upload becomes z-slabs, each read from the same array at an offset. */
  private splitUpload(fn: GlFn, args: unknown[]): boolean {
    if (args.length !== 11 || !ArrayBuffer.isView(args[10])) return false;
    const src = args[10] as Typed;
    const depth = Number(args[7]);
    const height = Number(args[6]);
    if (src.byteLength <= this.uploadSlabBytes || depth < 2 || src.length % depth !== 0) return false;
    const perSlice = src.length / depth;
    const sliceBytes = perSlice * src.BYTES_PER_ELEMENT;
    // Rows must carry no padding, whatever UNPACK_ALIGNMENT is, for the offsets to be exact.
    if (sliceBytes % height !== 0 || (sliceBytes / height) % 8 !== 0) return false;
    const step = Math.max(1, Math.floor(this.uploadSlabBytes / sliceBytes));
    const z = Number(args[4]);
    for (let z0 = 0; z0 < depth; z0 += step) {
      const dz = Math.min(step, depth - z0);
      const slab = [args[0], args[1], args[2], args[3], z + z0, args[5], args[6], dz, args[8], args[9], src, z0 * perSlice];
      this.queue.push({ fn, args: slab, weight: (dz * sliceBytes) / 4 });
    }
    return true;
  }

  private schedule(): void {
    if (this.draining || this.recording > 0) return;
    if (!this.busy) return this.settle();
    this.draining = true;
    setTimeout(() => this.step(), 0);
  }

  /** One slab: commands up to the weight or time budget, then a fence; the next slab waits for it. */
  private step(): void {
    const gl = this.gl;
    if (gl.isContextLost()) {
      this.queue.length = this.head = 0;
      this.drawPending = false;
      this.draining = false;
      return this.settle();
    }
    const start = performance.now();
    let weight = 0;
    let sceneStart: number | null = null;
    if (this.head >= this.queue.length && this.drawPending && this.recording === 0) {
      // The scene alone in its slab: the next frame (which on a software compositor reads the
      // canvas back) then waits only for the scene's own GPU work, not for the last slab's too.
      this.drawPending = false;
      this.nv.drawScene();
      sceneStart = start;
    }
    while (this.head < this.queue.length && weight < this.slabWeight && performance.now() - start < this.slabMs) {
      const c = this.queue[this.head];
      this.queue[this.head++] = undefined as unknown as Command;
      this.replay(c);
      weight += c.weight;
    }
    this.stats.slabs++;
    if (this.head >= this.queue.length) {
      this.queue.length = this.head = 0;
      this.programsQueued = false;
    }
    const sync = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
    gl.flush();
    const poll = () => {
      if (sync && !gl.isContextLost() && gl.getSyncParameter(sync, gl.SYNC_STATUS) !== gl.SIGNALED) {
        setTimeout(poll, 2);
        return;
      }
      if (sync) gl.deleteSync(sync);
      if (sceneStart !== null) performance.measure(SCENE_MEASURE, { start: sceneStart, end: performance.now() });
      this.draining = false;
      this.schedule();
    };
    setTimeout(poll, 0);
  }

  /** A query needs the commands before it: run them all now (rare: picking, readbacks). */
  private drainNow(): void {
    while (this.head < this.queue.length) {
      const c = this.queue[this.head];
      this.queue[this.head++] = undefined as unknown as Command;
      this.replay(c);
    }
    this.queue.length = this.head = 0;
    this.programsQueued = false;
  }

  private replay(c: Command): void {
    this.stats.commands++;
    const t = performance.now();
    try {
      c.fn.apply(this.gl, c.args);
    } catch (err) {
      // A bad argument throws in WebGL where GL would only set an error; keep replaying the rest.
      console.error('niivue GL command failed when replayed', err);
    }
    const ms = performance.now() - t;
    // A command that itself holds the thread (the browser waiting on the GPU) is named in the
    // timeline, so a long task can be traced to it.
    if (ms > SLOW_COMMAND_MS) performance.measure(SLOW_COMMAND_MEASURE, { start: t, end: t + ms, detail: c.fn.name });
  }

  private settle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

const paced = new WeakMap<Niivue, PacedGl>();

export function pacingOf(nv: Niivue): PacedGl | undefined {
  return paced.get(nv);
}

/**
 * Put a niivue instance (after attachToCanvas) on the paced context. Marks `canvas` with
 * data-gpu-busy while work is queued, so tests and screenshots can wait for the finished picture.
 */
export function pace(nv: Niivue, options: PacingOptions = {}): PacedGl {
  const existing = paced.get(nv);
  if (existing) return existing;
  const p = new PacedGl(nv, options);
  paced.set(nv, p);
  nv.gl = p.context;
  const inner = nv as unknown as {
    refreshLayers: (v: unknown, layer: number) => void;
    drawScene: () => string | void;
    rgbaTex: (tex: WebGLTexture | null, active: number, dims: number[], isInit?: boolean) => WebGLTexture | null;
  };
  const refreshLayers = inner.refreshLayers.bind(nv);
  const drawScene = inner.drawScene.bind(nv);
  const rgbaTex = inner.rgbaTex.bind(nv);
  const canvas = nv.canvas;
  // One idle waiter per busy period, not one per drawScene (niivue draws on every pointer move).
  const clear = () => {
    if (!canvas) return;
    if (p.busy) void p.idle().then(clear);
    else delete canvas.dataset.gpuBusy;
  };
  const mark = () => {
    if (!canvas || canvas.dataset.gpuBusy) return;
    canvas.dataset.gpuBusy = 'true';
    void p.idle().then(clear);
  };
  inner.refreshLayers = (v, layer) => {
    mark();
    p.refresh(layer, () => refreshLayers(v, layer));
  };
  inner.drawScene = () => {
    if (p.busy) mark();
    return p.requestDraw(drawScene) as string | void;
  };
  inner.rgbaTex = (tex, active, dims, isInit = false) => {
    const small = p.gradientTexture(active, dims, isInit);
    return small ? rgbaTex(tex, active, small, false) : rgbaTex(tex, active, dims, isInit);
  };
  return p;
}
