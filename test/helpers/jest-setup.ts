import { dropAwsCdkLibOwnDeprecation } from '../../scripts/aws-cdk-lib-noise';

dropAwsCdkLibOwnDeprecation();
