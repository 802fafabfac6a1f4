/// <reference lib="webworker" />
import { findLesions } from '../../core/lesions.ts';
import type { LesionReply, LesionRequest } from './lesionMessages.ts';

/** Source ids → project ids; label maps with an intercept or fractional ids are rounded as the viewer does. */
function projectIds(req: LesionRequest['labels']): Uint8Array {
  const { data, slope, inter, toProject } = req;
  const out = new Uint8Array(data.length);
  const table = new Map(Object.entries(toProject).map(([k, v]) => [Number(k), v]));
  for (let v = 0; v < data.length; v++) {
    const raw = data[v];
    if (raw === 0 && inter === 0) continue;
    out[v] = table.get(Math.round(raw * slope + inter)) ?? 0;
  }
  return out;
}

self.onmessage = (e: MessageEvent<LesionRequest>) => {
  const req = e.data;
  let reply: LesionReply;
  try {
    const lesions = findLesions({ dims: req.dims, affine: req.affine, labels: projectIds(req.labels), synthetic: req.synthetic, image: req.image });
    reply = { id: req.id, lesions };
  } catch (err) {
    reply = { id: req.id, error: err instanceof Error ? err.message : String(err) };
  }
  (self as unknown as DedicatedWorkerGlobalScope).postMessage(reply);
};
