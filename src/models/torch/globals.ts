/**
 * The pickle globals a torch.save checkpoint may name, and what each becomes. Anything else
 * (os.system, builtins.eval, a model class pickled whole, …) is refused: this whitelist is what
 * makes opening an untrusted .pt file safe.
 */
import { TorchReadError } from './errors.ts';
import { makeTensor, STORAGE_DTYPES, type TorchDtype, type TorchStorage } from './tensor.ts';
import type { PyGlobal } from './unpickle.ts';

export interface StorageClass extends PyGlobal {
  storageDtype: TorchDtype;
}

export function isStorageClass(v: unknown): v is StorageClass {
  return typeof v === 'object' && v !== null && typeof (v as StorageClass).storageDtype === 'string';
}

export function isStorage(v: unknown): v is TorchStorage {
  return typeof v === 'object' && v !== null && (v as TorchStorage).bytes instanceof Uint8Array && typeof (v as TorchStorage).key === 'string';
}

/** numpy.dtype(code, align, copy) then BUILD with its byte order. */
interface NumpyDtype {
  numpyDtype: string;
  byteorder: string;
}

function isNumpyDtype(v: unknown): v is NumpyDtype {
  return typeof v === 'object' && v !== null && typeof (v as NumpyDtype).numpyDtype === 'string';
}

function numpyScalar(dtype: NumpyDtype, raw: Uint8Array, fail: (p: string) => never): number | bigint | boolean {
  if (dtype.byteorder === '>') fail(`a big-endian numpy scalar (${dtype.numpyDtype}) is not supported`);
  const readers: Record<string, [number, (v: DataView) => number | bigint | boolean]> = {
    f8: [8, (v) => v.getFloat64(0, true)],
    f4: [4, (v) => v.getFloat32(0, true)],
    i8: [8, (v) => v.getBigInt64(0, true)],
    u8: [8, (v) => v.getBigUint64(0, true)],
    i4: [4, (v) => v.getInt32(0, true)],
    u4: [4, (v) => v.getUint32(0, true)],
    i2: [2, (v) => v.getInt16(0, true)],
    u2: [2, (v) => v.getUint16(0, true)],
    i1: [1, (v) => v.getInt8(0)],
    u1: [1, (v) => v.getUint8(0)],
    b1: [1, (v) => v.getUint8(0) !== 0],
  };
  const reader = readers[dtype.numpyDtype];
  if (!reader) fail(`numpy scalar of dtype "${dtype.numpyDtype}" is not supported (only numbers and booleans are read)`);
  const [size, read] = reader;
  if (raw.length !== size) fail(`numpy ${dtype.numpyDtype} scalar has ${raw.length} bytes, expected ${size}`);
  const value = read(new DataView(raw.buffer, raw.byteOffset, raw.byteLength));
  if (typeof value === 'bigint' && value >= -BigInt(Number.MAX_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  return value;
}

export interface TorchGlobals {
  resolveGlobal(module: string, name: string): PyGlobal;
  build(obj: unknown, state: unknown): void;
}

export function torchGlobals(file: string): TorchGlobals {
  const fail = (problem: string): never => {
    throw new TorchReadError(file, problem);
  };
  const fn = (qualifiedName: string, call: (args: unknown[]) => unknown): PyGlobal => ({ qualifiedName, call });
  const arity = (name: string, args: unknown[], min: number, max = min): void => {
    if (args.length < min || args.length > max) fail(`${name} called with ${args.length} arguments`);
  };

  const orderedDict = fn('collections.OrderedDict', (args) => {
    const map = new Map<unknown, unknown>();
    if (args.length === 0) return map;
    if (args.length === 1 && Array.isArray(args[0])) {
      for (const pair of args[0]) {
        if (!Array.isArray(pair) || pair.length !== 2) fail('collections.OrderedDict called with something other than (key, value) pairs');
        map.set(pair[0], pair[1]);
      }
      return map;
    }
    return fail('collections.OrderedDict called with unexpected arguments');
  });
  const rebuildTensor = fn('torch._utils._rebuild_tensor_v2', (args) => {
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    arity('torch._utils._rebuild_tensor_v2', args, 6, 7);
    if (!isStorage(args[0])) fail('torch._utils._rebuild_tensor_v2 called without a storage');
    return makeTensor(args[0] as TorchStorage, args[1], args[2], args[3], file);
  });
  const rebuildParameter = fn('torch._utils._rebuild_parameter', (args) => {
    // (data, requires_grad, backward_hooks): a Parameter is its tensor for reading purposes.
    arity('torch._utils._rebuild_parameter', args, 3);
    return args[0];
  });
  const numpyScalarFn = (module: string): PyGlobal =>
    fn(`${module}.scalar`, (args) => {
      arity(`${module}.scalar`, args, 2);
      if (!isNumpyDtype(args[0]) || !(args[1] instanceof Uint8Array)) fail(`${module}.scalar needs a numpy dtype and bytes`);
      return numpyScalar(args[0] as NumpyDtype, args[1] as Uint8Array, fail);
    });
  const numpyDtype = fn('numpy.dtype', (args) => {
    arity('numpy.dtype', args, 1, 3);
    if (typeof args[0] !== 'string') fail('numpy.dtype called without a type code');
    return { numpyDtype: args[0] as string, byteorder: '=' } satisfies NumpyDtype;
  });
  const codecsEncode = fn('_codecs.encode', (args) => {
    // numpy pickles a scalar's raw bytes as a latin-1 str, turned back into bytes by this call.
    arity('_codecs.encode', args, 2);
    const [text, encoding] = args;
    if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) fail(`_codecs.encode is only read for latin1 text (got ${String(encoding)})`);
    const s = text as string;
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) fail('_codecs.encode: text is not latin-1');
      out[i] = c;
    }
    return out;
  });

  const table = new Map<string, PyGlobal>([
    ['collections.OrderedDict', orderedDict],
    ['torch._utils._rebuild_tensor_v2', rebuildTensor],
    ['torch._utils._rebuild_parameter', rebuildParameter],
    ['numpy.core.multiarray.scalar', numpyScalarFn('numpy.core.multiarray')],
    ['numpy._core.multiarray.scalar', numpyScalarFn('numpy._core.multiarray')],
    ['numpy.dtype', numpyDtype],
    ['_codecs.encode', codecsEncode],
  ]);
  for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) {
    const storageClass: StorageClass = {
      qualifiedName: `torch.${name}`,
      storageDtype: dtype,
      call: () => fail(`torch.${name} is only expected inside a persistent id`),
    };
    table.set(`torch.${name}`, storageClass);
  }

  return {
    resolveGlobal(module, name) {
      const g = table.get(`${module}.${name}`);
      if (!g) fail(`refusing pickle global "${module}.${name}" (only tensors, dicts, lists and numbers are read)`);
      return g as PyGlobal;
    },
    build(obj, state) {
      if (obj instanceof Map) {
        // An OrderedDict state_dict carries `_metadata` (per-module version numbers); accepted and
        // dropped, since the loaders here map weights by name and need none of it.
        if (state instanceof Map && [...state.keys()].every((k) => k === '_metadata')) return;
        return fail('BUILD on a dict with state other than _metadata');
      }
      if (isNumpyDtype(obj)) {
        // numpy dtype state: (version, byteorder, subarray, names, fields, elsize, alignment, flags)
        if (!Array.isArray(state) || typeof state[1] !== 'string') return fail('numpy.dtype BUILD state is malformed');
        obj.byteorder = state[1];
        return;
      }
      return fail('BUILD on an object that takes no state');
    },
  };
}
