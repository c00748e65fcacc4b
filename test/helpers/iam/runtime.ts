/**
 * The runtime side of a synthesized system, read from its template: each ECS service with its
 * task and execution roles and resolved container definitions, and the calls ECS itself makes
 * with the execution role (image pull, logs, secrets), per the ECS task execution role page
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html).
 */
import { Principal, principalAt } from './principals';
import { IamCall, resourceTagContext } from './simulator';
import { TemplateModel } from './template-model';

/** One ECS service as it runs. */
export interface Workload {
  readonly serviceId: string;
  readonly taskDefinitionId: string;
  readonly taskRole?: Principal;
  readonly executionRole?: Principal;
  /** Container definitions, resolved. */
  readonly containers: any[];
  /** The environment of the essential container(s), resolved. */
  readonly environment: Record<string, string>;
}

/** Every ECS service of the template as a workload. */
export function workloads(model: TemplateModel): Workload[] {
  return model.logicalIds('AWS::ECS::Service').map((serviceId) => {
    const taskDefinitionId = model.referencedId(model.resource(serviceId).Properties.TaskDefinition);
    const td = model.resource(taskDefinitionId).Properties;
    const containers = model.resolve(td.ContainerDefinitions) as any[];
    const environment: Record<string, string> = {};
    for (const c of containers.filter((x) => x.Essential !== false)) {
      for (const e of c.Environment ?? []) environment[e.Name] = String(e.Value);
    }
    return {
      serviceId,
      taskDefinitionId,
      taskRole: td.TaskRoleArn ? principalAt(model, td.TaskRoleArn) : undefined,
      executionRole: td.ExecutionRoleArn ? principalAt(model, td.ExecutionRoleArn) : undefined,
      containers,
      environment,
    };
  });
}

/** The workload of ECS service `serviceIdPrefix` (logical id prefix). */
export function workload(model: TemplateModel, serviceIdPrefix: string): Workload {
  const id = model.logicalId('AWS::ECS::Service', serviceIdPrefix);
  return workloads(model).find((w) => w.serviceId === id)!;
}

const PRIVATE_ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)/;

/**
 * The calls ECS (Fargate) makes with a task's execution role while starting the task:
 * - a private ECR image: ecr:GetAuthorizationToken (no resource-level permissions) and
 *   ecr:BatchCheckLayerAvailability, ecr:GetDownloadUrlForLayer, ecr:BatchGetImage on the repository;
 * - the awslogs driver: logs:CreateLogStream and logs:PutLogEvents on the stream
 *   `<prefix>/<container>/<task id>` of the container's log group;
 * - each Secrets Manager secret: secretsmanager:GetSecretValue on the complete secret ARN (a JSON
 *   key or version after it is ECS's, not part of the ARN); kms:Decrypt through Secrets Manager
 *   when the template's secret names a customer managed key.
 */
export function executionRoleCalls(model: TemplateModel, w: Workload): IamCall[] {
  const { region, account } = model.env;
  const taskId = model.taskArnOf(w.serviceId).split('/').pop();
  const calls: IamCall[] = [];
  for (const c of w.containers) {
    const image = PRIVATE_ECR_IMAGE.exec(String(c.Image));
    if (image) {
      const repository = `arn:aws:ecr:${image[2]}:${image[1]}:repository/${image[3]}`;
      calls.push({ action: 'ecr:GetAuthorizationToken', resource: '*', why: `pull ${c.Name}'s image: registry login` });
      for (const action of ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage']) {
        calls.push({ action, resource: repository, why: `pull ${c.Name}'s image` });
      }
    }
    const log = c.LogConfiguration;
    if (log?.LogDriver === 'awslogs') {
      const group = log.Options['awslogs-group'];
      const stream = `arn:aws:logs:${log.Options['awslogs-region'] ?? region}:${account}:log-group:${group}:log-stream:${log.Options['awslogs-stream-prefix']}/${c.Name}/${taskId}`;
      const groupArn = `arn:aws:logs:${region}:${account}:log-group:${group}`;
      for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
        calls.push({ action, resource: stream, context: resourceTagContext(model.tagsByArn(groupArn)), why: `awslogs driver of ${c.Name}` });
      }
    }
    for (const s of c.Secrets ?? []) {
      const valueFrom = String(s.ValueFrom);
      if (!valueFrom.startsWith('arn:aws:secretsmanager:')) throw new Error(`secret ${s.Name} of ${c.Name} is not a Secrets Manager ARN: ${valueFrom}`);
      const secretArn = valueFrom.split(':').slice(0, 7).join(':');
      calls.push({ action: 'secretsmanager:GetSecretValue', resource: secretArn, context: resourceTagContext(model.tagsByArn(secretArn)), why: `secret ${s.Name} of ${c.Name}` });
      const secretId = model.logicalIds('AWS::SecretsManager::Secret').find((id) => model.getAtt(id, 'Id') === secretArn);
      const key = secretId ? model.resource(secretId).Properties?.KmsKeyId : undefined;
      if (key !== undefined) {
        calls.push({
          action: 'kms:Decrypt',
          resource: String(model.resolve(key)),
          context: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com`, 'kms:CallerAccount': account },
          why: `secret ${s.Name} of ${c.Name}: its customer managed key`,
        });
      }
    }
  }
  return calls;
}
