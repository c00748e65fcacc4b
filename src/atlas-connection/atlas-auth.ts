import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** How the services of an AtlasConnection authenticate to the cluster. */
export enum AtlasAuthKind {
  /** A Secrets Manager secret holds the whole connection string, credentials included. */
  SECRET = 'SECRET',
  /** `MONGODB-AWS`: the ECS task role is the database user, with no password anywhere. */
  AWS_IAM = 'AWS_IAM',
}

/** Options of `AtlasAuth.secret()`. */
export interface SecretAuthOptions {
  /**
   * The JSON key that holds the connection string, when the secret is a JSON object
   * (ECS injects `<secret ARN>:<field>::`).
   *
   * @default - the whole secret string is the connection string
   */
  readonly field?: string;

  /**
   * The customer-managed KMS key the secret is encrypted with. The execution role, which
   * reads the secret when a task starts, is then allowed `kms:Decrypt` with this key through
   * Secrets Manager only (`kms:ViaService`). A secret of your stack, or one imported with
   * `Secret.fromSecretAttributes({ secretCompleteArn, encryptionKey })`, carries its key
   * already; `Secret.fromSecretCompleteArn` does not, so pass it here.
   *
   * @default - the secret's own key, if it carries one (else the AWS managed key `aws/secretsmanager`, which needs no grant)
   */
  readonly encryptionKey?: kms.IKey;
}

/** One role an Atlas database user is granted (`MongoDB::Atlas::DatabaseUser` `Roles`). */
export interface AtlasDatabaseRole {
  /**
   * A built-in or custom MongoDB role, e.g. `readWrite`, `read`, `dbAdmin`.
   */
  readonly roleName: string;

  /**
   * The database the role applies to.
   *
   * @default - the connection's `databaseName`
   */
  readonly databaseName?: string;

  /**
   * Limit the role to one collection.
   *
   * @default - every collection of the database
   */
  readonly collectionName?: string;
}

/**
 * Options to emit one `MongoDB::Atlas::DatabaseUser` (AWS IAM type ROLE) per granted task
 * role. The resource type is MongoDB's third-party CloudFormation extension: it must be
 * activated in the account and region first, and it reads an Atlas API key from the
 * Secrets Manager secret `cfn/atlas/profile/<profile>`
 * (https://github.com/mongodb/mongodbatlas-cloudformation-resources/tree/master/cfn-resources/database-user).
 */
export interface AtlasDatabaseUserOptions {
  /**
   * The Atlas project id (24 hexadecimal digits).
   *
   * Create-only in the extension's schema: a new project id replaces each user (created in
   * the new project, then deleted from the old one).
   */
  readonly projectId: string;

  /**
   * The extension's API-key profile: it reads the secret `cfn/atlas/profile/<profile>`.
   *
   * Create-only in the extension's schema, so a new profile makes CloudFormation create each
   * user again in the same project before it deletes the old one, and Atlas refuses a second
   * user of the same name. To change it: deploy once without `databaseUser` (the users are
   * deleted), then again with the new profile.
   *
   * @default 'default'
   */
  readonly profile?: string;

  /**
   * Roles of each database user.
   *
   * @default - `readWrite` on the connection's database
   */
  readonly roles?: AtlasDatabaseRole[];

  /**
   * Limit the users to this cluster of the project (a `CLUSTER` scope).
   *
   * @default - every cluster of the project (Atlas's default)
   */
  readonly clusterName?: string;
}

/** Options of `AtlasAuth.awsIam()`. */
export interface AwsIamAuthOptions {
  /**
   * Also create the Atlas database users for the granted task roles, with MongoDB's
   * `MongoDB::Atlas::DatabaseUser` CloudFormation extension. Only for accounts where that
   * extension is activated; otherwise register `AtlasConnection.roleArns` in Atlas yourself.
   *
   * @default - no database user resource: register the role ARNs in Atlas yourself
   */
  readonly databaseUser?: AtlasDatabaseUserOptions;
}

/**
 * How the services granted by an AtlasConnection authenticate to the cluster.
 *
 * - `AtlasAuth.secret(secret)`: a Secrets Manager secret holds the whole connection string
 *   (with a database user's password); ECS injects it as the `MONGODB_URI` secret, read by
 *   the task's execution role. It never appears in the task definition.
 * - `AtlasAuth.awsIam()`: `MONGODB-AWS`. Each granted service's task role is an Atlas
 *   database user (AWS IAM type ROLE, named by the role ARN); the driver signs with the
 *   task role's credentials, so there is no password anywhere, and `MONGODB_URI` is a plain
 *   variable with no credentials in it.
 */
export class AtlasAuth {
  /**
   * Authenticate with a connection string kept in Secrets Manager.
   *
   * @param secret holds the whole connection string, e.g.
   *   `mongodb+srv://app:<password>@cluster0-pl-0.ab1cd.mongodb.net/orders?retryWrites=true&w=majority`
   * @param options where in the secret the string is
   */
  public static secret(secret: secretsmanager.ISecret, options: SecretAuthOptions = {}): AtlasAuth {
    // ECS reads a Secrets Manager secret by its complete ARN; a name-imported secret has a
    // partial one, which fails at task start and does not match the execution role's grant
    // (Secret.valueFrom: "the full ARN of the Secrets Manager secret", https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Secret.html).
    if (secret.secretFullArn === undefined) {
      throw new Error(`AtlasAuth.secret(): secret ${secret.node.path} has no complete ARN (it was imported by name or by partial ARN), ` +
        'and ECS cannot fetch a secret without the 6-character suffix of its ARN: import it with ' +
        'secretsmanager.Secret.fromSecretCompleteArn(scope, id, \'arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf\')');
    }
    return new AtlasAuth(AtlasAuthKind.SECRET, secret, options.field, undefined, options.encryptionKey);
  }

  /**
   * Authenticate with AWS IAM (`MONGODB-AWS`): each granted task role is a database user.
   *
   * @param options opt-in creation of the Atlas database users
   */
  public static awsIam(options: AwsIamAuthOptions = {}): AtlasAuth {
    return new AtlasAuth(AtlasAuthKind.AWS_IAM, undefined, undefined, options.databaseUser, undefined);
  }

  private constructor(
    /** Which auth mode this is. */
    public readonly kind: AtlasAuthKind,
    /** The connection-string secret (`SECRET` only). */
    public readonly connectionStringSecret: secretsmanager.ISecret | undefined,
    /** The JSON key of the connection string in the secret (`SECRET` only). */
    public readonly secretField: string | undefined,
    /** Database users to emit (`AWS_IAM` only, opt-in). */
    public readonly databaseUser: AtlasDatabaseUserOptions | undefined,
    /** The customer-managed key of the secret, beyond the one it carries (`SECRET` only). */
    public readonly secretEncryptionKey: kms.IKey | undefined,
  ) {}
}
