import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, AppProps, Aspects, DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import { AwsSolutionsChecks } from 'cdk-nag';

/** A finding cdk-nag left unsuppressed: where, which rule, what it said. */
export interface NagFinding {
  readonly path: string;
  readonly rule: string;
}

/**
 * Apply the AwsSolutions pack to `stack` and return the errors it left unsuppressed
 * (suppressions must carry a reason; cdk-nag refuses ones that don't).
 */
export function nagErrors(stack: Stack): NagFinding[] {
  Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true, reports: false }));
  return Annotations.fromStack(stack)
    .findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))
    .map((m) => ({ path: m.id, rule: String(m.entry.data).split(/[:[]/)[0] }));
}

/** One CloudFormation Guard (Control Tower rules) violation. */
export interface GuardViolation {
  readonly rule: string;
  readonly resources: string[];
}

/**
 * An App whose synth runs the CloudFormation Guard validator with the Control Tower
 * proactive-control rules. Call `guardViolations(app)` to synth it and read the report.
 */
export function appWithGuard(props: AppProps = {}): App {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-'));
  return new App({
    ...props,
    outdir,
    policyValidationBeta1: [new CfnGuardValidator()],
    // Write policy-validation-report.json (and skip the pretty table on stderr).
    context: { ...props.context, '@aws-cdk/core:validationReportJson': true },
  });
}

/**
 * Synthesize an app created by `appWithGuard` and return the Guard violations.
 * aws-cdk-lib reports violations by setting process.exitCode rather than throwing:
 * read the JSON report and restore the exit code so jest is not failed by a side effect.
 */
export function guardViolations(app: App, disabledRules: string[] = []): GuardViolation[] {
  const exitCode = process.exitCode;
  const log = console.log;
  console.log = () => undefined; // "Performing Policy Validations": the report holds the result
  try {
    app.synth();
  } finally {
    console.log = log;
    process.exitCode = exitCode;
  }
  const reportPath = path.join(app.outdir, 'policy-validation-report.json');
  if (!fs.existsSync(reportPath)) {
    throw new Error(`no policy validation report at ${reportPath}: was the app created with appWithGuard()?`);
  }
  const report = JSON.parse(fs.readFileSync(reportPath, 'utf8'));
  const violations: GuardViolation[] = [];
  for (const plugin of report.pluginReports ?? []) {
    for (const v of plugin.violations ?? []) {
      if (disabledRules.includes(v.ruleName)) continue;
      violations.push({
        rule: v.ruleName,
        resources: (v.violatingConstructs ?? v.violatingResources ?? []).map((c: any) => c.constructPath ?? c.resourceLogicalId),
      });
    }
  }
  return violations;
}

/**
 * cdk-nag as a security team runs it on `cdk.out`: the synthesized template of `stack`,
 * re-imported with `CfnInclude` into a fresh stack, checked with the AwsSolutions pack.
 * The template has literal partitions and regions where the in-app Aspect saw tokens, and
 * every resource as its typed L1 (aws-cdk-lib's own custom-resource providers included),
 * so only suppressions written into the template, matching both forms, hold.
 */
export function auditedNagFindings(stack: Stack): NagFinding[] {
  const template = Template.fromStack(stack).toJSON();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nag-audit-')), 'template.json');
  fs.writeFileSync(file, JSON.stringify(template));
  const audit = new Stack(new App(), 'Audit', { synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }) });
  new CfnInclude(audit, 'Template', { templateFile: file });
  Aspects.of(audit).add(new AwsSolutionsChecks({ verbose: true, reports: false }));
  const annotations = Annotations.fromStack(audit);
  return [
    ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
  ].map((m) => ({ path: m.id, rule: String(m.entry.data).split(/[:[]/)[0] }));
}
