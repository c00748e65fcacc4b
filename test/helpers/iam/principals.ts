/**
 * The runtime principals of a synthesized system (IAM roles) with every identity policy the
 * template attaches to them, resolved to concrete ARNs, and the resource policies of the
 * resources they call.
 */
import { TemplateModel } from './template-model';

/** A resolved policy document. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement[];
}

/** A resolved policy statement. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** A named identity policy of a principal. */
export interface NamedPolicy {
  readonly name: string;
  readonly policy: PolicyDocument;
}

/** One IAM role of the template, as the simulator sees it. */
export interface Principal {
  /** The role's logical id. */
  readonly logicalId: string;
  /** The role's ARN. */
  readonly arn: string;
  /** Identity policies: AWS::IAM::Policy and customer-managed policies attached to the role, and its inline policies. */
  readonly policies: NamedPolicy[];
  /** AWS-managed policy ARNs attached to the role: their contents are not in the template, so they are not simulated. */
  readonly awsManagedPolicyArns: string[];
}

const refersTo = (value: unknown, id: string) => (value as any)?.Ref === id;

/** The role `roleId` with every policy the template attaches to it, resolved. */
export function principalOf(model: TemplateModel, roleId: string): Principal {
  const role = model.resource(roleId);
  if (role.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is a ${role.Type}, not an AWS::IAM::Role`);
  const policies: NamedPolicy[] = [];
  const awsManagedPolicyArns: string[] = [];

  for (const id of model.logicalIds('AWS::IAM::Policy')) {
    const p = model.resource(id).Properties;
    if ((p.Roles ?? []).some((r: unknown) => refersTo(r, roleId))) policies.push({ name: id, policy: model.resolve(p.PolicyDocument) });
  }
  const managedIds = new Set<string>();
  for (const id of model.logicalIds('AWS::IAM::ManagedPolicy')) {
    if ((model.resource(id).Properties.Roles ?? []).some((r: unknown) => refersTo(r, roleId))) managedIds.add(id);
  }
  for (const arn of role.Properties?.ManagedPolicyArns ?? []) {
    if (arn?.Ref && model.resource(arn.Ref).Type === 'AWS::IAM::ManagedPolicy') managedIds.add(arn.Ref);
    else awsManagedPolicyArns.push(String(model.resolve(arn)));
  }
  for (const id of managedIds) policies.push({ name: id, policy: model.resolve(model.resource(id).Properties.PolicyDocument) });
  for (const inline of role.Properties?.Policies ?? []) {
    policies.push({ name: `${roleId}/${model.resolve(inline.PolicyName)}`, policy: model.resolve(inline.PolicyDocument) });
  }
  return { logicalId: roleId, arn: model.getAtt(roleId, 'Arn'), policies, awsManagedPolicyArns };
}

/** The role a `{ Fn::GetAtt: [role, 'Arn'] }` (or `{ Ref: role }`) value points at. */
export function principalAt(model: TemplateModel, roleReference: unknown): Principal {
  return principalOf(model, model.referencedId(roleReference));
}

/**
 * The resource policy of a template resource, when the template has one: SQS queue policies
 * (`AWS::SQS::QueuePolicy` listing the queue's URL), SNS topic policies.
 */
export function resourcePolicyOf(model: TemplateModel, resourceArn: string): PolicyDocument | undefined {
  const statements: PolicyStatement[] = [];
  for (const id of model.logicalIds('AWS::SQS::QueuePolicy')) {
    const p = model.resource(id).Properties;
    const arns = (model.resolve(p.Queues) as string[]).map((url) => url.replace(/^https:\/\/sqs\.([^.]+)\.amazonaws\.com\/(\d+)\/(.+)$/, 'arn:aws:sqs:$1:$2:$3'));
    if (arns.includes(resourceArn)) statements.push(...(model.resolve(p.PolicyDocument) as PolicyDocument).Statement);
  }
  for (const id of model.logicalIds('AWS::SNS::TopicPolicy')) {
    const p = model.resource(id).Properties;
    if ((model.resolve(p.Topics) as string[]).includes(resourceArn)) {
      statements.push(...(model.resolve(p.PolicyDocument) as PolicyDocument).Statement);
    }
  }
  return statements.length ? { Version: '2012-10-17', Statement: statements } : undefined;
}

/**
 * Every policy document in the template, resolved, with where it came from: identity policies,
 * role trust policies and inline policies, and resource policies (queue, topic, key, secret).
 */
export function allPolicyDocuments(model: TemplateModel): Array<{ where: string; document: PolicyDocument }> {
  const out: Array<{ where: string; document: PolicyDocument }> = [];
  const documentProperties: Record<string, string[]> = {
    'AWS::IAM::Policy': ['PolicyDocument'],
    'AWS::IAM::ManagedPolicy': ['PolicyDocument'],
    'AWS::IAM::Role': ['AssumeRolePolicyDocument'],
    'AWS::SQS::QueuePolicy': ['PolicyDocument'],
    'AWS::SNS::TopicPolicy': ['PolicyDocument'],
    'AWS::KMS::Key': ['KeyPolicy'],
    'AWS::SecretsManager::ResourcePolicy': ['ResourcePolicy'],
  };
  for (const [id, r] of Object.entries(model.resources)) {
    for (const prop of documentProperties[r.Type] ?? []) {
      if (r.Properties?.[prop]) out.push({ where: `${id}.${prop}`, document: model.resolve(r.Properties[prop]) });
    }
    if (r.Type === 'AWS::IAM::Role') {
      for (const inline of r.Properties?.Policies ?? []) out.push({ where: `${id}.Policies[${inline.PolicyName}]`, document: model.resolve(inline.PolicyDocument) });
    }
  }
  return out;
}
