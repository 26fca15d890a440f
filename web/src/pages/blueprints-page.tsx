/** Blueprints: search, create, import a composer-cli TOML or JSON file. */
import { useState } from 'react';
import { Button, Content, EmptyState, EmptyStateBody, PageSection, SearchInput, Title, Toolbar, ToolbarContent, ToolbarItem } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useApi } from '../api/api-context.tsx';
import { listAllBlueprints } from '../api/compose-list.ts';
import { useRequest } from '../api/use-request.ts';
import { ImportModal } from '../blueprints/import-modal.tsx';
import { formatTime } from '../components/compose-status.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { Link, navigate } from '../router.tsx';

export function BlueprintsPage() {
  const api = useApi();
  const [search, setSearch] = useState('');
  const blueprints = useRequest(() => listAllBlueprints(api, search.trim() || undefined), [search]);
  const [importing, setImporting] = useState(false);
  const list = blueprints.data ?? [];
  return (
    <>
      <PageSection>
        <Title headingLevel="h2">Blueprints</Title>
        <Content component="p">Saved image definitions: build them again, keep their versions.</Content>
      </PageSection>
      <PageSection>
        <ErrorAlert error={blueprints.error} title="Could not list the blueprints" retry={() => void blueprints.reload()} />
        <Toolbar>
          <ToolbarContent>
            <ToolbarItem>
              <Button onClick={() => navigate('/blueprints/new')}>Create blueprint</Button>
            </ToolbarItem>
            <ToolbarItem>
              <Button variant="secondary" onClick={() => setImporting(true)}>
                Import
              </Button>
            </ToolbarItem>
            <ToolbarItem>
              <SearchInput aria-label="Search blueprints" placeholder="Search by name or description" value={search} onChange={(_e, v) => setSearch(v)} onClear={() => setSearch('')} />
            </ToolbarItem>
          </ToolbarContent>
        </Toolbar>
        {!blueprints.loading && list.length === 0 ? (
          <EmptyState titleText={search ? 'No blueprint matches' : 'No blueprints yet'} headingLevel="h3">
            <EmptyStateBody>Create one with the wizard, or import a composer-cli blueprint.</EmptyStateBody>
          </EmptyState>
        ) : (
          <Table aria-label="Blueprints" variant="compact">
            <Thead>
              <Tr>
                <Th>Name</Th>
                <Th>Description</Th>
                <Th>Version</Th>
                <Th>Last saved</Th>
              </Tr>
            </Thead>
            <Tbody>
              {list.map((b) => (
                <Tr key={b.id}>
                  <Td dataLabel="Name">
                    <Link to={`/blueprints/${b.id}`}>{b.name}</Link>
                  </Td>
                  <Td dataLabel="Description">{b.description}</Td>
                  <Td dataLabel="Version">{b.version}</Td>
                  <Td dataLabel="Last saved">{formatTime(b.last_modified_at)}</Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </PageSection>
      {importing ? <ImportModal onClose={() => setImporting(false)} /> : null}
    </>
  );
}
