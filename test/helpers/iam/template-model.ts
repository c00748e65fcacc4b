/**
 * A synthesized template as deployed resources: every logical id gets a plausible physical
 * name and ARN of the format its CloudFormation type really returns (Ref / Fn::GetAtt, per the
 * CloudFormation resource reference), so IAM policies can be resolved to concrete ARNs and
 * simulated against concrete requests.
 *
 * Only the resource types the IAM contract needs are modeled; any other Ref or GetAtt throws,
 * naming the type, so a new kind of reference is noticed rather than resolved wrongly.
 */
import { createHash } from 'crypto';

/** Account, region and stack name of the simulated deployment. */
export interface DeploymentEnv {
  readonly account: string;
  readonly region: string;
  readonly stackName: string;
}

/** One resource of a CloudFormation template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: any;
}

/** A CloudFormation template (the parts this model reads). */
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

const PARTITION = 'aws';
const URL_SUFFIX = 'amazonaws.com';

/** Deterministic "random" characters, as CloudFormation appends to generated names. */
function pseudoRandom(seed: string, length: number, alphabet: string): string {
  const digest = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[digest[i % digest.length] % alphabet.length];
  return out;
}
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MIXED_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

/** A hexadecimal id of `length` characters derived from `seed` (task ids, key ids). */
export function fakeHexId(seed: string, length: number): string {
  return pseudoRandom(seed, length, HEX);
}

/** The ARN of an SQS queue from its URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`). */
export function queueArnFromUrl(queueUrl: string): string {
  const m = /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com\/(\d{12})\/([^/]+)$/.exec(queueUrl);
  if (!m) throw new Error(`not an SQS queue URL: ${queueUrl}`);
  return `arn:${PARTITION}:sqs:${m[1]}:${m[2]}:${m[3]}`;
}

/** The template, resolved against one simulated deployment. */
export class TemplateModel {
  public readonly resources: Record<string, CfnResource>;

  constructor(public readonly template: CfnTemplate, public readonly env: DeploymentEnv) {
    this.resources = template.Resources;
  }

  /** The logical id of the one resource of `type` whose logical id starts with `prefix`. */
  public logicalId(type: string, prefix: string): string {
    const ids = this.logicalIds(type).filter((id) => id.startsWith(prefix));
    if (ids.length !== 1) throw new Error(`expected one ${type} with a logical id starting ${prefix}, found ${ids.length}: ${ids.join(', ')}`);
    return ids[0];
  }

  /** Logical ids of every resource of `type`. */
  public logicalIds(type: string): string[] {
    return Object.keys(this.resources).filter((id) => this.resources[id].Type === type);
  }

  /** The resource with logical id `id` (throws when there is none). */
  public resource(id: string): CfnResource {
    const r = this.resources[id];
    if (!r) throw new Error(`no resource ${id} in the template`);
    return r;
  }

