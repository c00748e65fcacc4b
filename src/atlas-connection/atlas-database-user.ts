import { CfnResource } from 'aws-cdk-lib';
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
