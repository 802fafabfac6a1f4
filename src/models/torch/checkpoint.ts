/**
 * readTorchCheckpoint: a torch.save (≥ 1.6, zip) file → plain JS values, tensors included.
 * Pure TypeScript on a Uint8Array so a Web Worker and the Node CLI share it.
 */
import { TorchReadError } from './errors.ts';
import { isStorageClass, torchGlobals } from './globals.ts';
import { bytesPerElement, type TorchStorage } from './tensor.ts';
import { unpickle } from './unpickle.ts';
import { crc32, entryBytes, readZipDirectory, type ZipEntry } from './zip.ts';

export interface TorchFile {
  /** The unpickled object: Map for dicts (order kept), arrays, numbers, strings, null, TorchTensor. */
  object: unknown;
  /** The archive's `version` record (torch writes "3"), or null when absent. */
  version: string | null;
  /** The folder the records live in, e.g. "ckpt/" (torch uses the file's stem). */
  recordPrefix: string;
}

/** Pre-1.6 torch.save begins with a pickled magic number: PROTO 2, LONG1 of 10 bytes, 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

function isLegacy(bytes: Uint8Array): boolean {
  return bytes.length >= LEGACY_MAGIC.length && LEGACY_MAGIC.every((b, i) => bytes[i] === b);
}

function findDataPkl(entries: Map<string, ZipEntry>, file: string): string {
  const prefixes = [...entries.keys()].filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl')).map((n) => n.slice(0, -'data.pkl'.length));
  if (prefixes.length === 0) throw new TorchReadError(file, 'a zip archive without a data.pkl record, so not a torch.save checkpoint');
  if (prefixes.length > 1) throw new TorchReadError(file, `the zip holds ${prefixes.length} data.pkl records (${prefixes.map((p) => `${p}data.pkl`).join(', ')}); a torch.save file has one`);
  return prefixes[0];
}

function textRecord(bytes: Uint8Array, entries: Map<string, ZipEntry>, name: string): string | null {
  const e = entries.get(name);
  return e ? new TextDecoder().decode(entryBytes(bytes, e)).trim() : null;
}

export function readTorchCheckpoint(bytes: Uint8Array, fileName: string): TorchFile {
  if (isLegacy(bytes)) {
    throw new TorchReadError(fileName, 'a legacy (pre-1.6) torch.save file; re-save it with torch ≥ 1.6 (torch.save(torch.load(path), new_path)) to read it here');
  }
  const entries = readZipDirectory(bytes, fileName);
  const prefix = findDataPkl(entries, fileName);
  if (entries.has(`${prefix}constants.pkl`)) {
    // torch.jit.save archives also hold data.pkl, but pickle TorchScript module objects in it.
    throw new TorchReadError(fileName, 'a TorchScript archive (torch.jit.save), not a checkpoint; save the weights with torch.save(model.state_dict(), path)');
  }
  const byteorder = textRecord(bytes, entries, `${prefix}byteorder`);
  if (byteorder !== null && byteorder !== 'little') {
    throw new TorchReadError(fileName, `storages are ${byteorder}-endian; only little-endian checkpoints are read (re-save it on a little-endian machine)`);
  }
  const pklEntry = entries.get(`${prefix}data.pkl`) as ZipEntry;
  const pkl = entryBytes(bytes, pklEntry);
  if (crc32(pkl) !== pklEntry.crc32) throw new TorchReadError(fileName, `${prefix}data.pkl fails its CRC check (the file is damaged)`);

  const globals = torchGlobals(fileName);
  const storages = new Map<string, TorchStorage>();
  const persistentLoad = (pid: unknown): TorchStorage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length !== 5) {
      throw new TorchReadError(fileName, `unexpected persistent id ${JSON.stringify(pid, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    }
    const [, cls, key, , numel] = pid;
    if (!isStorageClass(cls)) throw new TorchReadError(fileName, 'a persistent id names no torch storage class');
    if (typeof key !== 'string' || !Number.isSafeInteger(numel) || numel < 0) throw new TorchReadError(fileName, `malformed storage id for key ${String(key)}`);
    const seen = storages.get(key);
    if (seen) {
      if (seen.dtype !== cls.storageDtype) throw new TorchReadError(fileName, `storage "${key}" is read as both ${seen.dtype} and ${cls.storageDtype}`);
      return seen;
    }
    const name = `${prefix}data/${key}`;
    const entry = entries.get(name);
    if (!entry) throw new TorchReadError(fileName, `storage record "${name}" is missing from the archive`);
    const need = numel * bytesPerElement(cls.storageDtype);
    if (entry.size < need) {
      throw new TorchReadError(fileName, `storage record "${name}" holds ${entry.size} bytes; ${numel} ${cls.storageDtype} elements need ${need}`);
    }
    const storage: TorchStorage = { dtype: cls.storageDtype, key, numel, bytes: entryBytes(bytes, entry) };
    storages.set(key, storage);
    return storage;
  };

  const object = unpickle(pkl, fileName, { resolveGlobal: globals.resolveGlobal, build: globals.build, persistentLoad }, `${prefix}data.pkl`);
  return { object, version: textRecord(bytes, entries, `${prefix}version`), recordPrefix: prefix };
}
