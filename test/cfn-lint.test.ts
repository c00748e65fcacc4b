/**
 * AWS's CloudFormation linter (cfn-lint) over every template this repository produces:
 * the committed integ snapshots, the variant matrix (every construct in every mode, in
 * env-agnostic and env-bound stacks, with construct ids AWS strings may refuse) and the
 * reference system in both Atlas modes. cfn-lint checks properties against AWS's resource
 * schemas (patterns, enums, ranges) and resource availability per region, so it catches
 * what a deploy would reject before anyone deploys.
 *
 * Gate: no error (E-rule) anywhere; a warning (W-rule) only when an entry of
 * test/cfn-lint-allowlist.json matches it, with a reason. cfn-lint is preinstalled on the
 * CI image (Python, `pip install cfn-lint`); without it this test fails, it never skips.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import * as lib from '../src';
import { EC2_DESCRIPTION } from './helpers/aws-rules';
import { buildVariantMatrix } from './variants/variants';
import { ATLAS_PLACEHOLDERS, ReferenceSystemStack } from '../integ/reference-system';

const ROOT = path.join(__dirname, '..');
const CFN_LINT = process.env.CFN_LINT ?? 'cfn-lint';
/** Three commercial regions, South America, and an opt-in region (where services arrive last). */
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'sa-east-1', 'af-south-1'];
const ALLOWLIST_FILE = path.join(__dirname, 'cfn-lint-allowlist.json');

// ---- the allowlist ----

interface WarningEntry {
  readonly rule: string;
  readonly resourceType?: string | string[];
  readonly path?: string;
  readonly message: string;
  readonly files?: string;
  readonly reason: string;
}

interface RegistryType {
  readonly type: string;
  readonly reason: string;
}

interface Allowlist {
  readonly warnings: WarningEntry[];
  readonly registryTypes: RegistryType[];
}

const ALLOWLIST: Allowlist = JSON.parse(fs.readFileSync(ALLOWLIST_FILE, 'utf8')).cfnLint;

// ---- cfn-lint ----

/** One cfn-lint finding (its `--format json` output), with the resource's type and construct path added. */
interface Finding {
  readonly file: string;
  readonly rule: string;
  readonly message: string;
  readonly path: string;
  readonly line: number;
  readonly resourceType?: string;
  readonly constructPath?: string;
}

function cfnLintVersion(): string {
  const r = spawnSync(CFN_LINT, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`cfn-lint is not available (${r.error?.message ?? r.stderr.trim()}). This gate needs AWS's CloudFormation linter ` +
      'on PATH (the CI image ships cfn-lint 1.x; elsewhere: pip install cfn-lint, or set CFN_LINT to its path). It never skips.');
  }
  return r.stdout.trim();
}

/** Run cfn-lint over `files` in one process; resolves with its findings. */
function lintChunk(files: string[]): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(CFN_LINT, ['--format', 'json', '--regions', ...REGIONS, '--', ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      // Exit codes are a bit mask of the levels found (2 error, 4 warning, 8 info); 32 is a usage error.
      try {
        if (code !== null && code >= 16) throw new Error(`exit code ${code}`);
        resolve(JSON.parse(stdout || '[]'));
      } catch (e) {
        reject(new Error(`cfn-lint failed (${(e as Error).message}) on ${files.length} template(s):\n${stderr}\n${stdout.slice(0, 2000)}`));
      }
    });
  });
}

/** cfn-lint over many templates: one process per core (cfn-lint is single-threaded), each over a share of the files. */
async function lint(files: string[]): Promise<Finding[]> {
  const workers = Math.max(1, Math.min(os.cpus().length, 4, files.length));
  const chunks: string[][] = Array.from({ length: workers }, () => []);
  // Biggest templates first, round-robin, so the shares take about as long.
  [...files].sort((a, b) => fs.statSync(b).size - fs.statSync(a).size).forEach((f, i) => chunks[i % workers].push(f));
  // Read before linting: the resource types and paths must come from the templates cfn-lint saw.
  const templates = new Map<string, any>(files.map((f) => [f, JSON.parse(fs.readFileSync(f, 'utf8'))]));
  const raw = (await Promise.all(chunks.map(lintChunk))).flat();
  return raw.map((r) => {
    const file = r.Filename as string;
    const locationPath = (r.Location?.Path ?? []).map(String);
    const resource = locationPath[0] === 'Resources' ? templates.get(file).Resources?.[locationPath[1]] : undefined;
    return {
      file,
      rule: r.Rule.Id,
      message: r.Message,
      path: locationPath.join('/'),
      line: r.Location?.Start?.LineNumber ?? 0,
      resourceType: resource?.Type,
      constructPath: resource?.Metadata?.['aws:cdk:path'] ?? snapshotConstructPath(file, locationPath[1]),
    };
  });
}

