import { Annotations, Aspects, CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { AtlasAuth, AtlasAuthKind } from './atlas-auth';
import { AtlasConnectionProps, IAtlasGrantee } from './atlas-connection-props';
import { createDatabaseUser, databaseUserId } from './atlas-database-user';
import { createPrivateLink, PRIVATE_LINK_PORTS } from './atlas-private-link';
import { validateAtlasProps } from './atlas-validation';
import { iamConnectionString, MONGODB_DATABASE_VARIABLE, MONGODB_URI_VARIABLE } from './connection-string';
import { ec2Description } from '../private/aws-strings';
import { PropsValidator } from '../private/validation';

/**
 * Atlas's ports for standard (non-PrivateLink) connections
 * (https://www.mongodb.com/docs/atlas/setup-cluster-security/, "Network and Firewall Requirements").
 */
const ATLAS_PORTS = ec2.Port.tcpRange(27015, 27017);

/** What one grantConnect call wired, so a second call for the same task definition adds nothing. */
interface GrantedTask {
  readonly container: ecs.ContainerDefinition;
  readonly grant: iam.Grant;
  readonly label: string;
}

/**
 * Private, passwordless access from ECS services to an existing MongoDB Atlas cluster.
 *
 * - **Network**: optionally an interface VPC endpoint to the Atlas project's PrivateLink
 *   endpoint service (one subnet per Availability Zone, private DNS off, its own security
 *   group that admits TCP 1024-65535 from granted services only). Without PrivateLink it
 *   opens nothing, unless `egressPeer` says where Atlas is (peering, or NAT egress with an
 *   IP access list).
 * - **Auth**: `AtlasAuth.secret(secret)` (the whole connection string in Secrets Manager,
 *   injected as an ECS secret) or `AtlasAuth.awsIam()` (`MONGODB-AWS`: the task role is the
 *   database user, no password anywhere).
 * - **`grantConnect(service)`**: security-group rules on both sides, the secret read on the
 *   execution role, and `MONGODB_URI` plus `MONGODB_DATABASE` in the service's container, in
 *   one idempotent call.
 *
 * The construct never requires MongoDB's CloudFormation extensions; with
 * `AtlasAuth.awsIam({ databaseUser })` it can emit the database users for accounts that
 * activated them.
 */
export class AtlasConnection extends Construct {
  /** The variable that carries the connection string (the reference apps read it). */
  public static readonly URI_VARIABLE = MONGODB_URI_VARIABLE;
  /** The variable that carries the database name (the reference apps read it). */
  public static readonly DATABASE_VARIABLE = MONGODB_DATABASE_VARIABLE;

  /** The cluster's SRV host name. */
  public readonly host: string;
  /** The database the services use. */
  public readonly databaseName: string;
  /** How the services authenticate. */
  public readonly auth: AtlasAuth;

  private readonly _endpoint?: ec2.InterfaceVpcEndpoint;
  private readonly _endpointSecurityGroup?: ec2.SecurityGroup;
  private readonly _connectionString?: string;
  private readonly egressPeer?: ec2.IPeer;
  private readonly granted = new Map<ecs.TaskDefinition, GrantedTask>();
  private readonly allowed = new Set<ec2.Connections>();
  private readonly roles: iam.IRole[] = [];
  private readonly _databaseUsers: CfnResource[] = [];

  /**
   * @param scope the parent construct
   * @param id a stable construct id: changing it replaces the endpoint
   * @param props the cluster, database, auth mode and network
   */
  constructor(scope: Construct, id: string, props: AtlasConnectionProps) {
    super(scope, id);
    const v = new PropsValidator('AtlasConnection');
    validateAtlasProps(v, this, props);
    v.throwIfInvalid(this);

    this.host = props.host;
    this.databaseName = props.databaseName;
    this.auth = props.auth;
    this.egressPeer = props.egressPeer;
    if (props.auth.kind === AtlasAuthKind.AWS_IAM) {
      this._connectionString = iamConnectionString(props.host, props.databaseName, props.uriOptions);
    }

    if (props.privateLink) {
      const privateLink = createPrivateLink(this, props.privateLink);
      this._endpoint = privateLink.endpoint;
      this._endpointSecurityGroup = privateLink.securityGroup;
    }
    this.warnAboutHostKind(props);

    this.node.addValidation({ validate: () => this.checkGrantedContainers() });
    // Role names can be fixed after grantConnect: look at them once the tree is complete.
    Aspects.of(this).add({
      visit: (node: IConstruct) => {
        if (node === this) {
          this.warnAboutUnnamedRoles();
          this.warnAboutRolePaths();
        }
      },
    });
  }

  /**
   * The interface VPC endpoint to Atlas (with `privateLink` only). Register its id
   * (`vpcEndpointId`) in Atlas to accept it.
   */
  public get endpoint(): ec2.InterfaceVpcEndpoint {
    if (!this._endpoint) throw new Error(`${this.node.path} has no privateLink: it created no VPC endpoint`);
    return this._endpoint;
  }

  /** The endpoint's security group (with `privateLink` only): ingress from granted services only. */
  public get endpointSecurityGroup(): ec2.SecurityGroup {
    if (!this._endpointSecurityGroup) throw new Error(`${this.node.path} has no privateLink: it created no endpoint security group`);
    return this._endpointSecurityGroup;
  }

  /**
   * The `MONGODB_URI` granted services receive with `AtlasAuth.awsIam()`:
   * `mongodb+srv://<host>/<database>?authMechanism=MONGODB-AWS&authSource=%24external&tls=true&retryWrites=true&w=majority`.
   * It holds no credentials. With `AtlasAuth.secret()` the string is the secret's value.
   */
  public get connectionString(): string {
    if (!this._connectionString) {
      throw new Error(`${this.node.path} uses AtlasAuth.secret(): its connection string is the secret's value, not known at synthesis`);
    }
    return this._connectionString;
  }

  /**
   * ARNs of the task roles granted so far (`AtlasAuth.awsIam()` only): each must be an Atlas
   * database user of AWS IAM type ROLE, authenticating against `$external`, with this ARN as
   * its name. Read it after the last `grantConnect` call.
   */
  public get roleArns(): string[] {
    if (this.auth.kind !== AtlasAuthKind.AWS_IAM) {
      throw new Error(`${this.node.path} uses AtlasAuth.secret(): the database user is in the connection string, not a task role`);
    }
    return this.roles.map((r) => r.roleArn);
  }

  /**
   * The `MongoDB::Atlas::DatabaseUser` resources emitted so far, one per granted task role
   * (`AtlasAuth.awsIam({ databaseUser })` only; empty otherwise).
   */
  public get databaseUsers(): CfnResource[] {
    return [...this._databaseUsers];
  }

  /**
   * Let `grantee` connect to the cluster, in one call.
   *
   * What it wires:
   *
   * - network: with PrivateLink, the grantee's egress and the endpoint's ingress on TCP
   *   1024-65535 between their security groups; with `egressPeer`, the grantee's egress on
   *   TCP 27015-27017 to it; otherwise nothing;
   * - `MONGODB_DATABASE` in the grantee's container, and `MONGODB_URI`: the secret as an ECS
   *   secret (read by the task's execution role), or the IAM connection string;
   * - with `AtlasAuth.awsIam()`: the task role joins `roleArns` (and, opted in, gets its
   *   database user).
   *
   * Granting the same grantee (or task definition) again adds nothing.
   *
   * @param grantee a service of this library, an ECS service, or any IConnectable with a task definition
   * @returns the execution role's read of the secret; with AWS IAM a grant that adds no
   *   permission (MONGODB-AWS signs `sts:GetCallerIdentity`, which needs none)
   */
  public grantConnect(grantee: IAtlasGrantee): iam.Grant {
    const taskDefinition = grantee?.taskDefinition;
    if (!taskDefinition) {
      throw new Error(`${this.node.path}: grantConnect() needs a grantee with a taskDefinition (a service of this library, an ECS service, ` +
        'or an ec2.IConnectable with one)');
    }
    const done = this.granted.get(taskDefinition);
    if (done) {
      this.allowNetwork(grantee); // another service may share the task definition
      return done.grant;
    }

    const label = Construct.isConstruct(grantee) ? grantee.node.path : taskDefinition.node.path;
    const role = taskDefinition.taskRole as iam.IRole | undefined;
    if (this.auth.kind === AtlasAuthKind.AWS_IAM && !role) {
      throw new Error(`${this.node.path}: grantConnect(${label}): AtlasAuth.awsIam() makes the task role the database user, and task definition ` +
        `${taskDefinition.node.path} has no task role: give it a taskRole, or use AtlasAuth.secret()`);
    }
    const container = grantee.container ?? taskDefinition.defaultContainer;
    if (!container) {
      throw new Error(`${this.node.path}: grantConnect(${label}): task definition ${taskDefinition.node.path} has no essential container ` +
        'to receive MONGODB_URI: add one, or pass a grantee whose container says which');
    }
    if (container.taskDefinition !== taskDefinition) {
      throw new Error(`${this.node.path}: grantConnect(${label}): container ${container.node.path} is not in task definition ${taskDefinition.node.path}`);
    }
    for (const name of [MONGODB_URI_VARIABLE, MONGODB_DATABASE_VARIABLE]) {
      const where = variableSources(container, name);
      if (where.length > 0) {
        throw new Error(`${this.node.path}: grantConnect(${label}): container ${container.containerName} already sets ${name} (${where.join(' and ')}): ` +
          'remove it; grantConnect sets MONGODB_URI and MONGODB_DATABASE');
      }
    }

    this.allowNetwork(grantee);
    container.addEnvironment(MONGODB_DATABASE_VARIABLE, this.databaseName);
    let grant: iam.Grant;
    if (this.auth.kind === AtlasAuthKind.SECRET) {
      grant = this.addSecret(container);
    } else {
      container.addEnvironment(MONGODB_URI_VARIABLE, this.connectionString);
      grant = iam.Grant.drop(role!, 'MONGODB-AWS: the driver signs sts:GetCallerIdentity with the task role, which needs no IAM permission');
      this.addDatabaseUser(role!, taskDefinition);
    }
    this.granted.set(taskDefinition, { container, grant, label });
    return grant;
  }

  /**
   * `grantConnect` for an ECS service, in languages without structural typing (Java, C#,
   * Go, Python), where a service of this library is not an `IAtlasGrantee` by declaration:
   * `atlas.grantConnectToService(orders.service)`.
   *
   * @param service the ECS service whose tasks connect
   * @param container the container that connects (default: the task definition's first essential container)
   */
  public grantConnectToService(service: ecs.BaseService, container?: ecs.ContainerDefinition): iam.Grant {
    return this.grantConnect({ connections: service.connections, taskDefinition: service.taskDefinition, container });
  }

  /** Security-group rules for one grantee, once per Connections object. */
  private allowNetwork(grantee: IAtlasGrantee): void {
    const connections = grantee.connections;
    if (!connections || this.allowed.has(connections)) return;
    this.allowed.add(connections);
    if (this._endpoint) {
      connections.allowTo(this._endpoint, PRIVATE_LINK_PORTS, ec2Description(`MongoDB Atlas over PrivateLink (${this.node.path})`));
    } else if (this.egressPeer) {
      connections.allowTo(this.egressPeer, ATLAS_PORTS, ec2Description(`MongoDB Atlas (${this.node.path})`));
    }
  }

  /**
   * The secret as `MONGODB_URI`: ECS resolves it when the task starts, with the execution role
   * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html).
   * `addSecret` grants that read itself; the grant is captured to return it.
   */
  private addSecret(container: ecs.ContainerDefinition): iam.Grant {
    const secret = ecs.Secret.fromSecretsManager(this.auth.connectionStringSecret!, this.auth.secretField);
    const key = this.auth.secretEncryptionKey;
    let grant: iam.Grant | undefined;
    container.addSecret(MONGODB_URI_VARIABLE, {
      arn: secret.arn,
      hasField: secret.hasField,
      grantRead: (grantee: iam.IGrantable) => {
        grant = secret.grantRead(grantee);
        // As aws-cdk-lib grants a secret's own key: decrypt through Secrets Manager only. In the
        // role's policy, which a key's default policy (account root) lets take effect; part of
        // the grant grantConnect returns.
        if (key) {
          grant = grant.combine(iam.Grant.addToPrincipal({
            grantee,
            actions: ['kms:Decrypt'],
            resourceArns: [key.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
          }));
        }
        return grant;
      },
    });
    return grant!;
  }

  private addDatabaseUser(role: iam.IRole, taskDefinition: ecs.TaskDefinition): void {
    if (this.roles.includes(role)) return;
    this.roles.push(role);
    const options = this.auth.databaseUser;
    if (!options) return;
    const user = createDatabaseUser(this, databaseUserId(role), role, this.databaseName, options);
    this._databaseUsers.push(user);
    // Tasks start once their database user exists (same stack only: across stacks this
    // would make the stacks reference each other both ways).
    // The CfnTaskDefinition only: the task role is a child of the task definition construct.
    const cfnTaskDefinition = taskDefinition.node.defaultChild;
    if (Stack.of(taskDefinition) === Stack.of(this) && cfnTaskDefinition instanceof CfnResource) cfnTaskDefinition.addDependency(user);
  }

  /** MONGODB_URI and MONGODB_DATABASE set once each, to what grantConnect set (the user may add more later). */
  private checkGrantedContainers(): string[] {
    const problems: string[] = [];
    for (const { container, label } of this.granted.values()) {
      for (const name of [MONGODB_URI_VARIABLE, MONGODB_DATABASE_VARIABLE]) {
        const where = variableSources(container, name);
        if (where.length > 1) {
          problems.push(`container ${container.containerName} of ${label} sets ${name} ${where.length} times (${where.join(', ')}) after ` +
            `grantConnect from ${this.node.path} set it: remove your own ${name}; ECS rejects a task definition with a name in both environment and secrets`);
        }
      }
    }
    return problems;
  }

  /**
   * Without a fixed name, a role's ARN (the Atlas user's name) changes whenever CloudFormation
   * replaces the role, and the service loses database access until the new ARN is
   * registered. Emitted database users follow the ARN by themselves.
   */
  private warnAboutUnnamedRoles(): void {
    if (this.auth.kind !== AtlasAuthKind.AWS_IAM || this.auth.databaseUser) return;
    for (const role of this.roles) {
      if (!(role instanceof iam.Role)) continue; // imported: its ARN is whatever was given
      const cfn = role.node.defaultChild as iam.CfnRole | undefined;
      // An unnamed role's roleName is a token that resolves to nothing.
      if (cfn && Stack.of(role).resolve(cfn.roleName) === undefined) {
        Annotations.of(this).addWarningV2('cdk-fargate-system:atlas-task-role-name',
          `task role ${role.node.path} has no fixed roleName: its ARN is the name of its Atlas database user, and CloudFormation gives a ` +
          'replaced role (a changed construct id, say) a new ARN, locking the service out until the new ARN is registered in Atlas; ' +
          'fix its name with the service\'s taskRoleName prop (or (taskRole.node.defaultChild as iam.CfnRole).roleName), or emit the users ' +
          'with AtlasAuth.awsIam({ databaseUser })');
      }
    }
  }

  /**
   * MONGODB-AWS signs with the task's assumed-role session, whose ARN
   * (`arn:aws:sts::<account>:assumed-role/<name>/<session>`) has no IAM path: Atlas maps it
   * back to `arn:aws:iam::<account>:role/<name>`, so a user registered under a role ARN with a
   * path never matches.
   */
  private warnAboutRolePaths(): void {
    if (this.auth.kind !== AtlasAuthKind.AWS_IAM) return;
    for (const role of this.roles) {
      const cfn = role.node.defaultChild instanceof iam.CfnRole ? role.node.defaultChild : undefined;
      const path = cfn?.path;
      if (path === undefined || Token.isUnresolved(path) || path === '/') continue;
      Annotations.of(this).addWarningV2('cdk-fargate-system:atlas-task-role-path',
        `task role ${role.node.path} has the IAM path ${path}: the task signs in with its assumed-role session, whose ARN carries no path, ` +
        'and Atlas maps it to arn:aws:iam::<account>:role/<name>, which never equals a user named after the role\'s ARN with its path; ' +
        'give the task role no path (the default), or register the database user as arn:aws:iam::<account>:role/<name>');
    }
  }

  private warnAboutHostKind(props: AtlasConnectionProps): void {
    if (Token.isUnresolved(props.host)) return;
    const privateHost = /-pl-\d+\./.test(props.host);
    if (props.privateLink && !privateHost) {
      Annotations.of(this).addWarningV2('cdk-fargate-system:atlas-host-not-private',
        `host (${props.host}) is not a private-endpoint-aware host name (cluster0-pl-0.ab1cd.mongodb.net): it resolves to the cluster's ` +
        'public addresses, so connections bypass the PrivateLink endpoint; copy the host of the Private Endpoint connection string in Atlas');
    }
    if (!props.privateLink && privateHost) {
      Annotations.of(this).addWarningV2('cdk-fargate-system:atlas-private-host-without-endpoint',
        `host (${props.host}) is a private-endpoint-aware host name, but there is no privateLink: it resolves to the addresses of an ` +
        'interface endpoint, which this VPC must reach (another connection\'s endpoint, or peering); add privateLink, or use the standard host');
    }
  }
}

/** Where a rendered container definition sets `name`: 'environment', 'secrets', or both (several times). */
function variableSources(container: ecs.ContainerDefinition, name: string): string[] {
  const rendered = container.renderContainerDefinition();
  const names = (list: unknown, source: string) =>
    (Array.isArray(list) ? list : []).filter((entry: { name?: string }) => entry?.name === name).map(() => source);
  return [...names(rendered.environment, 'environment'), ...names(rendered.secrets, 'secrets')];
}
