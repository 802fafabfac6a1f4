/**
 * The browser side of the one checkpoint format (src/models/checkpoint.ts): a FreeTumor checkpoint
 * is a safetensors file whose `__metadata__.freetumor` holds the manifest. The library stores and
 * downloads those bytes unchanged, so a file saved or downloaded here is the file the Node CLI
 * writes and reads. No tfjs here: the page inspects only the header.
 */
import type { CheckpointManifest, LoadedCheckpoint } from '../../models/checkpoint.ts';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from '../../models/checkpointFormat.ts';
import { writeSafetensors } from '../../models/safetensors.ts';

/** What the library shows of a checkpoint without decoding its tensors. */
export interface CheckpointSummary {
  /** One entry per network: its name in the file, role and label scheme. */
  networks: { name: string; role: string; labelScheme: string | null }[];
  roles: string[];
  preset: string;
  step: number;
  description: string | null;
  /** When the checkpoint was written (manifest.createdAt). */
  createdAt: string;
  tensors: number;
  hasOptimizer: boolean;
  hasRngState: boolean;
}

/**
 * Read the header of a checkpoint file and check its structure (format, version, every tensor
 * float32 and inside the file). Throws a readable error for anything else.
 */
export function inspectCheckpoint(bytes: Uint8Array): { manifest: CheckpointManifest; summary: CheckpointSummary } {
  if (bytes.length < 8) throw new Error(`not a checkpoint: ${bytes.length} bytes, shorter than a safetensors header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = Number(dv.getBigUint64(0, true));
  if (hlen > bytes.length - 8) throw new Error(`not a checkpoint: header length ${hlen} exceeds the ${bytes.length}-byte file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + hlen))) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`not a checkpoint: the safetensors header is not JSON (${(e as Error).message})`);
  }
  const meta = (header.__metadata__ ?? {}) as Record<string, string>;
  if (typeof meta.freetumor !== 'string') throw new Error('not a FreeTumor checkpoint: the safetensors metadata has no "freetumor" manifest');
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(meta.freetumor) as CheckpointManifest;
  } catch (e) {
    throw new Error(`the checkpoint manifest is not JSON (${(e as Error).message})`);
  }
  if (manifest.format !== CHECKPOINT_FORMAT) throw new Error(`unknown checkpoint format "${String(manifest.format)}"`);
  if (manifest.version > CHECKPOINT_VERSION) throw new Error(`checkpoint version ${manifest.version} is newer than this reader (${CHECKPOINT_VERSION})`);
  const dataBytes = bytes.length - 8 - hlen;
  let tensors = 0;
  let optim = false;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const t = entry as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    if (t.dtype !== 'F32') throw new Error(`tensor "${name}" is ${String(t.dtype)}; checkpoints hold float32`);
    const n = (t.shape ?? []).reduce((a, b) => a * b, 1);
    const [b, e] = t.data_offsets ?? [NaN, NaN];
    if (!(e - b === 4 * n && b >= 0 && e <= dataBytes)) throw new Error(`tensor "${name}": data_offsets [${b}, ${e}] do not fit shape [${String(t.shape)}] in the file`);
    tensors++;
    if (name.startsWith('optim.')) optim = true;
  }
  const networks = Object.entries(manifest.networks ?? {}).map(([name, n]) => ({ name, role: n.role, labelScheme: n.labelScheme ?? null }));
  return {
    manifest,
    summary: {
      networks,
      roles: [...new Set(networks.map((n) => n.role))],
      preset: manifest.card?.preset ?? '?',
      step: manifest.step,
      description: manifest.card?.description ?? null,
      createdAt: manifest.createdAt,
      tensors,
      hasOptimizer: optim,
      hasRngState: manifest.rngState !== undefined && manifest.rngState !== null,
    },
  };
}

/**
 * The file of a checkpoint held in memory (e.g. PyTorch weights converted by the lab), in the
 * layout saveCheckpoint writes: tensors in order, the manifest as `__metadata__.freetumor`. A
 * checkpoint read from a file is written back byte for byte.
 */
export function checkpointBytes(ck: LoadedCheckpoint): Uint8Array {
  return writeSafetensors(ck.tensors, { freetumor: JSON.stringify(ck.manifest) });
}

/** Lower-case hex SHA-256 (Web Crypto: the page, workers and Node ≥ 19 all have it). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The download name of a checkpoint called `name`. */
export function checkpointFileName(name: string): string {
  const base = name.trim().replace(/\.safetensors$/i, '').replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '_') || 'checkpoint';
  return `${base}.safetensors`;
}

/** The library name of a file: its name without `.safetensors`. */
export function nameOfFile(fileName: string): string {
  return fileName.replace(/\.safetensors$/i, '') || 'checkpoint';
}
