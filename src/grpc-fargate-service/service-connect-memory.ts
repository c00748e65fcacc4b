import { Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';

/**
 * Memory ECS Service Connect needs beside the containers of a task
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-connect-concepts-deploy.html#service-connect-concepts-proxy):
 * "You can set container memory limits on your containers, but you must set the task memory
 * limit to a number greater than the sum of the container memory limits. The additional CPU
 * and memory in the task limits that aren't allocated in the container limits are used by the
 * Service Connect proxy container"; "we recommend adding ... at least 64 MiB of memory to your
 * task ... for the Service Connect proxy container".
 */
export const SERVICE_CONNECT_PROXY_MIB = 64;

/** Task definitions whose check is registered, so a caller added by several servers is checked once. */
const checked = new WeakSet<ecs.TaskDefinition>();

/**
 * The task's memory and its containers' memory limits, when both are known at synth: the task
 * memory from the L1 (a Fargate task always has one), each container's hard limit
 * (`memoryLimitMiB`; a container without one shares what is left, as the proxy does).
 */
function memoryOf(taskDefinition: ecs.TaskDefinition): { task?: number; limits: Array<{ name: string; mib: number }> } | undefined {
  const cfn = taskDefinition.node.defaultChild as ecs.CfnTaskDefinition | undefined;
  const raw = cfn?.memory;
  if (raw !== undefined && Token.isUnresolved(raw)) return undefined;
  const limits: Array<{ name: string; mib: number }> = [];
  for (const child of taskDefinition.node.children) {
    if (!(child instanceof ecs.ContainerDefinition)) continue;
    const memory = child.renderContainerDefinition().memory;
    if (memory === undefined) continue;
    if (Token.isUnresolved(memory)) return undefined;
    limits.push({ name: child.containerName, mib: memory });
  }
  return { task: raw === undefined ? undefined : Number(raw), limits };
}

/**
 * Problems of `taskDefinition` as a Service Connect task: no task memory, or less than
 * `SERVICE_CONNECT_PROXY_MIB` left for the proxy after the containers' limits. `who` names the
 * task in the message, `fix` says what to change.
 */
export function serviceConnectMemoryProblems(taskDefinition: ecs.TaskDefinition, who: string, fix: string): string[] {
  const memory = memoryOf(taskDefinition);
  if (!memory) return [];
  if (memory.task === undefined) {
    return [`${who} has no task memory: ECS Service Connect requires the task memory limit (its proxy uses what the containers do not reserve); set memoryLimitMiB on the task definition`];
  }
  const used = memory.limits.reduce((sum, c) => sum + c.mib, 0);
  if (memory.limits.length === 0 || memory.task - used >= SERVICE_CONNECT_PROXY_MIB) return [];
  const detail = memory.limits.map((c) => `${c.name} ${c.mib}`).join(', ');
  return [`${who}: task memory (${memory.task} MiB) must exceed the sum of its containers' memory limits (${used} MiB: ${detail}) ` +
    `by at least ${SERVICE_CONNECT_PROXY_MIB} MiB for the ECS Service Connect proxy, which runs in every task with Service Connect ` +
    `and gets only the memory the containers do not reserve: ${fix}`];
}

/** Check `taskDefinition` at synth (once, however many servers a caller is allowed to). */
export function checkServiceConnectMemoryAtSynth(taskDefinition: ecs.TaskDefinition, who: string, fix: string): void {
  if (checked.has(taskDefinition)) return;
  checked.add(taskDefinition);
  taskDefinition.node.addValidation({ validate: () => serviceConnectMemoryProblems(taskDefinition, who, fix) });
}
