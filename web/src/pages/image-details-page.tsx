/** One image: status and timeline, the build log tailing while it builds, manifest, packages, SBOM. */
import { useEffect, useRef, useState } from 'react';
import {
  Breadcrumb,
  BreadcrumbItem,
  Button,
  ClipboardCopy,
  CodeBlock,
  CodeBlockCode,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  PageSection,
  ProgressStep,
  ProgressStepper,
  Tab,
  Tabs,
  TabTitleText,
  TextInput,
  Title,
  Flex,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useApi } from '../api/api-context.tsx';
import { saveFile } from '../api/client.ts';
import type { ComposeLogs, ComposeManifests, ComposeMetadata, ComposeSBOMs, ComposeStatus } from '../api/types.ts';
import { useRequest } from '../api/use-request.ts';
import { ComposeProgress, composeName, formatBytes, formatTime, isUnfinished, resultsOf, StateLabel } from '../components/compose-status.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { Link } from '../router.tsx';

export function ImageDetailsPage({ id }: { id: string }) {
  const api = useApi();
  const [poll, setPoll] = useState<number | undefined>(1500);
  const status = useRequest(() => api.get<ComposeStatus>(`/composes/${id}`), [id], poll);
  const [tab, setTab] = useState<string | number>('overview');
  const finished = status.data ? !isUnfinished(status.data.state) : false;
  useEffect(() => setPoll(finished ? undefined : 1500), [finished]);
  const [sbomError, setSbomError] = useState<Error>();

  const s = status.data;
  const name = s ? composeName(id, s.request.image_name) : id.slice(0, 8);
  const downloadSbom = async () => {
    try {
      const sboms = await api.get<ComposeSBOMs>(`/composes/${id}/sboms`);
      saveFile(`${name}-sbom.spdx.json`, JSON.stringify(sboms, null, 2));
      setSbomError(undefined);
    } catch (error) {
      setSbomError(error as Error);
    }
  };
  return (
    <>
      <PageSection>
        <Breadcrumb>
          <BreadcrumbItem>
            <Link to="/">Images</Link>
          </BreadcrumbItem>
          <BreadcrumbItem isActive>{name}</BreadcrumbItem>
        </Breadcrumb>
        <Flex alignItems={{ default: 'alignItemsCenter' }}>
          <Title headingLevel="h2">Image {name}</Title>
          {s ? <StateLabel state={s.state} /> : null}
        </Flex>
        {s ? <ComposeProgress status={s} id={id} /> : null}
      </PageSection>
      <PageSection>
        <ErrorAlert error={status.error} title="Could not read this image" retry={() => void status.reload()} />
        <ErrorAlert error={sbomError} title="Could not download the SBOM" />
        {s ? (
          <Tabs activeKey={tab} onSelect={(_e, key) => setTab(key)} aria-label="Image details" mountOnEnter unmountOnExit>
            <Tab eventKey="overview" title={<TabTitleText>Overview</TabTitleText>}>
              <Overview id={id} status={s} onSbom={() => void downloadSbom()} />
            </Tab>
            <Tab eventKey="log" title={<TabTitleText>Build log</TabTitleText>}>
              <BuildLog id={id} />
            </Tab>
            <Tab eventKey="manifest" title={<TabTitleText>Manifest</TabTitleText>}>
              <ManifestView id={id} name={name} />
            </Tab>
            <Tab eventKey="packages" title={<TabTitleText>Packages</TabTitleText>}>
              <PackageList id={id} />
            </Tab>
          </Tabs>
        ) : null}
      </PageSection>
    </>
  );
}

function Overview({ id, status: s, onSbom }: { id: string; status: ComposeStatus; onSbom: () => void }) {
  const results = resultsOf(s);
  const request = s.request.image_requests[0];
  const history = s.history ?? [];
  const failed = s.image_status.error;
  return (
    <>
      <Title headingLevel="h3" style={{ marginTop: 16 }}>
        Timeline
      </Title>
      <ProgressStepper aria-label="Status timeline" isCompact>
        {history.map((h, i) => (
          <ProgressStep
            key={`${h.state}-${i}`}
            id={`step-${i}`}
            titleId={`step-${i}-title`}
            variant={h.state === 'failure' ? 'danger' : h.state === 'cancelled' ? 'warning' : i === history.length - 1 && isUnfinished(h.state) ? 'info' : 'success'}
            isCurrent={i === history.length - 1}
            description={formatTime(h.at)}
          >
            {h.state}
          </ProgressStep>
        ))}
      </ProgressStepper>
      {failed ? (
        <p role="alert" style={{ color: 'var(--pf-t--global--text--color--status--danger--default)' }}>
          Failed: {failed.reason}
        </p>
      ) : null}
      <DescriptionList isHorizontal style={{ marginTop: 16 }} aria-label="Image properties">
        <DescriptionListGroup>
          <DescriptionListTerm>Id</DescriptionListTerm>
          <DescriptionListDescription>{id}</DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Distribution</DescriptionListTerm>
          <DescriptionListDescription>{s.request.distribution}</DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Image type</DescriptionListTerm>
          <DescriptionListDescription>
            {request?.image_type} ({request?.architecture})
          </DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Created / finished</DescriptionListTerm>
          <DescriptionListDescription>
            {formatTime(s.created_at)} / {formatTime(s.finished_at)}
          </DescriptionListDescription>
        </DescriptionListGroup>
        {results.ami ? (
          <DescriptionListGroup>
            <DescriptionListTerm>AMI</DescriptionListTerm>
            <DescriptionListDescription>
              <ClipboardCopy isReadOnly variant="inline-compact" hoverTip="Copy AMI id" clickTip="Copied">
                {results.ami}
              </ClipboardCopy>{' '}
              {results.region}
            </DescriptionListDescription>
          </DescriptionListGroup>
        ) : null}
        {(s.artifacts ?? []).map((a) => (
          <DescriptionListGroup key={a.name}>
            <DescriptionListTerm>File</DescriptionListTerm>
            <DescriptionListDescription>
              {a.url ? (
                <Button component="a" variant="link" isInline href={a.url} download>
                  Download {a.name}
                </Button>
              ) : (
                a.name
              )}{' '}
              ({formatBytes(a.size)}, sha256 {a.sha256.slice(0, 12)}…)
            </DescriptionListDescription>
          </DescriptionListGroup>
        ))}
        {results.url && !(s.artifacts ?? []).some((a) => a.url) ? (
          <DescriptionListGroup>
            <DescriptionListTerm>File</DescriptionListTerm>
            <DescriptionListDescription>
              <Button component="a" variant="link" isInline href={results.url} download>
                Download
              </Button>
            </DescriptionListDescription>
          </DescriptionListGroup>
        ) : null}
      </DescriptionList>
      <Button variant="secondary" onClick={onSbom} style={{ marginTop: 16 }}>
        Download SBOM (SPDX)
      </Button>
    </>
  );
}

