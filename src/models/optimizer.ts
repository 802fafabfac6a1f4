/**
 * Adam with decoupled weight decay (AdamW, Loshchilov & Hutter; PyTorch's update order), written
 * out because tfjs has no AdamW and because its state must be checkpointed by parameter name.
 * weightDecay 0 gives plain Adam (stage 2: lr 1e-4, betas (0, 0.999)).
 */
import * as tf from '@tensorflow/tfjs';
import type { Params } from './unet.ts';

export interface AdamWOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /**
   * AMSGrad (Reddi et al.): divide by the running maximum of v̂ instead of v̂, as PyTorch's
   * `amsgrad=True` (the reference's stage-1/3 AdamW). Absent in checkpoints written before it
   * existed, which read as false.
   */
  amsgrad?: boolean;
}

export class AdamW {
  /** Number of updates applied so far. */
  step = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  /** AMSGrad's running maximum of v (empty unless options.amsgrad). */
  readonly vmax = new Map<string, tf.Variable>();
  private readonly byTfName = new Map<string, string>();

  constructor(
    readonly params: Params,
    public options: AdamWOptions,
  ) {
    for (const [name, p] of params) {
      this.byTfName.set(p.name, name);
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
      if (options.amsgrad) this.vmax.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /**
   * Apply one update. `grads` may be keyed by our parameter names or by tf variable names (what
   * tf.variableGrads returns). Parameters without a gradient are left alone. Grads are not disposed.
   */
  apply(grads: Record<string, tf.Tensor>, lr = this.options.lr): void {
    this.step++;
    const t = this.step;
    const [b1, b2] = this.options.betas;
    const { eps, weightDecay } = this.options;
    const c1 = 1 - Math.pow(b1, t);
    const c2 = 1 - Math.pow(b2, t);
    tf.tidy(() => {
      for (const [key, g] of Object.entries(grads)) {
        const name = this.params.has(key) ? key : this.byTfName.get(key);
        if (!name) continue;
        const p = this.params.get(name)!;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
        let second: tf.Tensor = v;
        const vmax = this.vmax.get(name);
        if (vmax) {
          vmax.assign(tf.maximum(vmax, v));
          second = vmax;
        }
        const decayed = weightDecay > 0 ? tf.mul(p, 1 - lr * weightDecay) : p;
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(second, c2)), eps));
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
      }
    });
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values(), ...this.vmax.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
    this.vmax.clear();
  }
}

export interface ScheduleOptions {
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  minLrFraction: number;
}

/**
 * Linear warm-up from lr/warmupSteps to lr over `warmupSteps`, then cosine down to
 * lr·minLrFraction at `totalSteps`; stepped per iteration. `step` counts from 0.
 */
export function warmupCosineLr(step: number, o: ScheduleOptions): number {
  if (o.warmupSteps > 0 && step < o.warmupSteps) return (o.lr * (step + 1)) / o.warmupSteps;
  const span = Math.max(1, o.totalSteps - o.warmupSteps);
  const progress = Math.min(1, Math.max(0, (step - o.warmupSteps) / span));
  const floor = o.lr * o.minLrFraction;
  return floor + (o.lr - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
