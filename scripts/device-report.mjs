// Formats what scripts/device-check.sh collected into device-report.json and device-report.md.
// Plain Node, no packages: it runs on the device machine beside the bundles.
//   node scripts/device-report.mjs WORK_DIR OUT_DIR
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [work, out] = process.argv.slice(2);
if (!work || !out) {
  console.error('usage: node scripts/device-report.mjs WORK_DIR OUT_DIR');
  process.exit(2);
}

/** key=value lines; a key seen twice becomes a list. */
function keyValues(text) {
  const o = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i <= 0) continue;
    const k = line.slice(0, i);
    const v = line.slice(i + 1);
    if (k in o) o[k] = [].concat(o[k], v);
    else o[k] = v;
  }
  return o;
}

const lastJson = (text) => {
  for (const line of text.trim().split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line);
    } catch {
      /* a log line that only looks like JSON */
    }
  }
  return null;
};

const env = keyValues(readFileSync(join(work, 'env.txt'), 'utf8'));
const parts = [];
for (const f of readdirSync(join(work, 'parts')).filter((f) => f.endsWith('.meta')).sort()) {
  const meta = keyValues(readFileSync(join(work, 'parts', f), 'utf8'));
  const logFile = join(work, 'parts', f.replace(/\.meta$/, '.log'));
  const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  const stepJson = join(work, `${meta.name}.json`);
  // bench/paperStep.ts writes its results with --json; the others print one JSON line last.
  let result = existsSync(stepJson) ? JSON.parse(readFileSync(stepJson, 'utf8')) : lastJson(log);
  let seconds = result?.seconds;
  if (result?.results) seconds = result.results.find((r) => r.seconds !== undefined)?.seconds;
  parts.push({
    name: meta.name,
    status: meta.status,
    command: meta.command,
    rc: meta.rc === undefined ? null : Number(meta.rc),
    wallSeconds: meta.seconds === undefined ? null : Number(meta.seconds),
    limitSeconds: meta.limit === undefined ? null : Number(meta.limit),
    measuredSeconds: seconds ?? null,
    result,
    logTail: log.split('\n').slice(-60).join('\n'),
  });
}

const by = Object.fromEntries(parts.map((p) => [p.name, p]));
const ratio = (a, b, what) => {
  const x = by[a]?.measuredSeconds;
  const y = by[b]?.measuredSeconds;
  return x && y ? { what, ours: a, reference: b, ratio: x / y } : null;
};
const ratios = [
  ratio('step_webgpu', 'torch_step_cuda', 'training step: tfjs webgpu (Dawn) ÷ PyTorch CUDA'),
  ratio('step_webgpu', 'torch_step_cpu', 'training step: tfjs webgpu (Dawn) ÷ PyTorch CPU (all cores)'),
  ratio('step_cpu', 'torch_step_cpu', 'training step: tfjs cpu ÷ PyTorch CPU (all cores)'),
  ratio('forward_webgpu', 'torch_forward_cpu', 'G forward: tfjs webgpu (Dawn) ÷ PyTorch CPU (all cores)'),
  ratio('forward_cpu', 'torch_forward_cpu', 'G forward: tfjs cpu ÷ PyTorch CPU (all cores)'),
].filter(Boolean);

const report = { kind: 'freetumor GPU device check', env, ratios, parts };
writeFileSync(join(out, 'device-report.json'), `${JSON.stringify(report, null, 2)}\n`);

const list = (v) => (v === undefined ? [] : [].concat(v));
const md = [
  '# GPU device check',
  '',
  ...Object.entries(env)
    .filter(([k]) => k !== 'missing')
    .flatMap(([k, v]) => list(v).map((x) => `- **${k}**: ${x}`)),
  ...list(env.missing).map((m) => `- **MISSING**: ${m}`),
  '',
  '| part | status | measured | wall | limit |',
  '| --- | --- | ---: | ---: | ---: |',
  ...parts.map((p) => `| ${p.name} | ${p.status ?? '—'} | ${p.measuredSeconds != null ? `${p.measuredSeconds.toFixed(3)} s` : '—'} | ${p.wallSeconds != null ? `${p.wallSeconds} s` : '—'} | ${p.limitSeconds != null ? `${p.limitSeconds} s` : '—'} |`),
  '',
  ...(ratios.length ? ['| ratio | value |', '| --- | ---: |', ...ratios.map((r) => `| ${r.what} | ×${r.ratio.toFixed(2)} |`), ''] : ['No ratio: a side of each pair is missing.', '']),
  ...parts
    .filter((p) => p.command)
    .flatMap((p) => [`## ${p.name}`, '', `\`${p.command}\` → ${p.status}`, '', '```', p.logTail.split('\n').slice(-30).join('\n'), '```', '']),
].join('\n');
writeFileSync(join(out, 'device-report.md'), md);
console.log(`wrote ${join(out, 'device-report.json')} and device-report.md (${parts.length} parts, ${ratios.length} ratios)`);
