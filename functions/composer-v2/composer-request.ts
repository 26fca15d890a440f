/**
 * A cloud API v2 ComposeRequest read into the hosted API's requests (the one compose use case serves both): one per
 * image request, its upload target (aws.s3 links or an aws AMI), customizations or a blueprint. What we cannot build is
 * refused with composer's error id for it, never silently dropped.
 */
import { validateSchema } from '../../layers/src/api/validate.ts';
import { importBlueprint } from '../../layers/src/blueprint/composer-blueprint-import.ts';
import type { AcceptedComposeRequest } from '../../layers/src/service/compose-service.ts';
import { ComposerError, ComposerErrorCode as Code } from './composer-errors.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const REQUEST_KEYS = ['distribution', 'bootc', 'image_request', 'image_requests', 'customizations', 'koji', 'blueprint', 'blueprint_id'];
const IMAGE_KEYS = ['architecture', 'image_type', 'repositories', 'ostree', 'upload_targets', 'upload_options', 'size'];

const refuse = (code: number, details: string): never => {
  throw new ComposerError(code, details);
};

function checkKeys(value: Obj, allowed: readonly string[], at: string): void {
  const extra = Object.keys(value).filter((k) => !allowed.includes(k));
  if (extra.length > 0) refuse(Code.BodyDecodingError, `${at}: unknown field ${extra.map((k) => `"${k}"`).join(', ')} (allowed: ${allowed.join(', ')})`);
}

/** The one upload target of an image request, as the hosted API's upload_request. */
function uploadRequestOf(image: Obj, at: string): { type: string; options: Obj } | undefined {
  const targets: { type: string; options: Obj }[] = [];
  if (image.upload_options !== undefined) {
    if (!isObj(image.upload_options)) refuse(Code.BodyDecodingError, `${at}.upload_options must be an object`);
    const options = image.upload_options as Obj;
    // The image type's default target: an AMI when EC2 options (share_with_accounts) are given, else an S3 link.
    targets.push({ type: 'share_with_accounts' in options ? 'aws' : 'aws.s3', options });
  }
  if (image.upload_targets !== undefined) {
    if (!Array.isArray(image.upload_targets)) refuse(Code.BodyDecodingError, `${at}.upload_targets must be an array`);
    (image.upload_targets as unknown[]).forEach((t, i) => {
      if (!isObj(t) || typeof t.type !== 'string' || !isObj(t.upload_options)) {
        refuse(Code.BodyDecodingError, `${at}.upload_targets[${i}] must be {type, upload_options}`);
      }
      const target = t as { type: string; upload_options: Obj };
      targets.push({ type: target.type, options: target.upload_options });
    });
  }
  if (targets.length > 1) refuse(Code.InvalidUploadTarget, `${at}: one upload target per image is supported here, got ${targets.length}`);
  const [target] = targets;
  if (!target) return undefined;
  if (target.type !== 'aws' && target.type !== 'aws.s3') {
    refuse(Code.InvalidUploadTarget, `${at}: upload target type "${target.type}" is not supported by this service (supported: aws, aws.s3)`);
  }
  if (target.type === 'aws.s3') {
    // Our links are presigned and expire by configuration: `region` and `public` change nothing.
    return { type: 'aws.s3', options: {} };
  }
  // The hosted options have no `region`/`snapshot_name`: the AMI is made in the runner's region and copied to `region`
  // (the aws upload validates it); the snapshot is named by the AMI path, so `snapshot_name` changes nothing.
  const { region, share_with_accounts: shareWith } = target.options;
  return {
    type: 'aws',
    options: {
      ...(typeof region === 'string' ? { regions: [region] } : {}),
      ...(Array.isArray(shareWith) ? { share_with_accounts: shareWith } : {}),
    },
  };
}