/** Appends what the log gained since the last read, until the compose finished. */
function BuildLog({ id }: { id: string }) {
  const api = useApi();
  const [text, setText] = useState('');
  const [complete, setComplete] = useState(false);
  const [error, setError] = useState<Error>();
  const offset = useRef(0);
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const read = async () => {
      try {
        const part = await api.get<ComposeLogs>(`/composes/${id}/logs`, { offset: offset.current });
        if (stopped) return;
        offset.current = part.next_offset;
        if (part.logs) setText((t) => t + part.logs);
        setError(undefined);
        if (part.complete) return setComplete(true);
      } catch (e) {
        if (!stopped) setError(e as Error);
      }
      if (!stopped) timer = setTimeout(() => void read(), 1000);
    };
    void read();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, id]);
  useEffect(() => {
    const el = box.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [text]);
  return (
    <>
      <ErrorAlert error={error} title="Could not read the log" />
      <p>{complete ? 'The build finished; this is the whole log.' : 'Following the log while the image builds…'}</p>
      <pre ref={box} className="ibs-log" tabIndex={0} aria-label="Build log" data-testid="build-log">
        {text || (complete ? '(empty)' : '')}
      </pre>
    </>
  );
}

function ManifestView({ id, name }: { id: string; name: string }) {
  const api = useApi();
  const manifests = useRequest(() => api.get<ComposeManifests>(`/composes/${id}/manifests`), [id]);
  const json = manifests.data ? JSON.stringify(manifests.data.manifests.length === 1 ? manifests.data.manifests[0] : manifests.data.manifests, null, 2) : '';
  return (
    <>
      <ErrorAlert error={manifests.error} title="Could not read the manifest" />
      {manifests.data && manifests.data.manifests.length === 0 ? <p>The manifest is not generated yet.</p> : null}
      {json ? (
        <>
          <Button variant="secondary" onClick={() => saveFile(`${name}-manifest.json`, json)} style={{ margin: '16px 0' }}>
            Download manifest
          </Button>
          <CodeBlock className="ibs-code" tabIndex={0} aria-label="osbuild manifest">
            <CodeBlockCode>{json}</CodeBlockCode>
          </CodeBlock>
        </>
      ) : null}
    </>
  );
}

function PackageList({ id }: { id: string }) {
  const api = useApi();
  const metadata = useRequest(() => api.get<ComposeMetadata>(`/composes/${id}/metadata`), [id]);
  const [filter, setFilter] = useState('');
  const packages = (metadata.data?.packages ?? []).filter((p) => p.name.includes(filter));
  return (
    <>
      <ErrorAlert error={metadata.error} title="Could not read the package list" />
      <TextInput aria-label="Filter packages by name" placeholder="Filter by name" value={filter} onChange={(_e, v) => setFilter(v)} style={{ margin: '16px 0', maxWidth: 320 }} />
      {metadata.data && !metadata.data.packages?.length ? <p>No packages recorded (yet) for this image.</p> : null}
      {packages.length ? (
        <Table aria-label="Packages" variant="compact">
          <Thead>
            <Tr>
              <Th>Name</Th>
              <Th>Version</Th>
              <Th>Architecture</Th>
            </Tr>
          </Thead>
          <Tbody>
            {packages.slice(0, 2000).map((p) => (
              <Tr key={`${p.name}-${p.arch}`}>
                <Td dataLabel="Name">{p.name}</Td>
                <Td dataLabel="Version">{`${p.epoch && p.epoch !== '0' ? `${p.epoch}:` : ''}${p.version}-${p.release}`}</Td>
                <Td dataLabel="Architecture">{p.arch}</Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      ) : null}
    </>
  );
}