/**
 * Integ snapshots carry no path metadata in their templates; the stack's metadata file beside
 * each template (`<Stack>.metadata.json`) maps construct paths to logical ids.
 */
const snapshotPaths = new Map<string, Map<string, string>>();
function snapshotConstructPath(file: string, logicalId: string | undefined): string | undefined {
  if (!logicalId) return undefined;
  const metadataFile = file.replace(/\.template\.json$/, '.metadata.json');
  if (!snapshotPaths.has(metadataFile)) {
    const ids = new Map<string, string>();
    if (metadataFile !== file && fs.existsSync(metadataFile)) {
      for (const [constructPath, entries] of Object.entries<any[]>(JSON.parse(fs.readFileSync(metadataFile, 'utf8')))) {
        for (const e of entries) if (e.type === 'aws:cdk:logicalId') ids.set(e.data, constructPath.replace(/^\//, ''));
      }
    }
    snapshotPaths.set(metadataFile, ids);
  }
  return snapshotPaths.get(metadataFile)!.get(logicalId);
}

// ---- the gate ----

function relative(file: string): string {
  return file.startsWith(ROOT) ? path.relative(ROOT, file) : `<synth>/${path.basename(file)}`;
}

function matches(entry: WarningEntry, f: Finding): boolean {
  const types = entry.resourceType === undefined ? undefined : ([] as string[]).concat(entry.resourceType);
  return entry.rule === f.rule
    && (types === undefined || (f.resourceType !== undefined && types.includes(f.resourceType)))
    && (entry.path === undefined || new RegExp(entry.path).test(f.path))
    && (entry.files === undefined || new RegExp(entry.files).test(relative(f.file).replace(/^<synth>\//, '')))
    && new RegExp(entry.message).test(f.message);
}

/** E3006 for a third-party registry type listed in the allowlist: the type exists once the user activates it. */
function isRegistryTypeNotice(f: Finding): boolean {
  return f.rule === 'E3006' && f.resourceType !== undefined && !/^(AWS|Alexa|Custom)::/.test(f.resourceType)
    && ALLOWLIST.registryTypes.some((t) => t.type === f.resourceType) && f.message.startsWith(`Resource type '${f.resourceType}' does not exist in`);
}

interface Verdict {
  /** One line per finding that fails the gate: file:line, rule, construct path, message. */
  readonly failures: string[];
  /** Allowlist entries each finding that passed used. */
  readonly used: Set<WarningEntry | RegistryType>;
}

function judge(findings: Finding[]): Verdict {
  const failures: string[] = [];
  const used = new Set<WarningEntry | RegistryType>();
  for (const f of findings) {
    if (isRegistryTypeNotice(f)) {
      used.add(ALLOWLIST.registryTypes.find((t) => t.type === f.resourceType)!);
      continue;
    }
    const entry = f.rule.startsWith('W') ? ALLOWLIST.warnings.find((e) => matches(e, f)) : undefined;
    if (entry) {
      used.add(entry);
      continue;
    }
    const where = f.constructPath ?? f.path;
    failures.push(`${relative(f.file)}:${f.line} ${f.rule} ${where}${f.resourceType ? ` (${f.resourceType})` : ''}: ${f.message}`);
  }
  // One line per distinct problem: the same finding in five regions says nothing new.
  return { failures: [...new Set(failures)].sort(), used };
}


/** Rule descriptions (standalone rules and rules inline in a group) that EC2 would refuse, as `file resource: description`. */
function invalidRuleDescriptions(file: string): string[] {
  const template = JSON.parse(fs.readFileSync(file, 'utf8'));
  const problems: string[] = [];
  for (const [id, resource] of Object.entries<any>(template.Resources ?? {})) {
    const props = resource.Properties ?? {};
    const descriptions: unknown[] = [];
    if (resource.Type === 'AWS::EC2::SecurityGroupIngress' || resource.Type === 'AWS::EC2::SecurityGroupEgress') descriptions.push(props.Description);
    if (resource.Type === 'AWS::EC2::SecurityGroup') {
      for (const rule of [...(props.SecurityGroupIngress ?? []), ...(props.SecurityGroupEgress ?? [])]) descriptions.push(rule?.Description);
    }
    for (const d of descriptions) {
      // Literal text only: a token's value is known at deploy time.
      if (typeof d === 'string' && !EC2_DESCRIPTION.test(d)) {
        problems.push(`${relative(file)} ${resource.Metadata?.['aws:cdk:path'] ?? id} (${resource.Type}): rule description ${JSON.stringify(d)}`);
      }
    }
  }
  return problems;
}

// ---- synthesize and lint once, then judge each source in its own test ----

let version = '';
let tmp = '';
let results: { snapshots: Finding[]; variants: Finding[]; reference: Finding[] };
let templateFiles: string[] = [];
let variantStacks: string[] = [];

beforeAll(async () => {
  version = cfnLintVersion();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-lint-'));

  const snapshots = fs.readdirSync(path.join(ROOT, 'integ'))
    .filter((d) => d.endsWith('.snapshot'))
    .flatMap((d) => fs.readdirSync(path.join(ROOT, 'integ', d)).filter((f) => f.endsWith('.template.json')).map((f) => path.join(ROOT, 'integ', d, f)));

  // Path metadata (as the CDK CLI writes it) names each finding's construct.
  const outdir = path.join(tmp, 'cdk.out');
  const matrix = buildVariantMatrix(lib, (context) => new App({ outdir, context: { ...context, 'aws:cdk:enable-path-metadata': true } }));
  variantStacks = matrix.stacks.map((s) => `${s.stack.stackName}:\n    ${s.variants.join('\n    ')}`);
  const reference = [
    new ReferenceSystemStack(matrix.app, 'ReferenceSystemAtlas', { atlas: ATLAS_PLACEHOLDERS }),
    new ReferenceSystemStack(matrix.app, 'ReferenceSystemNoAtlasInsights', { atlas: undefined, containerInsights: true }),
  ];
  const assembly = matrix.app.synth();
  const templateOf = (stackName: string) => path.join(outdir, assembly.getStackByName(stackName).templateFile);
  const variantFiles = matrix.stacks.map((s) => templateOf(s.stack.stackName));
  const referenceFiles = reference.map((s) => templateOf(s.stackName));

  templateFiles = [...snapshots, ...variantFiles, ...referenceFiles];
  const all = await lint(templateFiles);
  const from = (files: string[]) => all.filter((f) => files.includes(f.file));
  results = { snapshots: from(snapshots), variants: from(variantFiles), reference: from(referenceFiles) };
  expect(snapshots.length).toBeGreaterThan(0);
  expect(variantFiles.length).toBeGreaterThanOrEqual(12);
  expect(referenceFiles).toHaveLength(2);
  // Every finding names a template given (so none is dropped by a file-name mismatch), and each
  // group has findings (its allowlisted W3005s): cfn-lint read them under these names.
  expect(all.filter((f) => !templateFiles.includes(f.file))).toEqual([]);
  for (const group of Object.values(results)) expect(group.length).toBeGreaterThan(0);
}, 150_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe(`cfn-lint (${REGIONS.join(', ')})`, () => {
  test('committed integ snapshots: no error, warnings only as allowlisted', () => {
    expect(judge(results.snapshots).failures).toEqual([]);
  });

  test('variant matrix (every construct and mode, env-agnostic and env-bound, awkward construct ids): no error, warnings only as allowlisted', () => {
    const { failures } = judge(results.variants);
    if (failures.length) console.log(`cfn-lint ${version}: the variant matrix\n  ${variantStacks.join('\n  ')}`);
    expect(failures).toEqual([]);
  });

  test('reference system (Atlas on with placeholders; Atlas off with Container Insights): no error, warnings only as allowlisted', () => {
    expect(judge(results.reference).failures).toEqual([]);
  });

  test('the allowlist accepts warnings only, each with a reason, and each entry still matches a finding', () => {
    const problems: string[] = [];
    for (const e of ALLOWLIST.warnings) {
      if (!/^W\d+$/.test(e.rule)) problems.push(`${e.rule}: only warnings (W-rules) can be allowlisted; fix errors`);
      if (!e.message) problems.push(`${e.rule}: no message regex (an entry must match narrowly)`);
      if (!e.reason || e.reason.length < 40) problems.push(`${e.rule} /${e.message}/: no written reason`);
    }
    for (const t of ALLOWLIST.registryTypes) {
      if (/^(AWS|Alexa|Custom)::/.test(t.type)) problems.push(`${t.type}: only third-party registry types can be listed in registryTypes`);
      if (!t.reason || t.reason.length < 40) problems.push(`${t.type}: no written reason`);
    }
    const { used } = judge([...results.snapshots, ...results.variants, ...results.reference]);
    for (const e of [...ALLOWLIST.warnings, ...ALLOWLIST.registryTypes]) {
      if (!used.has(e)) problems.push(`stale entry (matches no finding any more; remove it): ${JSON.stringify(e).slice(0, 200)}`);
    }
    expect(problems).toEqual([]);
  });

  test('security group rule descriptions use only the characters EC2 accepts (a gap in both validators)', () => {
    // The CloudFormation schemas give GroupDescription a pattern (cfn-lint E3031, CDK's F3031) but
    // not a rule's Description, which EC2 restricts the same way: a rule description with an
    // apostrophe or an accent passes both validators and fails the deploy.
    expect(templateFiles.flatMap((f) => invalidRuleDescriptions(f))).toEqual([]);
  });

  test('the gate fails a known-bad template: an apostrophe in a group description, a type missing in an opt-in region, an unlisted warning, an accent in a rule description', async () => {
    const bad = path.join(tmp, 'KnownBad.template.json');
    fs.writeFileSync(bad, JSON.stringify({
      Resources: {
        Group: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: "Load balancer of Bob's Web", VpcId: 'vpc-12345678' } },
        // App Runner is not offered in af-south-1 (nor sa-east-1): cfn-lint checks each region given.
        Runner: {
          Type: 'AWS::AppRunner::Service',
          Properties: { SourceConfiguration: { ImageRepository: { ImageIdentifier: 'public.ecr.aws/docker/library/busybox:stable', ImageRepositoryType: 'ECR_PUBLIC' } } },
        },
        Topic: { Type: 'AWS::SNS::Topic', DependsOn: ['Queue'], Properties: { DisplayName: { 'Fn::GetAtt': ['Queue', 'QueueName'] } } },
        Queue: { Type: 'AWS::SQS::Queue' },
        Rule: {
          Type: 'AWS::EC2::SecurityGroupIngress',
          Properties: { GroupId: { 'Fn::GetAtt': ['Group', 'GroupId'] }, IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '10.0.0.0/16', Description: 'gRPC to Wébshop' },
        },
      },
    }, undefined, 1));
    const { failures } = judge(await lint([bad]));
    expect(failures).toEqual(expect.arrayContaining([
      expect.stringMatching(/KnownBad\.template\.json:\d+ E3031 Resources\/Group\/Properties\/GroupDescription \(AWS::EC2::SecurityGroup\): "Load balancer of Bob's Web" does not match/),
      expect.stringMatching(/E3006 .*\(AWS::AppRunner::Service\): Resource type 'AWS::AppRunner::Service' does not exist in 'af-south-1'/),
      expect.stringMatching(/W3005 .*\(AWS::SNS::Topic\): 'Queue' dependency already enforced/),
    ]));
    expect(invalidRuleDescriptions(bad)).toEqual([expect.stringContaining('Rule (AWS::EC2::SecurityGroupIngress): rule description "gRPC to Wébshop"')]);
  }, 60_000);
});
