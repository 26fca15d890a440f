/** One blueprint: its versions, what a version holds, build, export, delete, and its images by version. */
import { useState } from 'react';
import {
  Alert,
  AlertActionCloseButton,
  Breadcrumb,
  BreadcrumbItem,
  Button,
  CodeBlock,
  CodeBlockCode,
  Flex,
  FormSelect,
  FormSelectOption,
  PageSection,
  Title,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useApi } from '../api/api-context.tsx';
import { saveFile } from '../api/client.ts';
import { listAllComposes } from '../api/compose-list.ts';
import type { BlueprintResponse, BlueprintsResponse, ComposeResponse } from '../api/types.ts';
import { useRequest } from '../api/use-request.ts';
import { ComposeStateCell, composeName, formatTime } from '../components/compose-status.tsx';
import { ConfirmModal } from '../components/confirm-modal.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { Link, navigate } from '../router.tsx';
import { exportBlueprintFile, type BlueprintExportFormat } from '../blueprints/blueprint-files.ts';

export function BlueprintDetailsPage({ id }: { id: string }) {
  const api = useApi();
  const current = useRequest(() => api.get<BlueprintResponse>(`/blueprints/${id}`), [id]);
  const item = useRequest(async () => (current.data ? (await api.get<BlueprintsResponse>('/blueprints', { name: current.data.name })).data.find((b) => b.id === id) : undefined), [current.data?.name]);
  const latest = item.data?.version;
  const [version, setVersion] = useState<number | 'current'>('current');
  const shown = useRequest(() => (version === 'current' ? Promise.resolve(current.data) : api.get<BlueprintResponse>(`/blueprints/${id}`, { version })), [id, version, current.data]);
  const [imagesOf, setImagesOf] = useState<string>('');
  const images = useRequest(() => listAllComposes(api, `/blueprints/${id}/composes`, { blueprint_version: imagesOf || undefined }), [id, imagesOf], 5000);
  const [error, setError] = useState<Error>();
  const [deleting, setDeleting] = useState(false);
  const [exportWarnings, setExportWarnings] = useState<string[]>([]);
  const [building, setBuilding] = useState(false);

  const name = current.data?.name ?? id.slice(0, 8);
  const build = async () => {
    setBuilding(true);
    try {
      const created = await api.send<ComposeResponse[]>('POST', `/blueprints/${id}/compose`, {});
      setError(undefined);
      if (created[0]) navigate(`/images/${created[0].id}`);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBuilding(false);
    }
  };
  const exportIt = async (format: BlueprintExportFormat) => {
    try {
      const file = await exportBlueprintFile(api, id, format, version === 'current' ? undefined : version);
      saveFile(`${name}${format === 'hosted' ? '.image-builder' : ''}.${file.extension}`, file.text, file.type);
      setExportWarnings(file.warnings);
      setError(undefined);
    } catch (e) {
      setError(e as Error);
    }
  };
  const remove = async () => {
    setDeleting(false);
    try {
      await api.send('DELETE', `/blueprints/${id}`);
      navigate('/blueprints');
    } catch (e) {
      setError(e as Error);
    }
  };
  const versions = latest ? Array.from({ length: latest }, (_, i) => latest - i) : [];
  return (
    <>
      <PageSection>
        <Breadcrumb>
          <BreadcrumbItem>
            <Link to="/blueprints">Blueprints</Link>
          </BreadcrumbItem>
          <BreadcrumbItem isActive>{name}</BreadcrumbItem>
        </Breadcrumb>
        <Title headingLevel="h2">Blueprint {name}</Title>
        <p>{current.data?.description}</p>
      </PageSection>
      <PageSection>
        <ErrorAlert error={current.error} title="Could not read the blueprint" retry={() => void current.reload()} />
        <ErrorAlert error={error} title="That did not work" />
        {exportWarnings.length ? (
          <Alert variant="warning" isInline title="Exported; the file leaves out:" actionClose={<AlertActionCloseButton onClose={() => setExportWarnings([])} />}>
            {exportWarnings.join('; ')}
          </Alert>
        ) : null}
        <Toolbar>
          <ToolbarContent>
            <ToolbarItem>
              <Button onClick={() => void build()} isLoading={building} isDisabled={building || !current.data}>
                Build image
              </Button>
            </ToolbarItem>
            <ToolbarItem>
              <Button variant="secondary" onClick={() => navigate(`/blueprints/${id}/edit`)}>
                Edit
              </Button>
            </ToolbarItem>
            <ToolbarItem>
              <Button variant="secondary" onClick={() => void exportIt('toml')} isDisabled={!current.data} aria-label="Export as composer-cli TOML">
                Export TOML
              </Button>
            </ToolbarItem>
            <ToolbarItem>
              <Button variant="secondary" onClick={() => void exportIt('json')} isDisabled={!current.data} aria-label="Export as composer-cli JSON">
                Export JSON
              </Button>
            </ToolbarItem>
            <ToolbarItem>
              <Button variant="link" onClick={() => void exportIt('hosted')} isDisabled={!current.data} aria-label="Export for Image Builder (hosted JSON)">
                Export for Image Builder
              </Button>
            </ToolbarItem>
            <ToolbarItem>
              <Button variant="link" isDanger onClick={() => setDeleting(true)}>
                Delete
              </Button>
            </ToolbarItem>
          </ToolbarContent>
        </Toolbar>
        <Flex alignItems={{ default: 'alignItemsCenter' }}>
          <Title headingLevel="h3">Version</Title>
          <FormSelect id="blueprint-version" aria-label="Blueprint version" value={String(version)} onChange={(_e, v) => setVersion(v === 'current' ? 'current' : Number(v))} style={{ maxWidth: 240 }}>
            <FormSelectOption value="current" label={`Current${latest ? ` (version ${latest})` : ''}`} />
            {versions.map((v) => (
              <FormSelectOption key={v} value={String(v)} label={`Version ${v}`} />
            ))}
          </FormSelect>
        </Flex>
        <ErrorAlert error={shown.error} title="Could not read that version" />
        {shown.data ? (
          <CodeBlock className="ibs-code" aria-label="Blueprint content" style={{ marginTop: 8 }}>
            <CodeBlockCode>{JSON.stringify({ distribution: shown.data.distribution, image_requests: shown.data.image_requests, customizations: shown.data.customizations }, null, 2)}</CodeBlockCode>
          </CodeBlock>
        ) : null}
        <Flex alignItems={{ default: 'alignItemsCenter' }} style={{ marginTop: 24 }}>
          <Title headingLevel="h3">Images</Title>
          <FormSelect id="images-version" aria-label="Images of version" value={imagesOf} onChange={(_e, v) => setImagesOf(v)} style={{ maxWidth: 240 }}>
            <FormSelectOption value="" label="All versions" />
            {versions.map((v) => (
              <FormSelectOption key={v} value={String(v)} label={`Version ${v}`} />
            ))}
          </FormSelect>
        </Flex>
        <ErrorAlert error={images.error} title="Could not list its images" />
        {images.data && images.data.length === 0 ? <p>No images built from {imagesOf ? `version ${imagesOf}` : 'this blueprint'} yet.</p> : null}
        {images.data?.length ? (
          <Table aria-label="Images of this blueprint" variant="compact">
            <Thead>
              <Tr>
                <Th>Image</Th>
                <Th>Version</Th>
                <Th>Type</Th>
                <Th>Status</Th>
                <Th>Created</Th>
              </Tr>
            </Thead>
            <Tbody>
              {images.data.map((c) => (
                <Tr key={c.id}>
                  <Td dataLabel="Image">
                    <Link to={`/images/${c.id}`}>{composeName(c.id, c.image_name ?? c.request.image_name)}</Link>
                  </Td>
                  <Td dataLabel="Version">{c.blueprint_version}</Td>
                  <Td dataLabel="Type">{c.request.image_requests[0]?.image_type}</Td>
                  <Td dataLabel="Status">
                    <ComposeStateCell id={c.id} listed={c.status} />
                  </Td>
                  <Td dataLabel="Created">{formatTime(c.created_at)}</Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        ) : null}
      </PageSection>
      {deleting ? <ConfirmModal title="Delete this blueprint?" body="Its versions go away; images already built stay." confirm="Delete" danger onConfirm={() => void remove()} onClose={() => setDeleting(false)} /> : null}
    </>
  );
}
