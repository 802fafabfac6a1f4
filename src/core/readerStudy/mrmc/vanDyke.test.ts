/**
 * The MRMC analyses against the published Van Dyke example (../shared/fixtures/mrmc-vandyke:
 * third-party data, read in place, never copied into this repository).
 *
 * Data: Van Dyke CW, White RD, Obuchowski NA, Geisinger MA, Lorig RJ, Meziane MA (1993), "Cine MRI
 * in the diagnosis of thoracic aortic dissection", 79th RSNA Meeting; 5 readers × 2 modalities ×
 * 114 cases, as distributed with the OR-DBM MRMC software, MRMCaov (VanDyke.RData) and RJafroc
 * (dataset02). Published outputs, each check citing its source id (expected.json):
 * - S1 OR-DBM MRMC 2.51 (Iowa) "VanDyke trap area jackknife anova.txt", RJafroc inst/Iowa/VanDyke.txt @44b0e39e;
 * - S2 / S2R the same program on treatment 1 only / reader 1 only (inst/Iowa/VanDyke1T.txt, VanDyke1R.txt);
 * - S3 MRMCaov README @f706a0d3 (jackknife, RRRC); S4 MRMCaov JSS manuscript docs/jss/MRMCaov.tex
 *   @d79e49bc (DeLong, fixed readers, fixed cases); S5 JAFROC 4.2.1 DBM output (single precision).
 * Methods cited by the OR-DBM MRMC user agreement: Dorfman, Berbaum & Metz 1992; Obuchowski &
 * Rockette 1995; Hillis et al. 2005; Hillis 2007; Hillis, Berbaum & Metz 2008.
 * Sample size: RJafroc tests/testthat/test-SsSampleSizeRoc.R @0b362c1c (SsPowerGivenJK and
 * SsSampleSizeKGivenJ on dataset02, method "OR"), after Hillis, Obuchowski & Berbaum 2011.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dbmAnalysis } from './dbm.ts';
import { delongCovariance } from './delong.ts';
import type { MrmcData } from './design.ts';
import { parseLongTable } from './exports.ts';
import { AUC } from './figuresOfMerit.ts';
import { jackknifeCovariance } from './jackknife.ts';
import { orhAnalysis, type OrhResult } from './orh.ts';
import { casesForPower, comparisonPower } from './sampleSize.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const FIXTURE = join(process.env.FTW_SHARED ? resolve(process.env.FTW_SHARED) : resolve(REPO_ROOT, '..', 'shared'), 'fixtures', 'mrmc-vandyke');
const present = existsSync(join(FIXTURE, 'expected.json')) && existsSync(join(FIXTURE, 'vandyke.csv'));
if (!present) console.warn(`SKIPPED Van Dyke MRMC checks: fixture not found at ${FIXTURE} (../shared beside the checkout, or FTW_SHARED)`);

interface Check {
  key: string;
  value: number;
  abs_tol: number;
  source: string;
}

/** Every quantity expected.json names, computed here, by its key. */
function ourValues(data: MrmcData): Map<string, number> {
  const jk = orhAnalysis(jackknifeCovariance(data, AUC));
  const dl = orhAnalysis(delongCovariance(data, AUC));
  const jkCov = jackknifeCovariance(data, AUC).cov;
  const dbm = dbmAnalysis(data, AUC);
  const v = new Map<string, number>();
  const R = data.readers.length;
  jk.fom.forEach((row, t) => row.forEach((x, r) => v.set(`auc.${t}.${r}`, x)));
  jk.modalities.forEach((m, t) => {
    v.set(`auc_mean.${t}`, m.fom);
    v.set(`MS_R_by_modality.${t}`, m.msR);
    v.set(`RRFC.single.${t}.se`, m.RRFC.se);
    m.RRFC.ci.forEach((x, i) => v.set(`RRFC.single.${t}.ci.${i}`, x));
  });
  v.set('diff_1_minus_2', jk.differences[0].RRRC.estimate);
  v.set('MS_T', jk.anova.msT);
  v.set('MS_R', jk.anova.msR);
  v.set('MS_TR', jk.anova.msTR);
  const orSet = (prefix: string, res: OrhResult) => {
    const c = res.components;
    v.set(`${prefix}.VarR`, c.varR);
    v.set(`${prefix}.VarTR`, c.varTR);
    v.set(`${prefix}.Var`, c.var);
    v.set(`${prefix}.Cov1`, c.cov1);
    v.set(`${prefix}.Cov2`, c.cov2);
    v.set(`${prefix}.Cov3`, c.cov3);
    const test = res.tests!.RRRC;
    const d = res.differences[0].RRRC;
    v.set(`${prefix}.RRRC.den`, test.den);
    v.set(`${prefix}.RRRC.F`, test.statistic);
    v.set(`${prefix}.RRRC.ddf`, test.ddf);
    v.set(`${prefix}.RRRC.p`, test.p);
    v.set(`${prefix}.RRRC.se`, d.se);
    v.set(`${prefix}.RRRC.t`, d.t);
    d.ci.forEach((x, i) => v.set(`${prefix}.RRRC.ci.${i}`, x));
    res.modalities.forEach((m, t) => {
      const s = `${prefix}.single_modality.${t}`;
      v.set(`${s}.Cov2_i`, m.cov2);
      v.set(`${s}.Var_i`, m.var);
      v.set(`${s}.RRRC_se`, m.RRRC.se);
      v.set(`${s}.RRRC_df`, m.RRRC.df);
      m.RRRC.ci.forEach((x, i) => v.set(`${s}.RRRC_ci.${i}`, x));
      v.set(`${s}.FRRC_se`, m.FRRC.se);
      m.FRRC.ci.forEach((x, i) => v.set(`${s}.FRRC_ci.${i}`, x));
    });
  };
  orSet('jackknife', jk);
  orSet('delong', dl);
  const frrc = jk.tests!.FRRC;
  const dF = jk.differences[0].FRRC;
  v.set('jackknife.FRRC.den', frrc.den);
  v.set('jackknife.FRRC.X2', frrc.statistic);
  v.set('jackknife.FRRC.p', frrc.p);
  v.set('jackknife.FRRC.se', dF.se);
  v.set('jackknife.FRRC.z', dF.z);
  dF.ci.forEach((x, i) => v.set(`jackknife.FRRC.ci.${i}`, x));
  jk.differences[0].perReader.forEach((p, r) => {
    for (const [k, x] of Object.entries({ diff: p.diff, se: p.se, z: p.z, p: p.p, Var: p.var, Cov1: p.cov1 })) v.set(`jackknife.FRRC_per_reader.${r}.${k}`, x);
  });
  jk.fom.forEach((row, t) => row.forEach((_, r) => v.set(`jackknife.var_each.${t}.${r}`, jkCov[t * R + r][t * R + r])));
  const rrfc = jk.tests!.RRFC;
  const dR = jk.differences[0].RRFC;
  v.set('RRFC.F', rrfc.statistic);
  v.set('RRFC.p', rrfc.p);
  v.set('RRFC.se', dR.se);
  dR.ci.forEach((x, i) => v.set(`RRFC.ci.${i}`, x));
  const vc = dbm.varianceComponents;
  for (const [k, x] of Object.entries({ VarR: vc.R, VarC: vc.C, VarTR: vc.TR, VarTC: vc.TC, VarRC: vc.RC, VarErr: vc.error })) v.set(`DBM.varcomp.${k}`, x);
  for (const [k, x] of Object.entries(dbm.ms)) v.set(`DBM.MS.${k}`, x);
  for (const g of ['RRRC', 'FRRC'] as const) {
    v.set(`DBM.${g}.F`, dbm[g].F);
    v.set(`DBM.${g}.ddf`, dbm[g].ddf);
    v.set(`DBM.${g}.p`, dbm[g].p);
  }
  return v;
}

