import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AtlasAuth } from './atlas-auth';

/**
 * Something that runs ECS tasks and can be granted access to Atlas: every service of this
 * library (GrpcFargateService, SqsWorkerService, ...), an `ecs.FargateService` or
 * `ecs.Ec2Service`, or any `ec2.IConnectable` with a task definition.
 */
export interface IAtlasGrantee extends ec2.IConnectable {
  /**
   * The task definition whose container receives `MONGODB_URI` and `MONGODB_DATABASE`, and
   * whose task role is the database user with `AtlasAuth.awsIam()`.
   */
  readonly taskDefinition: ecs.TaskDefinition;

  /**
   * The container that connects to MongoDB.
   *
   * @default - the task definition's default container (its first essential container)
   */
  readonly container?: ecs.ContainerDefinition;
}

/** An interface VPC endpoint to the Atlas project's PrivateLink endpoint service. */
export interface AtlasPrivateLinkOptions {
  /**
   * The Atlas endpoint service, as Atlas shows it when you add an AWS private endpoint to
   * the project: `com.amazonaws.vpce.<region>.vpce-svc-<id>`. Its region must be the stack's.
   */
  readonly endpointServiceName: string;

  /** The VPC the services run in. */
  readonly vpc: ec2.IVpc;

  /**
   * Subnets for the endpoint's network interfaces, one per Availability Zone.
   *
   * Spread them over several zones: Atlas's PrivateLink survives a zone outage only
   * with interfaces in other zones.
   *
   * @default - the VPC's private subnets, one per Availability Zone
   */
  readonly subnets?: ec2.SubnetSelection;

  /**
   * Keep only the subnets in Availability Zones the endpoint service supports (a context
   * lookup at synthesis, `ec2:DescribeVpcEndpointServices`). An unsupported zone fails the
   * deploy. The lookup needs a stack with a concrete account and region and a literal
   * service name; its answer is cached in `cdk.context.json`.
   *
   * @default - true when the stack has a concrete account and region and the service name
   *   is not a token; false otherwise (choose subnets in supported zones yourself)
   */
  readonly lookupSupportedAzs?: boolean;
}

/** Properties of an AtlasConnection. */
export interface AtlasConnectionProps {
  /**
   * The cluster's SRV host name, without scheme, credentials, port or path, as in Atlas's
   * `mongodb+srv://` connection string: `cluster0.ab1cd.mongodb.net`, or with PrivateLink
   * the private-endpoint-aware `cluster0-pl-0.ab1cd.mongodb.net`.
   */
  readonly host: string;

  /**
   * The database the services use, passed as `MONGODB_DATABASE` (and the connection
   * string's path in AWS IAM mode). Not empty, under 64 bytes, without `/ \ . " $ * < > : | ?`,
   * spaces or NUL (MongoDB's Windows list, stricter than the Linux one Atlas needs).
   */
  readonly databaseName: string;

  /** How the services authenticate: `AtlasAuth.secret(secret)` or `AtlasAuth.awsIam()`. */
  readonly auth: AtlasAuth;

  /**
   * Reach the cluster through AWS PrivateLink: an interface VPC endpoint with its own
   * security group, open on TCP 1024-65535 to granted services only.
   *
   * @default - no endpoint: reach the cluster through VPC peering or NAT egress with an
   *   Atlas IP access list (see `egressPeer`)
   */
  readonly privateLink?: AtlasPrivateLinkOptions;

  /**
   * Without PrivateLink: where `grantConnect` opens each service's egress on TCP 27015-27017
   * (Atlas's ports): the Atlas VPC's CIDR with peering, or `ec2.Peer.anyIpv4()` for NAT egress
   * to a cluster that admits your NAT gateways' addresses in its IP access list.
   *
   * @default - no egress rule: a service whose security group blocks outbound traffic
   *   must be opened by you
   */
  readonly egressPeer?: ec2.IPeer;

  /**
   * Extra connection-string options in AWS IAM mode, e.g. `{ appName: 'orders', maxPoolSize: '20' }`
   * (`retryWrites` and `w` may be overridden). Authentication and TLS options are the
   * construct's: `tls`/`ssl` cannot be turned off. With `AtlasAuth.secret()`, put options in
   * the secret's connection string instead.
   *
   * @default - none beyond `tls=true&retryWrites=true&w=majority` and the IAM options
   */
  readonly uriOptions?: { [key: string]: string };
}
