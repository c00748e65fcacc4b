/**
 * AWS's own rules for strings, written out independently of the library's code so that tests
 * check the library against AWS, not against itself.
 */

/**
 * Security group and rule descriptions: "Up to 255 characters in length. Allowed characters
 * are a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*"
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html, Description;
 * API_CreateSecurityGroup, GroupDescription; cfn-lint E3031 checks the group's).
 */
export const EC2_DESCRIPTION = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]{0,255}$/;