const load = () => {
  const data = parseLongTable(readFileSync(join(FIXTURE, 'vandyke.csv'), 'utf8'), 'vandyke.csv');
  const checks = (JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as { checks: Check[] }).checks;
  return { data, checks };
};

describe.runIf(present)('Van Dyke (1993): every published value in expected.json', () => {
  const { data, checks } = present ? load() : { data: null, checks: [] as Check[] };
  const ours = data ? ourValues(data) : new Map<string, number>();
  it('reads 5 readers × 2 modalities × 114 cases, 45 diseased', () => {
    expect(data!.readers).toHaveLength(5);
    expect(data!.modalities).toHaveLength(2);
    expect(data!.cases).toHaveLength(114);
    expect(data!.truth.filter((y) => y === 1)).toHaveLength(45);
    expect(checks).toHaveLength(147);
  });
  it.each(checks.map((c) => [c.key, c] as const))('%s', (_key, c) => {
    const got = ours.get(c.key);
    expect(got, `no computed value for ${c.key}`).toBeDefined();
    expect(Math.abs(got! - c.value), `${c.key}: ours ${got}, published ${c.value} (${c.source}), tolerance ${c.abs_tol}`).toBeLessThanOrEqual(c.abs_tol);
  });
});

describe.runIf(present)('Van Dyke: single-modality and single-reader runs (S2, S2R), sensitivity as FOM (S4)', () => {
  const { data, checks } = present ? load() : { data: null, checks: [] as Check[] };
  const published = (key: string) => checks.find((c) => c.key === key)!;
  it('modality 1 alone gives the published single-modality CIs (S2: OR-DBM MRMC on treatment 1 only)', () => {
    const one: MrmcData = { ...data!, modalities: [data!.modalities[0]], ratings: [data!.ratings[0]] };
    const m = orhAnalysis(jackknifeCovariance(one, AUC)).modalities[0];
    expect(m.fom).toBeCloseTo(0.89703704, 8);
    const near = (x: number, key: string) => expect(Math.abs(x - published(key).value)).toBeLessThanOrEqual(published(key).abs_tol);
    near(m.RRRC.se, 'jackknife.single_modality.0.RRRC_se');
    near(m.RRRC.df, 'jackknife.single_modality.0.RRRC_df');
    near(m.RRRC.ci[0], 'jackknife.single_modality.0.RRRC_ci.0');
    near(m.RRRC.ci[1], 'jackknife.single_modality.0.RRRC_ci.1');
    near(m.FRRC.ci[0], 'jackknife.single_modality.0.FRRC_ci.0');
    near(m.FRRC.ci[1], 'jackknife.single_modality.0.FRRC_ci.1');
    near(m.RRFC.ci[0], 'RRFC.single.0.ci.0');
    near(m.RRFC.ci[1], 'RRFC.single.0.ci.1');
    // S2 prints MS(R) 0.00308263 and Cov2 0.00048396 (corr 0.47723151) to 8 decimals.
    expect(m.msR).toBeCloseTo(0.00308263, 8);
    expect(m.cov2 / m.var).toBeCloseTo(0.47723151, 7);
  });
  it('reader 1 alone, readers fixed (S2R): X² 1.22011, p 0.2693, CI (−0.07818, 0.02182)', () => {
    const r1: MrmcData = { ...data!, readers: [data!.readers[0]], ratings: data!.ratings.map((t) => [t[0]]) };
    const res = orhAnalysis(jackknifeCovariance(r1, AUC));
    expect(res.tests!.FRRC.statistic).toBeCloseTo(1.22011, 5);
    expect(res.tests!.FRRC.p).toBeCloseTo(0.2693, 4);
    expect(res.differences[0].FRRC.ci[0]).toBeCloseTo(-0.07818, 5);
    expect(res.differences[0].FRRC.ci[1]).toBeCloseTo(0.02182, 5);
    expect(res.modalities[0].FRRC.se).toBeCloseTo(0.03012552, 8);
    expect(res.modalities[1].FRRC.se).toBeCloseTo(0.02214169, 8);
    // No reader pairs: the random-reader analyses are undefined, not made up.
    expect(res.tests!.RRRC.p).toBeNaN();
  });
  it('sensitivity at rating ≥ 3 as the FOM, jackknife over the 45 positives, RRRC (S4): F 6.689493, ddf 15.71732, p 0.02008822', () => {
    const sens = { kind: 'sensitivity', threshold: 3 } as const;
    const res = orhAnalysis(jackknifeCovariance(data!, sens));
    expect(res.components.var).toBeCloseTo(0.0023681257, 10);
    expect(res.components.cov1).toBeCloseTo(0.0009943883, 10);
    expect(res.components.cov2).toBeCloseTo(0.0010145903, 10);
    expect(res.components.cov3).toBeCloseTo(0.0006604938, 10);
    expect(res.tests!.RRRC.statistic).toBeCloseTo(6.689493, 6);
    expect(res.tests!.RRRC.ddf).toBeCloseTo(15.71732, 5);
    expect(res.tests!.RRRC.p).toBeCloseTo(0.02008822, 8);
    expect(res.differences[0].RRRC.ci[0]).toBeCloseTo(-0.1780371, 7);
    expect(res.differences[0].RRRC.ci[1]).toBeCloseTo(-0.0175185, 7);
    const m = res.modalities[0];
    expect(m.fom).toBeCloseTo(0.8222222, 7);
    expect(m.RRRC.se).toBeCloseTo(0.05893747, 8);
    expect(m.RRRC.df).toBeCloseTo(14.456811, 6);
    expect(m.RRRC.ci[0]).toBeCloseTo(0.6961876, 7);
    expect(m.RRRC.ci[1]).toBeCloseTo(0.9482568, 7);
    // For a proportion the jackknife variance is s²/n, which is DeLong's estimate too.
    const dl = orhAnalysis(delongCovariance(data!, sens));
    expect(dl.components.var).toBeCloseTo(res.components.var, 14);
    expect(dl.components.cov3).toBeCloseTo(res.components.cov3, 14);
  });
  it('DBM with jackknife pseudovalues equals ORH-jackknife for random readers and cases (Hillis et al. 2005)', () => {
    const jk = orhAnalysis(jackknifeCovariance(data!, AUC));
    const dbm = dbmAnalysis(data!, AUC);
    expect(dbm.RRRC.F).toBeCloseTo(jk.tests!.RRRC.statistic, 9);
    expect(dbm.RRRC.ddf).toBeCloseTo(jk.tests!.RRRC.ddf, 8);
    expect(dbm.varianceComponents.R).toBeCloseTo(jk.components.varR, 12);
  });
});

