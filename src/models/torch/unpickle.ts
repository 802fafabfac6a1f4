/**
 * A strict pickle reader for the data.pkl of torch.save archives. Pickle can call any importable
 * Python function, so this reader runs no code: it knows only the opcodes torch.save emits
 * (protocol 2, plus the handful protocol 4 adds, for files saved with pickle_protocol=4) and asks
 * `hooks.resolveGlobal` for every GLOBAL, which refuses whatever is not on the whitelist.
 *
 * Python values become: dict/OrderedDict → Map (insertion order), list and tuple → array,
 * int → number (bigint beyond 2^53), float → number, str → string, bytes → Uint8Array,
 * None → null, bool → boolean.
 */
import { TorchReadError } from './errors.ts';

/** A whitelisted Python callable. */
export interface PyGlobal {
  readonly qualifiedName: string;
  call(args: unknown[]): unknown;
}

export interface UnpickleHooks {
  /** Returns the callable or throws a refusal naming the file and the global. */
  resolveGlobal(module: string, name: string): PyGlobal;
  persistentLoad(pid: unknown): unknown;
  /** BUILD: set `state` on `obj`; returns nothing, throws when the object takes no state. */
  build(obj: unknown, state: unknown): void;
}

export function isPyGlobal(v: unknown): v is PyGlobal {
  return typeof v === 'object' && v !== null && typeof (v as PyGlobal).call === 'function' && typeof (v as PyGlobal).qualifiedName === 'string';
}

const MARK = Symbol('mark');

function intFromLittleEndian(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

export function unpickle(bytes: Uint8Array, file: string, hooks: UnpickleHooks, what = 'data.pkl'): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  let op = 0;
  let opAt = 0;

  const fail = (problem: string): never => {
    throw new TorchReadError(file, `${what} byte ${opAt}: ${problem}`);
  };
  const need = (n: number): number => {
    if (pos + n > bytes.length) fail(`the pickle ends inside opcode 0x${op.toString(16).padStart(2, '0')} (truncated)`);
    const at = pos;
    pos += n;
    return at;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK on the stack');
    return stack.splice(m as number);
  };
  const str = (n: number): string => {
    const at = need(n);
    try {
      return utf8.decode(bytes.subarray(at, at + n));
    } catch {
      return fail('a string is not valid UTF-8');
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('the pickle ends inside a GLOBAL name (truncated)');
    const s = new TextDecoder('utf-8').decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (!(target instanceof Map)) fail('SETITEM(S) on something that is not a dict');
    if (items.length % 2) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (target as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const call = (fn: unknown, args: unknown): unknown => {
    if (!isPyGlobal(fn)) fail('REDUCE on something that is not a whitelisted callable');
    if (!Array.isArray(args)) fail('REDUCE arguments are not a tuple');
    return (fn as PyGlobal).call(args as unknown[]);
  };
  const get = (i: number): void => {
    if (!memo.has(i)) fail(`memo entry ${i} is read before it is written`);
    stack.push(memo.get(i));
  };

  for (;;) {
    opAt = pos;
    if (pos >= bytes.length) fail('the pickle ends before its STOP opcode (truncated)');
    op = bytes[need(1)];
    switch (op) {
      case 0x80: // PROTO
        if (bytes[need(1)] > 4) fail(`pickle protocol ${bytes[pos - 1]} is not supported (torch.save writes 2)`);
        break;
      case 0x95: // FRAME (protocol 4): a length prefix only
        need(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) fail('STOP with a malformed stack');
        return stack[0];
      case 0x63: { // GLOBAL "module\nname\n"
        const module = line();
        stack.push(hooks.resolveGlobal(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(hooks.resolveGlobal(module as string, name as string));
        break;
      }
      case 0x71: // BINPUT
        memo.set(bytes[need(1)], top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(view.getUint32(need(4), true), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        get(bytes[need(1)]);
        break;
      case 0x6a: // LONG_BINGET
        get(view.getUint32(need(4), true));
        break;
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: { // APPEND
        const v = pop();
        const list = top();
        if (!Array.isArray(list)) fail('APPEND to something that is not a list');
        (list as unknown[]).push(v);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) fail('APPENDS to something that is not a list');
        for (const v of items) (list as unknown[]).push(v);
        break;
      }
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        stack.push(bytes[need(1)]);
        break;
      case 0x4d: // BININT2
        stack.push(view.getUint16(need(2), true));
        break;
      case 0x8a: { // LONG1
        const n = bytes[need(1)];
        const at = need(n);
        stack.push(intFromLittleEndian(bytes.subarray(at, at + n)));
        break;
      }
      case 0x8b: { // LONG4
        const n = view.getInt32(need(4), true);
        if (n < 0 || n > 64) fail(`LONG4 of ${n} bytes is not a plausible checkpoint value`);
        const at = need(n);
        stack.push(intFromLittleEndian(bytes.subarray(at, at + n)));
        break;
      }
      case 0x47: // BINFLOAT (big-endian, unlike everything else)
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(str(bytes[need(1)]));
        break;
      case 0x58: // BINUNICODE
        stack.push(str(view.getUint32(need(4), true)));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(str(u64Length(view, need(8), fail)));
        break;
      case 0x43: { // SHORT_BINBYTES
        const n = bytes[need(1)];
        const at = need(n);
        stack.push(bytes.slice(at, at + n));
        break;
      }
      case 0x42: { // BINBYTES
        const n = view.getUint32(need(4), true);
        const at = need(n);
        stack.push(bytes.slice(at, at + n));
        break;
      }
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(call(fn, args));
        break;
      }
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args), same whitelist as REDUCE
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        hooks.build(top(), state);
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      default:
        fail(`pickle opcode 0x${op.toString(16).padStart(2, '0')} is not one torch.save writes; refusing the file`);
    }
  }
}

function u64Length(view: DataView, at: number, fail: (p: string) => never): number {
  const n = view.getBigUint64(at, true);
  if (n > 0x7fffffffn) fail(`a ${n}-byte string is not plausible in a checkpoint`);
  return Number(n);
}
