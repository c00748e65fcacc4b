/**
 * aws-cdk-lib 2.245 reads its own deprecated CfnTaskDefinition#inferenceAccelerators while
 * synthesizing every task definition and warns each time (hundreds of copies per run, three
 * lines each). Drop exactly that warning, which no code of ours triggers; every other one
 * still shows. Used by the test setup and by the main job.
 */
const AWS_CDK_LIB_OWN_DEPRECATION = 'aws-cdk-lib.aws_ecs.CfnTaskDefinition#inferenceAccelerators is deprecated';

export function dropAwsCdkLibOwnDeprecation(): void {
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (args.map(String).join(' ').includes(AWS_CDK_LIB_OWN_DEPRECATION)) return;
    warn(...args);
  };
}
