/**
 * G and S for study synthesis, loaded the way the quality lab loads them (`selectNetworks`: role,
 * label scheme, same architecture; S scores on its own grid; PyTorch safetensors with a card via
 * `torchToCheckpoint`, PyTorch torch.save files via `importTorchSave`), plus what a study records of them (file name, SHA-256, network, step).
 */
import { sha256Hex } from '../checkpoints/format.ts';
import { readCheckpoint, restoreNetwork } from '../../models/checkpoint.ts';
import type { LabelScheme, NetworkConfig } from '../../models/config.ts';
import type { Organ } from '../../core/labels.ts';
import type { Network } from '../../models/networks.ts';
import type { LabModels } from '../qualityLab/labCompute.ts';
import type { ModelSlot } from '../qualityLab/messages.ts';
import { selectNetworks } from '../qualityLab/modelLoading.ts';
import { isFreeTumorCheckpoint, torchToCheckpoint } from '../qualityLab/torchImport.ts';
import { importTorchSave, isTorchSave } from '../qualityLab/ptImport.ts';
import type { StudyModelInfo } from './studyMessages.ts';
import type { QualityModels } from './types.ts';

export interface StudyModelSlot {
  info: StudyModelInfo;
  config: NetworkConfig;
  net: Network;
}

export type StudyModelSlots = Partial<Record<ModelSlot, StudyModelSlot>>;

/** Load `slot` from a checkpoint into `slots` (the previous model there is disposed). */
export async function loadStudyModel(slots: StudyModelSlots, slot: ModelSlot, fileName: string, bytes: Uint8Array): Promise<StudyModelInfo> {
  const sha256 = await sha256Hex(bytes);
  // A PyTorch torch.save (.pt, the official FreeTumor files) is converted here, in the study worker.
  const imported = isTorchSave(bytes) ? await importTorchSave(bytes, fileName, slot) : null;
  const ck = imported ? imported.models[0].ck : isFreeTumorCheckpoint(bytes) ? readCheckpoint(bytes) : torchToCheckpoint(bytes, fileName, null);
  // The model in this slot is being replaced: only the other slot constrains it.
  const loaded: Parameters<typeof selectNetworks>[3] = {};
  const other: ModelSlot = slot === 'generator' ? 'segmentor' : 'generator';
  const o = slots[other];
  if (o) loaded[other] = { config: o.config, labelScheme: o.info.labelScheme, patch: o.info.patch, spacingMm: o.info.spacingMm };
  const [chosen] = selectNetworks(ck, fileName, slot, loaded);
  const net = restoreNetwork(ck, chosen.networkName, { role: slot, config: chosen.config });
  slots[slot]?.net.dispose();
  const info: StudyModelInfo = {
    slot,
    fileName,
    sha256,
    networkName: chosen.networkName,
    step: chosen.info.step,
    patch: [...chosen.info.patch] as [number, number, number],
    spacingMm: chosen.info.spacingMm,
    labelScheme: chosen.info.labelScheme,
    organ: chosen.info.organ,
    ...(imported?.organChosen && slot === 'segmentor' ? { organChosen: true } : {}),
  };
  slots[slot] = { info, config: chosen.config, net };
  return info;
}

/** The organ of a specialist S whose .pt did not name it (Prepare offers the choice). */
export function setStudySegmentorOrgan(slots: StudyModelSlots, organ: Organ): StudyModelInfo {
  const s = slots.segmentor;
  if (!s?.info.organChosen) throw new Error('the loaded segmentor names its own organ (or is universal): there is nothing to choose');
  s.info = { ...s.info, organ };
  return s.info;
}

export function unloadStudyModel(slots: StudyModelSlots, slot: ModelSlot): void {
  slots[slot]?.net.dispose();
  delete slots[slot];
}

/** The lab's model bundle and the study's record of it; throws unless both G and S are loaded. */
export function studyModels(slots: StudyModelSlots): { lab: LabModels; refs: QualityModels } {
  const g = slots.generator;
  const s = slots.segmentor;
  if (!g || !s) throw new Error('generator synthesis needs a generator (G) and a segmentor (S): load both, or choose handcrafted synthesis');
  const ref = (x: StudyModelSlot) => ({ fileName: x.info.fileName, sha256: x.info.sha256, networkName: x.info.networkName, step: x.info.step });
  return {
    // S scores on its own grid when it differs from G's (labCompute).
    lab: { generator: g.net, segmentor: s.net, patch: g.info.patch, spacingMm: g.info.spacingMm, segPatch: s.info.patch, segSpacingMm: s.info.spacingMm, scheme: (s.info.labelScheme ?? 'universal') as LabelScheme, organ: s.info.organ ?? null },
    refs: { generator: ref(g), segmentor: ref(s) },
  };
}