  /** Resolve every intrinsic function and pseudo parameter in `value`. */
  public resolve(value: unknown): any {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    const v = value as Record<string, any>;
    if (keys.length === 1) {
      const [fn] = keys;
      const arg = v[fn];
      switch (fn) {
        case 'Ref': return this.ref(arg);
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? arg : String(arg).split(/\.(.+)/);
          return this.getAtt(id, this.resolve(attr));
        }
        case 'Fn::Join': {
          const [sep, parts] = arg;
          return (this.resolve(parts) as unknown[]).map(String).join(sep);
        }
        case 'Fn::Sub': return this.sub(arg);
        case 'Fn::Select': {
          const [index, list] = arg;
          return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
        }
        case 'Fn::Split': {
          const [sep, str] = arg;
          return String(this.resolve(str)).split(sep);
        }
        default:
          if (fn.startsWith('Fn::')) throw new Error(`unsupported intrinsic ${fn}: ${JSON.stringify(value)}`);
      }
    }
    return Object.fromEntries(keys.map((k) => [k, this.resolve(v[k])]));
  }

  /** `Ref` of a pseudo parameter or a resource. */
  public ref(id: string): string {
    switch (id) {
      case 'AWS::Partition': return PARTITION;
      case 'AWS::Region': return this.env.region;
      case 'AWS::AccountId': return this.env.account;
      case 'AWS::URLSuffix': return URL_SUFFIX;
      case 'AWS::StackName': return this.env.stackName;
      case 'AWS::NoValue': throw new Error('AWS::NoValue is not modeled');
    }
    const r = this.resource(id);
    const { region, account } = this.env;
    switch (r.Type) {
      case 'AWS::SQS::Queue': return `https://sqs.${region}.${URL_SUFFIX}/${account}/${this.physicalName(id)}`;
      case 'AWS::ECS::Service': return this.getAtt(id, 'ServiceArn');
      case 'AWS::ECS::TaskDefinition': return `arn:${PARTITION}:ecs:${region}:${account}:task-definition/${this.physicalName(id)}:1`;
      case 'AWS::SecretsManager::Secret': return this.getAtt(id, 'Id');
      case 'AWS::SNS::Topic': return this.getAtt(id, 'TopicArn');
      case 'AWS::KMS::Key': return this.getAtt(id, 'KeyId');
      // A distribution's id: 'E' and 13 more upper-case letters and digits.
      case 'AWS::CloudFront::Distribution': return `E${pseudoRandom(id, 13, UPPER_ALNUM)}`;
      case 'AWS::ECS::Cluster':
      case 'AWS::Logs::LogGroup':
      case 'AWS::Lambda::Function':
      case 'AWS::IAM::Role':
        return this.physicalName(id);
      default:
        throw new Error(`Ref of ${r.Type} (${id}) is not modeled: add it to TemplateModel`);
    }
  }

  /** `Fn::GetAtt` of a resource attribute. */
  public getAtt(id: string, attr: string): string {
    const r = this.resource(id);
    const { region, account } = this.env;
    const name = () => this.physicalName(id);
    const table: Record<string, Record<string, () => string>> = {
      'AWS::SQS::Queue': {
        Arn: () => `arn:${PARTITION}:sqs:${region}:${account}:${name()}`,
        QueueName: name,
        QueueUrl: () => this.ref(id),
      },
      'AWS::ECS::Cluster': { Arn: () => `arn:${PARTITION}:ecs:${region}:${account}:cluster/${name()}` },
      'AWS::ECS::Service': {
        Name: name,
        // The long ARN format (service/<cluster>/<service>), the default for every account since 2021.
        ServiceArn: () => `arn:${PARTITION}:ecs:${region}:${account}:service/${this.clusterNameOf(id)}/${name()}`,
      },
      // "The ARN of the log group, such as arn:aws:logs:us-west-1:123456789012:log-group:/mystack-testgroup-12ABC1AB12A1:*"
      'AWS::Logs::LogGroup': { Arn: () => `arn:${PARTITION}:logs:${region}:${account}:log-group:${name()}:*` },
      'AWS::Lambda::Function': { Arn: () => `arn:${PARTITION}:lambda:${region}:${account}:function:${name()}` },
      'AWS::IAM::Role': {
        Arn: () => `arn:${PARTITION}:iam::${account}:role${this.resolve(r.Properties?.Path) ?? '/'}${name()}`,
        RoleId: () => `AROA${pseudoRandom(id, 17, UPPER_ALNUM)}`,
      },
      // Secrets Manager appends a hyphen and six random characters to the name.
      'AWS::SecretsManager::Secret': { Id: () => `arn:${PARTITION}:secretsmanager:${region}:${account}:secret:${name()}-${pseudoRandom(id, 6, MIXED_ALNUM)}` },
      'AWS::KMS::Key': {
        KeyId: () => this.keyId(id),
        Arn: () => `arn:${PARTITION}:kms:${region}:${account}:key/${this.keyId(id)}`,
      },
      'AWS::SNS::Topic': {
        TopicName: name,
        TopicArn: () => `arn:${PARTITION}:sns:${region}:${account}:${name()}`,
      },
    };
    const get = table[r.Type]?.[attr];
    if (!get) throw new Error(`Fn::GetAtt ${r.Type}.${attr} (${id}) is not modeled: add it to TemplateModel`);
    return get();
  }

  /** The physical name CloudFormation gives the resource: its name property, or a generated one. */
  public physicalName(id: string): string {
    const r = this.resource(id);
    const nameProperty: Record<string, string> = {
      'AWS::SQS::Queue': 'QueueName',
      'AWS::ECS::Cluster': 'ClusterName',
      'AWS::ECS::Service': 'ServiceName',
      'AWS::ECS::TaskDefinition': 'Family',
      'AWS::Logs::LogGroup': 'LogGroupName',
      'AWS::Lambda::Function': 'FunctionName',
      'AWS::IAM::Role': 'RoleName',
      'AWS::SecretsManager::Secret': 'Name',
      'AWS::SNS::Topic': 'TopicName',
    };
    const prop = nameProperty[r.Type];
    const given = prop ? r.Properties?.[prop] : undefined;
    if (given !== undefined) return String(this.resolve(given));
    const suffix = pseudoRandom(id, 12, UPPER_ALNUM);
    switch (r.Type) {
      // Secrets Manager generated names: <logical id>-<random>.
      case 'AWS::SecretsManager::Secret': return `${id}-${suffix}`;
      // Lambda and IAM limit names to 64 characters; CloudFormation truncates the stack and logical id parts.
      case 'AWS::Lambda::Function':
      case 'AWS::IAM::Role':
        return `${this.env.stackName.slice(0, 20)}-${id.slice(0, 30)}-${suffix}`;
      case 'AWS::SQS::Queue': {
        const base = `${this.env.stackName}-${id}-${suffix}`.slice(0, 75);
        return r.Properties?.FifoQueue ? `${base}.fifo` : base;
      }
      default: return `${this.env.stackName}-${id}-${suffix}`;
    }
  }

  /** Name of the cluster an ECS service runs in (its `Cluster` property: a Ref, a name or an ARN). */
  public clusterNameOf(serviceId: string): string {
    const cluster = this.resource(serviceId).Properties?.Cluster;
    if (cluster === undefined) return 'default';
    return String(this.resolve(cluster)).replace(/^arn:[^:]+:ecs:[^:]+:\d+:cluster\//, '');
  }

  /** Tags of a resource, resolved (`Tags` as a list of Key/Value or as a map). */
  public tagsOf(id: string): Record<string, string> {
    const tags = this.resource(id).Properties?.Tags;
    if (!tags) return {};
    if (Array.isArray(tags)) return Object.fromEntries(tags.map((t: any) => [String(this.resolve(t.Key)), String(this.resolve(t.Value))]));
    return Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(this.resolve(v))]));
  }

  /**
   * Tags a task of ECS service `serviceId` carries: the service's tags when it propagates them
   * (`PropagateTags: SERVICE`), the task definition's with `TASK_DEFINITION`, and ECS's managed
   * tags (`aws:ecs:clusterName`, `aws:ecs:serviceName`) with `EnableECSManagedTags`
   * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-using-tags.html).
   */
  public taskTagsOf(serviceId: string): Record<string, string> {
    const p = this.resource(serviceId).Properties ?? {};
    const taskDefinitionId = p.TaskDefinition?.Ref;
    const propagated = p.PropagateTags === 'SERVICE' ? this.tagsOf(serviceId)
      : p.PropagateTags === 'TASK_DEFINITION' && taskDefinitionId ? this.tagsOf(taskDefinitionId) : {};
    const managed: Record<string, string> = p.EnableECSManagedTags
      ? { 'aws:ecs:clusterName': this.clusterNameOf(serviceId), 'aws:ecs:serviceName': this.physicalName(serviceId) }
      : {};
    return { ...propagated, ...managed };
  }

  /** The ARN of one (running) task of ECS service `serviceId`. */
  public taskArnOf(serviceId: string): string {
    return `arn:${PARTITION}:ecs:${this.env.region}:${this.env.account}:task/${this.clusterNameOf(serviceId)}/${fakeHexId(serviceId, 32)}`;
  }

  /** The logical id a `{ Ref }` or `{ Fn::GetAtt }` points at (throws for anything else). */
  public referencedId(value: any): string {
    const id = value?.Ref ?? (Array.isArray(value?.['Fn::GetAtt']) ? value['Fn::GetAtt'][0] : undefined);
    if (typeof id !== 'string') throw new Error(`not a reference to a resource: ${JSON.stringify(value)}`);
    return id;
  }

  /**
   * Tags of the template resource whose ARN is `arn` (queues, services, tasks of a service,
   * functions, log groups, secrets), or `{}` for a resource not in the template.
   */
  public tagsByArn(arn: string): Record<string, string> {
    for (const id of Object.keys(this.resources)) {
      const type = this.resources[id].Type;
      if (type === 'AWS::ECS::Service' && arn === this.taskArnOf(id)) return this.taskTagsOf(id);
      if (this.canonicalArn(id) === arn) return this.tagsOf(id);
    }
    return {};
  }

  /** The ARN IAM sees for a template resource (log groups without the trailing `:*`), if modeled. */
  public canonicalArn(id: string): string | undefined {
    switch (this.resources[id].Type) {
      case 'AWS::SQS::Queue':
      case 'AWS::Lambda::Function':
      case 'AWS::IAM::Role':
      case 'AWS::ECS::Cluster':
      case 'AWS::KMS::Key':
        return this.getAtt(id, 'Arn');
      case 'AWS::ECS::Service': return this.getAtt(id, 'ServiceArn');
      case 'AWS::Logs::LogGroup': return this.getAtt(id, 'Arn').replace(/:\*$/, '');
      case 'AWS::SecretsManager::Secret': return this.getAtt(id, 'Id');
      default: return undefined;
    }
  }

  private keyId(id: string): string {
    const h = fakeHexId(id, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  }

  private sub(arg: string | [string, Record<string, unknown>]): string {
    const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
    return text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in vars) return String(this.resolve(vars[name]));
      if (name.startsWith('AWS::')) return this.ref(name);
      const dot = name.indexOf('.');
      if (dot > 0) return this.getAtt(name.slice(0, dot), name.slice(dot + 1));
      if (this.resources[name]) return this.ref(name);
      throw new Error(`Fn::Sub variable ${whole} is not a pseudo parameter, a resource or a given variable`);
    });
  }
}
