import { Token } from 'aws-cdk-lib';

/**
 * Strings built from construct paths and ids reach AWS fields with their own character
 * rules. CDK allows ids that those fields reject (an apostrophe, non-ASCII letters), and
 * the rejection only comes at deploy time (or at synth in apps that set
 * `@aws-cdk/core:validateAgainstDefaultRules`). Everything this library writes into such a
 * field goes through one of the functions here.
 */

/**
 * Characters EC2 allows in a security group description and in a security group rule
 * description: "a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*"
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html,
 * GroupDescription; cfn-lint rule E3031 checks the same pattern).
 */
const EC2_DESCRIPTION_DISALLOWED = /[^a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]/g;
/** Both kinds of description are limited to 255 characters. */
const EC2_DESCRIPTION_MAX = 255;

/**
 * `text` as EC2 accepts it in a security group (or rule) description: accents dropped
 * (`é` -> `e`), every other character outside EC2's set replaced by `_`, cut to 255
 * characters. A string that is already valid comes back unchanged, so existing groups
 * (whose description is create-only) are not replaced. Tokens pass through untouched.
 */
export function ec2Description(text: string): string {
  if (Token.isUnresolved(text)) return text;
  const clean = text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(EC2_DESCRIPTION_DISALLOWED, '_');
  return clean.length > EC2_DESCRIPTION_MAX ? `${clean.slice(0, EC2_DESCRIPTION_MAX - 3)}...` : clean;
}

/**
 * `text` cut to `max` characters (with a visible ellipsis), for free-text fields that take
 * any character but have a length limit, such as a CloudFront distribution comment (128).
 */
export function truncated(text: string, max: number): string {
  if (Token.isUnresolved(text) || text.length <= max) return text;
  return `${text.slice(0, max - 3)}...`;
}