function imageRequestOf(image: unknown, at: string): AcceptedComposeRequest['image_requests'][number] {
  if (!isObj(image)) return refuse(Code.BodyDecodingError, `${at} must be an object`);
  checkKeys(image, IMAGE_KEYS, at);
  if (typeof image.architecture !== 'string') refuse(Code.UnsupportedArchitecture, `${at}.architecture is required`);
  if (typeof image.image_type !== 'string') refuse(Code.UnsupportedImageType, `${at}.image_type is required`);
  if (image.ostree !== undefined) refuse(Code.ValidationFailed, `${at}.ostree: ostree images are not supported by this service`);
  if (image.size !== undefined && (typeof image.size !== 'number' || !Number.isInteger(image.size) || image.size < 0)) {
    refuse(Code.BodyDecodingError, `${at}.size must be a whole number of bytes`);
  }
  const upload = uploadRequestOf(image, at);
  return {
    architecture: image.architecture as string,
    image_type: image.image_type as string,
    ...(typeof image.size === 'number' && image.size > 0 ? { size: image.size } : {}),
    ...(upload ? { upload_request: upload } : {}),
  };
}

/** The customizations of a request's `blueprint` (composer's blueprint JSON), checked against its distribution. */
function blueprintCustomizations(blueprint: unknown, distribution: string): Obj {
  if (!isObj(blueprint)) return refuse(Code.BodyDecodingError, 'blueprint must be an object');
  if (typeof blueprint.distro === 'string' && blueprint.distro !== '' && blueprint.distro !== distribution) {
    refuse(Code.MismatchedDistribution, `blueprint.distro "${blueprint.distro}" is not the request's distribution "${distribution}"`);
  }
  return importBlueprint(blueprint, 'json', 'blueprint').customizations;
}

/**
 * The hosted requests a v2 ComposeRequest stands for, one per image request in order (each validated by the hosted
 * schema as well); `koji` is read by koji-builds.ts. As composer: several images only in a Koji compose (its
 * enqueueKojiCompose); otherwise, and for `image_request` with `image_requests`, exactly one (25).
 */
export function acceptComposerRequests(body: unknown): AcceptedComposeRequest[] {
  if (!isObj(body)) return refuse(Code.BodyDecodingError, 'a ComposeRequest JSON object is required');
  checkKeys(body, REQUEST_KEYS, '(body)');
  if (body.bootc !== undefined) refuse(Code.ValidationFailed, 'bootc (image mode) composes are not supported by this service; give a distribution');
  if (typeof body.distribution !== 'string' || body.distribution === '') return refuse(Code.UnsupportedDistribution, 'distribution is required');
  if (body.customizations !== undefined && body.blueprint !== undefined) refuse(Code.BlueprintOrCustomNotBoth, 'give customizations or blueprint, not both');
  const images = [
    ...(body.image_request !== undefined ? [{ image: body.image_request, at: 'image_request' }] : []),
    ...(Array.isArray(body.image_requests) ? body.image_requests.map((image, i) => ({ image, at: `image_requests[${i}]` })) : []),
  ];
  if (body.image_requests !== undefined && !Array.isArray(body.image_requests)) refuse(Code.BodyDecodingError, 'image_requests must be an array');
  if (body.image_request !== undefined && body.image_requests !== undefined) refuse(Code.InvalidNumberOfImageBuilds, 'give image_request or image_requests, not both');
  if (images.length === 0) refuse(Code.InvalidNumberOfImageBuilds, 'an image request is required');
  if (images.length > 1 && body.koji === undefined) {
    refuse(Code.InvalidNumberOfImageBuilds, `exactly one image request per compose without koji (as composer), got ${images.length}`);
  }
  const customizations = body.blueprint !== undefined ? blueprintCustomizations(body.blueprint, body.distribution) : body.customizations;
  const distribution = body.distribution;
  return images.map(({ image, at }) =>
    validateSchema<AcceptedComposeRequest>('ComposeRequest', {
      distribution,
      image_requests: [imageRequestOf(image, at)],
      ...(isObj(customizations) && Object.keys(customizations).length > 0 ? { customizations } : {}),
      client_id: 'api',
    }),
  );
}
