/**
 * A PyTorch `torch.save` file (.pt / .pth: the official FreeTumor checkpoints) for the lab and the
 * reader study, converted in their workers (never on the page) by the same code as
 * `freetumor import-checkpoint` (src/models/officialImport.ts): TGAN.pt → a G (+ C) checkpoint and
 * an S checkpoint; a SwinUNETR segmentor → an S checkpoint; cards with architecture, label scheme,
 * patch 96³ at 1.5 mm and provenance (file, SHA-256, epoch, best_acc).
 * What the lab adds: a 3-class specialist does not say its organ, and the CLI's --organ has no
 * page to come from, so the lab takes liver and lets the user change it (`organChosen`,
 * `withOrgan`), recording in the card where the organ came from.
 */
import type { Organ } from '../../core/labels.ts';
import type { LoadedCheckpoint } from '../../models/checkpoint.ts';
import { importTorchCheckpoint } from '../../models/officialImport.ts';
import { findStateDict, readTorchCheckpoint } from '../../models/torch/index.ts';
import type { ModelSlot } from './messages.ts';

export const DEFAULT_SPECIALIST_ORGAN: Organ = 'liver';

export interface TorchImport {
  /** One checkpoint per slot the file fills (TGAN.pt fills both). */
  models: { slot: ModelSlot; ck: LoadedCheckpoint }[];
  /** A 3-class segmentor: its organ was not in the file (the default or the user's choice). */
  organChosen: boolean;
  source: { fileName: string; sha256: string; epoch?: number; bestAcc?: number };
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/** torch.save output: a zip (torch ≥ 1.6) or a legacy pickle (PROTO 2), which the reader explains. */
export function isTorchSave(bytes: Uint8Array): boolean {
  const zip = bytes.length >= 4 && ZIP_MAGIC.every((b, i) => bytes[i] === b);
  return zip || (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] === 0x02);
}

/** Output classes of the file's segmentor (null if it has none), so only a specialist gets an organ. */
function segmentorClasses(bytes: Uint8Array, fileName: string): number | null {
  const { stateDict } = findStateDict(readTorchCheckpoint(bytes, fileName).object, fileName);
  const out = stateDict.get('out.conv.conv.weight') ?? stateDict.get('netSeg.out.conv.conv.weight');
  return out ? out.shape[0] : null;
}

/**
 * The FreeTumor checkpoints of a torch.save file, for `slot` ('auto': every slot it fills). Throws
 * a message naming the file when it holds nothing the lab can use.
 */
export async function importTorchSave(bytes: Uint8Array, fileName: string, slot: ModelSlot | 'auto', organ: Organ = DEFAULT_SPECIALIST_ORGAN): Promise<TorchImport> {
  // Reading the pickle twice costs milliseconds (tensors are views into `bytes`).
  const organChosen = segmentorClasses(bytes, fileName) === 3;
  const r = await importTorchCheckpoint(bytes, fileName, organChosen ? { organ } : {});
  const models = r.models
    .map((m) => ({ slot: m.role, ck: organChosen && m.role === 'segmentor' ? withOrgan(m.checkpoint, organ, `${organ} by default (the file does not say)`) : m.checkpoint }))
    .filter((m) => slot === 'auto' || m.slot === slot);
  if (!models.length) throw new Error(`${fileName}: holds ${r.models.map((m) => `a ${m.role}`).join(' and ')}, not a ${slot}`);
  return { models, organChosen, source: r.source };
}

/** The same checkpoint with the specialist's organ set, and why, in its card. */
export function withOrgan(ck: LoadedCheckpoint, organ: Organ, why = 'chosen in the workbench (the file does not say)'): LoadedCheckpoint {
  const card = ck.manifest.card;
  return { ...ck, manifest: { ...ck.manifest, card: { ...card, organ, provenance: { ...card.provenance, organFrom: why } } } };
}