describe.runIf(present)('Van Dyke: sample size (RJafroc test-SsSampleSizeRoc.R @0b362c1c, OR method)', () => {
  const { data } = present ? load() : { data: null };
  const jk = data ? orhAnalysis(jackknifeCovariance(data, AUC)) : null;
  const pilot = () => ({ kStar: 114, varTR: jk!.components.varTR, var: jk!.components.var, cov1: jk!.components.cov1, cov2: jk!.components.cov2, cov3: jk!.components.cov3 });
  const observed = () => jk!.differences[0].RRRC.estimate;
  it('power at J = 6, K = 111 with the observed effect is 0.5526116 (tolerance 5e-8 as published)', () => {
    expect(Math.abs(comparisonPower(pilot(), 6, 111, observed()).power - 0.5526116)).toBeLessThan(5e-8);
  });
  it('effect −0.043800322: RRRC J = 10, K = 165 → 0.80541995; FRRC K = 131 → 0.80091813; RRFC K = 53 → 0.80496663', () => {
    expect(comparisonPower(pilot(), 10, 165, -0.043800322).power).toBeCloseTo(0.80541995, 8);
    expect(comparisonPower(pilot(), 10, 131, -0.043800322, 0.05, 'FRRC').power).toBeCloseTo(0.80091813, 8);
    expect(comparisonPower(pilot(), 10, 53, -0.043800322, 0.05, 'RRFC').power).toBeCloseTo(0.80496663, 8);
  });
  it('cases for 80 % power with 6 readers: 251', () => {
    expect(casesForPower((k) => comparisonPower(pilot(), 6, k, observed()).power, 0.8)).toBe(251);
  });
});
