/** Last step: what will be built, the manifest the service would run and how many packages it resolves to. */
import { useEffect, useState } from 'react';
import { CodeBlock, CodeBlockCode, DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm, ExpandableSection, Spinner } from '@patternfly/react-core';
import { useApi } from '../../api/api-context.tsx';
import { ApiError } from '../../api/client.ts';
import type { ManifestPreview } from '../../api/types.ts';
import { toComposeRequest } from '../wizard-request.ts';
import type { StepProps } from '../wizard-props.ts';

/** Packages the preview resolved, over all package sets (build root and image). */
export const resolvedPackageCount = (preview: ManifestPreview) => Object.values(preview.packages).reduce((n, set) => n + set.length, 0);

export function ReviewStep({ state, onApiError }: StepProps & { onApiError: (error: ApiError | undefined) => void }) {
  const api = useApi();
  const [preview, setPreview] = useState<ManifestPreview>();
  const [failed, setFailed] = useState<Error>();
  const [busy, setBusy] = useState(true);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    let stale = false;
    setBusy(true);
    api
      .send<ManifestPreview>('POST', '/manifest', toComposeRequest(state))
      .then(
        (p) => !stale && (setPreview(p), setFailed(undefined), onApiError(undefined)),
        (e: Error) => !stale && (setFailed(e), onApiError(e instanceof ApiError ? e : undefined)),
      )
      .finally(() => !stale && setBusy(false));
    return () => {
      stale = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, state]);
  const row = (term: string, value: string | number | undefined) =>
    value === undefined || value === '' ? null : (
      <DescriptionListGroup>
        <DescriptionListTerm>{term}</DescriptionListTerm>
        <DescriptionListDescription>{value}</DescriptionListDescription>
      </DescriptionListGroup>
    );
  return (
    <>
      <DescriptionList isHorizontal aria-label="Summary">
        {row('Name', state.name)}
        {row('Distribution', state.distribution)}
        {row('Image type', `${state.imageType} (${state.architecture})`)}
        {row('Target', state.uploadTarget === 'aws' ? `AWS AMI${state.awsAccounts ? `, shared with ${state.awsAccounts}` : ''}${state.awsRegion ? `, copied to ${state.awsRegion}` : ''}` : 'Download')}
        {row('Packages you chose', state.packages.length)}
        {row('Users', state.users.map((u) => u.name).join(', '))}
        {row('Hostname', state.hostname)}
        {row('Files and directories', state.files.length + state.directories.length || undefined)}
        {row('First boot script', state.firstBoot ? 'yes' : undefined)}
        <DescriptionListGroup>
          <DescriptionListTerm>Resolved packages</DescriptionListTerm>
          <DescriptionListDescription data-testid="resolved-packages">{busy ? <Spinner size="sm" aria-label="Resolving packages" /> : preview ? resolvedPackageCount(preview) : '—'}</DescriptionListDescription>
        </DescriptionListGroup>
      </DescriptionList>
      {failed ? (
        <p role="alert" style={{ color: 'var(--pf-t--global--text--color--status--danger--default)', marginTop: 16 }}>
          The service cannot build this yet: {failed.message}
        </p>
      ) : null}
      {preview ? (
        <ExpandableSection toggleText={open ? 'Hide the manifest' : 'Show the manifest'} onToggle={(_e, v) => setOpen(v)} isExpanded={open} style={{ marginTop: 16 }}>
          <CodeBlock className="ibs-code" aria-label="Manifest preview">
            <CodeBlockCode>{JSON.stringify(preview.manifest, null, 2)}</CodeBlockCode>
          </CodeBlock>
        </ExpandableSection>
      ) : null}
    </>
  );
}
