import * as crypto from 'crypto';
import { CfnResource, Names, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { AtlasDatabaseUserOptions } from './atlas-auth';

/** The CloudFormation type of MongoDB's database-user extension. */
export const DATABASE_USER_TYPE = 'MongoDB::Atlas::DatabaseUser';

/**
 * One `MongoDB::Atlas::DatabaseUser` for `role`: AWS IAM type ROLE, named by the role ARN,
 * authenticating against `$external`, as the extension's schema and its IAM-role sample
 * template have it
 * (https://github.com/mongodb/mongodbatlas-cloudformation-resources/blob/master/cfn-resources/database-user/mongodb-atlas-databaseuser.json).
 * A plain CfnResource: the library takes no dependency on the extension's generated L1s.
 */
export function createDatabaseUser(scope: Construct, id: string, role: iam.IRole, databaseName: string,
  options: AtlasDatabaseUserOptions): CfnResource {
  const roles = options.roles ?? [{ roleName: 'readWrite' }];
  return new CfnResource(scope, id, {
    type: DATABASE_USER_TYPE,
    properties: {
      ProjectId: options.projectId,
      Profile: options.profile ?? 'default',
      Username: role.roleArn,
      DatabaseName: '$external',
      AWSIAMType: 'ROLE',
      Roles: roles.map((r) => ({
        RoleName: r.roleName,
        DatabaseName: r.databaseName ?? databaseName,
        ...(r.collectionName !== undefined ? { CollectionName: r.collectionName } : {}),
      })),
      ...(options.clusterName !== undefined ? { Scopes: [{ Type: 'CLUSTER', Name: options.clusterName }] } : {}),
    },
  });
}

/**
 * Construct id of the database user of `role`, derived from its username (the role ARN).
 *
 * The extension's `Username` is not create-only (only `ProjectId` and `Profile` are), so a
 * user whose logical id stayed the same while its role was renamed or replaced (e.g. after
 * adding `taskRoleName`) would get an in-place update that Atlas rejects
 * (USERNAME_NOT_FOUND / DATABASE_USERNAME_CANNOT_BE_CHANGED). Keyed by the username,
 * a new role ARN means a new logical id: CloudFormation creates the new user, then deletes
 * the old one. What identifies the ARN at synth: the ARN itself when it is literal (an
 * imported role), else the role's literal name and path, else (a generated name, which
 * changes only when the role is replaced) the role's construct path, as earlier releases did.
 */
export function databaseUserId(role: iam.IRole): string {
  const cfnRole = role.node.defaultChild instanceof iam.CfnRole ? role.node.defaultChild : undefined;
  let identity: string;
  if (!Token.isUnresolved(role.roleArn)) {
    identity = `arn:${role.roleArn}`;
  } else if (cfnRole?.roleName !== undefined && !Token.isUnresolved(cfnRole.roleName)) {
    identity = `name:${cfnRole.path ?? '/'}${cfnRole.roleName}`;
  } else {
    // The id earlier releases gave every user, kept so that no deployed user is replaced.
    return `DatabaseUser${Names.uniqueId(role)}`;
  }
  return `DatabaseUser${crypto.createHash('sha256').update(identity).digest('hex').slice(0, 12).toUpperCase()}`;
}
