/**
 * The sample download against a real HTTP server on this machine (the source itself is not
 * reachable from the test machines): verified bytes open, anything else is refused with its reason.
 * The recorded checksums are checked against the shared copy of the files.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TS_SAMPLE, type SampleFile } from '../../core/totalSegmentatorSample.ts';
import { DEMO_CT, DEMO_SEG, sharedDemoPresent } from '../../node/testing/sharedDemo.ts';
import { downloadVerified } from './sampleDownload.ts';

const present = sharedDemoPresent('the TotalSegmentator sample checksums', [DEMO_CT, DEMO_SEG]);

const BODY = new Uint8Array(Array.from({ length: 40_000 }, (_, n) => (n * 2654435761) >>> 24));
const FILE: SampleFile = {
  name: 'x.nii.gz',
  sourceName: 'x.nii.gz',
  url: 'https://example.invalid/x.nii.gz',
  sha256: createHash('sha256').update(BODY).digest('hex'),
  bytes: BODY.length,
};

let server: Server;
let origin: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/good') return void res.end(BODY);
    if (req.url === '/tampered') return void res.end(Uint8Array.from(BODY, (v, n) => (n === 100 ? v ^ 1 : v)));
    if (req.url === '/longer') return void res.end(new Uint8Array(BODY.length + 10));
    res.statusCode = 404;
    res.end('no');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('downloadVerified', () => {
  it('returns the bytes when the SHA-256 matches', async () => {
    expect(await downloadVerified(FILE, `${origin}/good`)).toEqual(BODY);
  });

  it('refuses another file, a longer one, a missing one and an unreachable server, saying which', async () => {
    await expect(downloadVerified(FILE, `${origin}/tampered`)).rejects.toThrow(/x\.nii\.gz from 127\.0\.0\.1:\d+ is not the expected file \(SHA-256 [0-9a-f]{12}…, expected [0-9a-f]{12}…, 40000 bytes\); not opened/);
    await expect(downloadVerified(FILE, `${origin}/longer`)).rejects.toThrow(/sends 40010 bytes, the sample has 40000; not opened/);
    await expect(downloadVerified(FILE, `${origin}/gone`)).rejects.toThrow(/could not download x\.nii\.gz from 127\.0\.0\.1:\d+: HTTP 404/);
    // A port nothing listens on: what "offline" looks like to fetch.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(downloadVerified(FILE, `http://127.0.0.1:${port}/x`)).rejects.toThrow(/could not download x\.nii\.gz from 127\.0\.0\.1:\d+: offline, or the request was blocked/);
  });
});

describe.skipIf(!present)('the recorded TotalSegmentator sample', () => {
  it('has the checksum and size of the shared copy, and downloads through the same check', async () => {
    for (const [file, path] of [[TS_SAMPLE.image, DEMO_CT], [TS_SAMPLE.labels, DEMO_SEG]] as const) {
      const bytes = readFileSync(path);
      expect(createHash('sha256').update(bytes).digest('hex'), path).toBe(file.sha256);
      expect(bytes.length, path).toBe(file.bytes);
      expect(file.url).toMatch(new RegExp(`^https://raw\\.githubusercontent\\.com/wasserth/TotalSegmentator/[0-9a-f]{40}/tests/reference_files/${file.sourceName.replace(/\./g, '\\.')}$`));
    }
    const local = createServer((_req, res) => res.end(readFileSync(DEMO_SEG)));
    await new Promise<void>((r) => local.listen(0, '127.0.0.1', r));
    try {
      const got = await downloadVerified(TS_SAMPLE.labels, `http://127.0.0.1:${(local.address() as AddressInfo).port}/`);
      expect(got.length).toBe(TS_SAMPLE.labels.bytes);
    } finally {
      await new Promise<void>((r) => local.close(() => r()));
    }
  });
});
