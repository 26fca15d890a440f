/**
 * The pipelines after the os tree that turn it into the image file: raw disk and its conversions (qcow2, vhd, vmdk,
 * ova, gce), tar archive or OCI container, then compression, as upstream's image functions lay them out.
 */
import * as P from '../../manifest/pipelines/image.ts';
import type { Pipeline } from '../../manifest/manifest.ts';
import { ociConfig } from './image-config.ts';
import type { PreparedImage } from './prepare-image.ts';

export function imagePipelines(prep: PreparedImage, build: string): Pipeline[] {
  const { def, arch } = prep.imageType.spec;
  const out: Pipeline[] = [];
  const finalName = def.filename;
  const compressed = Boolean(def.compression);
  let last: P.FilePipeline;
  if (def.image_func === 'disk') {
    const format = prep.platform.image_format;
    const rawName = format === 'gce' ? 'disk.raw' : format === 'raw' && !compressed ? finalName : 'disk.img';
    const raw = P.rawImagePipeline(build, 'os', prep.pt!, rawName, prep.platform.bios_platform);
    out.push(raw.pipeline);
    const name = (fallback: string): string => (compressed ? fallback : finalName);
    switch (format) {
      case 'raw':
        last = raw;
        break;
      case 'qcow2':
        last = P.qcow2Pipeline(build, raw, name('image.qcow2'), prep.platform.qcow2_compat || undefined);
        out.push(last.pipeline);
        break;
      case 'vhd':
        last = P.vpcPipeline(build, raw, name('image.vhd'));
        out.push(last.pipeline);
        break;
      case 'vmdk':
        last = P.vmdkPipeline(build, raw, name('image.vmdk'));
        out.push(last.pipeline);
        break;
      case 'ova': {
        const vmdk = P.vmdkPipeline(build, raw, 'image.vmdk');
        out.push(vmdk.pipeline, P.ovfPipeline(build, vmdk));
        const base = finalName.replace(/\.[^.]*$/, '');
        last = P.tarPipeline(build, 'archive', 'ovf', { filename: finalName, format: 'ustar', paths: [`${base}.ovf`, `${base}.mf`, `${base}.vmdk`] });
        out.push(last.pipeline);
        break;
      }
      case 'gce':
        last = P.tarPipeline(build, 'archive', 'image', {
          filename: finalName,
          format: 'oldgnu',
          'root-node': 'omit',
          acls: false,
          selinux: false,
          xattrs: false,
        });
        out.push(last.pipeline);
        break;
      default:
        throw new Error(`image format ${format} is not supported`);
    }
  } else if (def.image_func === 'tar') {
    last = P.tarPipeline(build, 'archive', 'os', { filename: compressed ? 'image.tar' : finalName, 'numeric-owner': true });
    out.push(last.pipeline);
  } else if (def.image_func === 'container') {
    last = P.containerPipeline(build, 'os', arch, finalName, ociConfig(prep.config));
    out.push(last.pipeline);
  } else {
    throw new Error(`image function ${def.image_func} is not supported`);
  }
  if (def.compression) out.push(P.compressionPipeline(build, def.compression, last, finalName).pipeline);
  return out;
}
