import { Duration } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { Construct } from 'constructs';
import { NEXT_RSC_HEADERS } from './edge-defaults';

export interface NextBehavioursProps {
  readonly origin: cloudfront.IOrigin;
  readonly responseHeadersPolicy: cloudfront.IResponseHeadersPolicy;
  readonly pageCachePolicy?: cloudfront.ICachePolicy;
  readonly imageCachePolicy?: cloudfront.ICachePolicy;
}

/** The distribution's behaviours for a Next.js app. */
export interface NextBehaviours {
  readonly defaultBehavior: cloudfront.BehaviorOptions;
  readonly additionalBehaviors: Record<string, cloudfront.BehaviorOptions>;
}

/**
 * Behaviours that cache a Next.js app without mixing responses:
 *
 * - `/_next/static/*`: content-hashed files that Next serves `immutable` for a year. The
 *   managed CachingOptimized policy honours that (max TTL one year) and keys on nothing.
 * - `/_next/image*`: the image optimizer picks the size from the query string (`url`, `w`,
 *   `q`) and the format from `Accept` (AVIF/WebP/original), so both are in the key.
 * - everything else (pages, route handlers, server actions): not cached unless the origin's
 *   Cache-Control says so (default TTL 0). The same URL answers HTML or an RSC payload
 *   depending on the RSC request headers (Next.js 16's `Vary`), so they are in the key; and
 *   all query strings, because the origin receives all of them: a key on `_rsc` alone could
 *   serve one query's page for another.
 *
 * Every dynamic behaviour forwards all viewer headers (managed AllViewer policy): Next.js
 * checks a server action's `Origin` against `X-Forwarded-Host`, else `Host`, and the load
 * balancer adds no X-Forwarded-Host, so the viewer's Host must arrive
 * (https://nextjs.org/docs/app/api-reference/config/next-config-js/serverActions).
 *
 * CloudFront allows 20 custom cache policies per account
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html):
 * managed policies are reused where they fit, the two created ones are named after the
 * construct's unique id and region, and users may pass their own instead.
 */
export function nextBehaviours(scope: Construct, props: NextBehavioursProps): NextBehaviours {
  const pageCachePolicy = props.pageCachePolicy ?? new cloudfront.CachePolicy(scope, 'PageCachePolicy', {
    comment: 'Next.js pages and RSC payloads: origin Cache-Control decides, RSC headers and all query strings in the key',
    defaultTtl: Duration.seconds(0),
    minTtl: Duration.seconds(0),
    maxTtl: Duration.days(365),
    headerBehavior: cloudfront.CacheHeaderBehavior.allowList(...NEXT_RSC_HEADERS),
    queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
    cookieBehavior: cloudfront.CacheCookieBehavior.none(),
    enableAcceptEncodingGzip: true,
    enableAcceptEncodingBrotli: true,
  });
  const imageCachePolicy = props.imageCachePolicy ?? new cloudfront.CachePolicy(scope, 'ImageCachePolicy', {
    comment: 'Next.js image optimizer: size from the query string, format from Accept',
    defaultTtl: Duration.days(1),
    minTtl: Duration.seconds(0),
    maxTtl: Duration.days(365),
    headerBehavior: cloudfront.CacheHeaderBehavior.allowList('accept'),
    queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
    cookieBehavior: cloudfront.CacheCookieBehavior.none(),
    enableAcceptEncodingGzip: true,
    enableAcceptEncodingBrotli: true,
  });

  const common = {
    origin: props.origin,
    viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
    compress: true,
    responseHeadersPolicy: props.responseHeadersPolicy,
  };
  return {
    defaultBehavior: {
      ...common,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
      cachePolicy: pageCachePolicy,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER,
    },
    additionalBehaviors: {
      '/_next/static/*': {
        ...common,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        // The viewer's Host reaches the origin (an origin request policy leaves the cache key
        // alone): over HTTPS (originCertificate) CloudFront checks the origin's certificate
        // against the Host header or the origin domain name, and the certificate never
        // covers the load balancer's DNS name, so without Host every asset would be a 502
        // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-502-bad-gateway.html).
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER,
      },
      '/_next/image*': {
        ...common,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: imageCachePolicy,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER,
      },
    },
  };
}
