/** Every way a file can be refused gets its own message naming the file. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath, officialFixturesPresent } from '../../node/testing/officialFixtures.ts';
import { readTorchCheckpoint } from './index.ts';
import { f32Bytes, PickleWriter, storedZip, torchZip } from './testUtil.ts';

const present = officialFixturesPresent('torch reader refusal of a truncated real file');
const read = (name: string, pkl: Uint8Array, storages: Record<string, Uint8Array> = {}) => () => readTorchCheckpoint(torchZip(pkl, storages), name);

/** {'w': FloatStorage key '0' of numel elements viewed as shape/stride}. */
function oneTensor(numel: number, size: number[], stride: number[], offset = 0): Uint8Array {
  return new PickleWriter().emptyDict().mark().str('w').tensor('FloatStorage', '0', numel, offset, size, stride).setItems().bytes();
}

describe('torch checkpoint refusals', () => {
  it.skipIf(!present)('a truncated copy of a real checkpoint', () => {
    const whole = new Uint8Array(readFileSync(fixturePath('ckpt-tgan-dummy.pt')));
    expect(() => readTorchCheckpoint(whole.subarray(0, 30000), 'cut.pt')).toThrow(/^cut\.pt: the zip archive is truncated/);
  });

  it('random bytes and an empty file', () => {
    let seed = 7;
    const noise = Uint8Array.from({ length: 4096 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
    expect(() => readTorchCheckpoint(noise, 'noise.pt')).toThrow('noise.pt: not a torch.save file (neither a zip archive nor a legacy torch pickle)');
    expect(() => readTorchCheckpoint(new Uint8Array(0), 'empty.pt')).toThrow(/^empty\.pt: not a torch\.save file/);
  });

  it('a zip without data.pkl', () => {
    const zip = storedZip([['model/weights.bin', f32Bytes([1, 2])]]);
    expect(() => readTorchCheckpoint(zip, 'other.zip')).toThrow('other.zip: a zip archive without a data.pkl record, so not a torch.save checkpoint');
  });

  it('a legacy (pre-1.6) torch.save file', () => {
    const legacy = Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
    expect(() => readTorchCheckpoint(legacy, 'old.pt')).toThrow(/^old\.pt: a legacy \(pre-1\.6\) torch\.save file; re-save it with torch ≥ 1\.6/);
  });

  it('a pickle naming a foreign global, before anything is called', () => {
    const pkl = new PickleWriter().global('os', 'system').str('echo hi').raw(0x85).reduce().bytes();
    expect(read('evil.pt', pkl)).toThrow('evil.pt: refusing pickle global "os.system" (only tensors, dicts, lists and numbers are read)');
    const pkl2 = new PickleWriter().global('builtins', 'eval').bytes();
    expect(read('evil2.pt', pkl2)).toThrow('evil2.pt: refusing pickle global "builtins.eval"');
  });

  it('a missing storage record, and a storage too short for the tensor', () => {
    expect(read('nostore.pt', oneTensor(4, [4], [1]))).toThrow('nostore.pt: storage record "archive/data/0" is missing from the archive');
    expect(read('short.pt', oneTensor(4, [4], [1]), { '0': f32Bytes([1, 2, 3]) })).toThrow('short.pt: storage record "archive/data/0" holds 12 bytes; 4 float32 elements need 16');
    // The storage is whole but the view reaches past it: offset 2 + 4 elements > 5.
    expect(read('view.pt', oneTensor(5, [4], [1], 2), { '0': f32Bytes([1, 2, 3, 4, 5]) })).toThrow(
      'view.pt: a float32 tensor of shape [4] (offset 2, stride [1]) needs 6 elements of storage "0", which holds 5',
    );
    expect(read('stride.pt', oneTensor(6, [2, 3], [4, 1]), { '0': f32Bytes([1, 2, 3, 4, 5, 6]) })).toThrow(/^stride\.pt: .* needs 7 elements of storage "0", which holds 6/);
  });

  it('big-endian storages, compressed entries, TorchScript, two data.pkl records', () => {
    const pkl = new PickleWriter().emptyDict().bytes();
    const big = torchZip(pkl, {}, { extra: [['archive/byteorder', new TextEncoder().encode('big')]] });
    expect(() => readTorchCheckpoint(big, 'be.pt')).toThrow('be.pt: storages are big-endian; only little-endian checkpoints are read');
    expect(() => readTorchCheckpoint(torchZip(pkl, {}, { method: 8 }), 'deflated.pt')).toThrow('deflated.pt: zip entry "archive/data.pkl" is compressed (method deflate)');
    const jit = torchZip(pkl, {}, { extra: [['archive/constants.pkl', pkl]] });
    expect(() => readTorchCheckpoint(jit, 'jit.pt')).toThrow('jit.pt: a TorchScript archive (torch.jit.save), not a checkpoint');
    const two = torchZip(pkl, {}, { extra: [['other/data.pkl', pkl]] });
    expect(() => readTorchCheckpoint(two, 'two.pt')).toThrow('two.pt: the zip holds 2 data.pkl records (archive/data.pkl, other/data.pkl)');
  });

  it('malformed pickles: unknown opcode, truncation, stack misuse, a damaged data.pkl', () => {
    expect(read('op.pt', new PickleWriter().raw(0x69).bytes())).toThrow('op.pt: archive/data.pkl byte 2: pickle opcode 0x69 is not one torch.save writes');
    expect(read('cut.pt', new PickleWriter().bytes().subarray(0, 2))).toThrow('cut.pt: archive/data.pkl byte 2: the pickle ends before its STOP opcode (truncated)');
    expect(read('cut2.pt', new PickleWriter().str('abc').bytes().subarray(0, 8))).toThrow('cut2.pt: archive/data.pkl byte 2: the pickle ends inside opcode 0x58 (truncated)');
    expect(read('get.pt', new PickleWriter().raw(0x68, 5).bytes())).toThrow('get.pt: archive/data.pkl byte 2: memo entry 5 is read before it is written');
    expect(read('set.pt', new PickleWriter().str('a').str('b').raw(0x73).bytes())).toThrow(/set\.pt: .*stack underflow/);
    expect(read('call.pt', new PickleWriter().str('f').emptyTuple().reduce().bytes())).toThrow('call.pt: archive/data.pkl byte 9: REDUCE on something that is not a whitelisted callable');
    const dictBuild = new PickleWriter().emptyDict().emptyDict().mark().str('x').int(1).setItems().build().bytes();
    expect(read('build.pt', dictBuild)).toThrow('build.pt: BUILD on a dict with state other than _metadata');
    const zip = torchZip(new PickleWriter().emptyDict().bytes(), {});
    zip[zip.indexOf(0x7d)] = 0x5d; // EMPTY_DICT → EMPTY_LIST inside data.pkl, CRC left as written
    expect(() => readTorchCheckpoint(zip, 'crc.pt')).toThrow('crc.pt: archive/data.pkl fails its CRC check (the file is damaged)');
  });
});
