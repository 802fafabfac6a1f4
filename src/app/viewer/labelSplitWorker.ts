/// <reference lib="webworker" />
import { splitLabels, type SplitReply, type SplitRequest } from './labelSplit.ts';

self.onmessage = (e: MessageEvent<SplitRequest>) => {
  const req = e.data;
  const scope = self as unknown as DedicatedWorkerGlobalScope;
  try {
    const result = splitLabels(req.data, req.slope, req.inter, req.scheme, req.dims);
    const reply: SplitReply = { id: req.id, ...result };
    scope.postMessage(reply, result.masks.map((m) => m.mask.buffer as ArrayBuffer));
  } catch (err) {
    scope.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) } satisfies SplitReply);
  }
};
