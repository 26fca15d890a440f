/** Images: every compose newest first, live status of the visible ones, filters, pages, cancel/delete/download. */
import { lazy, Suspense, useEffect, useState } from 'react';
import {
  Button,
  EmptyState,
  EmptyStateBody,
  PageSection,
  Pagination,
  Content,
  Title,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
  FormSelect,
  FormSelectOption,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useApi } from '../api/api-context.tsx';
import { listAllBlueprints } from '../api/compose-list.ts';
import type { ComposeState, ComposeStatus, ComposesResponseItem, DistributionsResponse } from '../api/types.ts';
import { useRequest } from '../api/use-request.ts';
import { ComposeProgress, composeName, formatTime, isUnfinished, resultsOf, StateLabel } from '../components/compose-status.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { Link, navigate } from '../router.tsx';
import { readComposePage, type ComposeFilters } from './images-query.ts';

// Dialogs and the AMI copy button are rarely needed at first paint: their code and styles load when first shown.
const ConfirmModal = lazy(() => import('../components/confirm-modal.tsx').then((m) => ({ default: m.ConfirmModal })));
const ClipboardCopy = lazy(() => import('@patternfly/react-core/dist/esm/components/ClipboardCopy/ClipboardCopy.js').then((m) => ({ default: m.ClipboardCopy })));

const STATUS_CHOICES: [string, string][] = [
  ['', 'Any status'],
  ['running', 'In progress'],
  ['success', 'Ready'],
  ['failure', 'Failed'],
  ['cancelled', 'Cancelled'],
];

function FilterSelect({ id, label, value, choices, onChange }: { id: string; label: string; value: string; choices: [string, string][]; onChange: (v: string) => void }) {
  return (
    <FormSelect id={id} aria-label={label} value={value} onChange={(_e, v) => onChange(v)}>
      {choices.map(([v, text]) => (
        <FormSelectOption key={v} value={v} label={text} />
      ))}
    </FormSelect>
  );
}

export function ImagesPage() {
  const api = useApi();
  const [filters, setFilters] = useState<ComposeFilters>({ status: '', distribution: '', imageType: '', blueprint: '' });
  const [page, setPage] = useState(1);
  const [perPage, setPerPage] = useState(20);
  // Only the page shown is asked for (and again every 10 s), every filter applied by the API (images-query.ts).
  const composes = useRequest(() => readComposePage(api, filters, page, perPage), [filters, page, perPage], 10_000);
  const shownOnce = composes.data !== undefined;
  // The filters' choices wait for the first rows, so they do not compete with them.
  const blueprints = useRequest(() => (shownOnce ? listAllBlueprints(api).catch(() => []) : Promise.resolve(undefined)), [shownOnce]);
  const distributions = useRequest(() => (shownOnce ? api.get<DistributionsResponse>('/distributions').catch(() => []) : Promise.resolve(undefined)), [shownOnce]);
  const [statuses, setStatuses] = useState<Record<string, ComposeStatus>>({});
  const [confirm, setConfirm] = useState<{ kind: 'delete' | 'cancel'; id: string } | undefined>();
  const [actionError, setActionError] = useState<Error>();

  const visible = composes.data?.items ?? [];
  const total = composes.data?.total ?? 0;
  const filtering = Object.values(filters).some(Boolean);
  // Image types seen so far (the API lists no image types across distributions), and the chosen one.
  const [typesSeen, setTypesSeen] = useState<string[]>([]);
  useEffect(() => {
    const found = visible.map((c) => c.request.image_requests[0]?.image_type).filter((t): t is string => !!t && !typesSeen.includes(t));
    if (found.length) setTypesSeen((seen) => [...new Set([...seen, ...found])]);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [composes.data]);
  const visibleKey = visible.map((c) => c.id).join(',');

  // Status (progress, finish time, results) of the visible rows; the unfinished ones again every 2 s.
  useEffect(() => {
    let stopped = false;
    const refresh = async (onlyUnfinished: boolean) => {
      const wanted = visible.filter((c) => !onlyUnfinished || isUnfinished(statuses[c.id]?.state ?? c.status));
      const results = await Promise.all(wanted.map((c) => api.get<ComposeStatus>(`/composes/${c.id}`).then((s) => [c.id, s] as const, () => undefined)));
      if (!stopped) setStatuses((old) => ({ ...old, ...Object.fromEntries(results.filter((r) => r !== undefined)) }));
    };
    void refresh(false);
    const timer = setInterval(() => void refresh(true), 2000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [visibleKey, api]);

  const choices = (values: (string | undefined)[], any: string): [string, string][] => [['', any], ...[...new Set(values.filter((v): v is string => !!v))].sort().map((v): [string, string] => [v, v])];
  const setFilter = (key: keyof ComposeFilters) => (value: string) => {
    setFilters((f) => ({ ...f, [key]: value }));
    setPage(1);
  };
  const act = async () => {
    if (!confirm) return;
    const { kind, id } = confirm;
    setConfirm(undefined);
    try {
      if (kind === 'delete') await api.send('DELETE', `/composes/${id}`);
      else setStatuses({ ...statuses, [id]: await api.send<ComposeStatus>('POST', `/composes/${id}/cancel`) });
      setActionError(undefined);
      await composes.reload();
    } catch (error) {
      setActionError(error as Error);
    }
  };

  return (
    <>
      <PageSection>
        <Title headingLevel="h2">Images</Title>
        <Content component="p">Images built for this organization, newest first.</Content>
      </PageSection>
      <PageSection>
        <ErrorAlert error={composes.error} title="Could not list the images" retry={() => void composes.reload()} />
        <ErrorAlert error={actionError} title="That did not work" />
        <Toolbar id="images-toolbar">
          <ToolbarContent>
            <ToolbarItem>
              <Button variant="primary" onClick={() => navigate('/images/new')}>
                Create image
              </Button>
            </ToolbarItem>
            <ToolbarItem>
              <FilterSelect id="filter-status" label="Filter by status" value={filters.status} choices={STATUS_CHOICES} onChange={setFilter('status')} />
            </ToolbarItem>
            <ToolbarItem>
              <FilterSelect id="filter-distribution" label="Filter by distribution" value={filters.distribution} choices={choices([...(distributions.data ?? []).map((d) => d.name), filters.distribution], 'Any distribution')} onChange={setFilter('distribution')} />
            </ToolbarItem>
            <ToolbarItem>
              <FilterSelect id="filter-type" label="Filter by image type" value={filters.imageType} choices={choices([...typesSeen, filters.imageType], 'Any image type')} onChange={setFilter('imageType')} />
            </ToolbarItem>
            <ToolbarItem>
              <FilterSelect id="filter-blueprint" label="Filter by blueprint" value={filters.blueprint} choices={[['', 'Any blueprint'], ...(blueprints.data ?? []).map((b): [string, string] => [b.id, b.name])]} onChange={setFilter('blueprint')} />
            </ToolbarItem>
            <ToolbarItem variant="pagination" align={{ default: 'alignEnd' }}>
              <Pagination itemCount={total} page={page} perPage={perPage} onSetPage={(_e, p) => setPage(p)} onPerPageSelect={(_e, pp) => (setPerPage(pp), setPage(1))} isCompact titles={{ paginationAriaLabel: 'Images pages' }} />
            </ToolbarItem>
          </ToolbarContent>
        </Toolbar>
        {composes.data && total === 0 ? (
          <EmptyState titleText={filtering ? 'No image matches the filters' : 'No images yet'} headingLevel="h3">
            <EmptyStateBody>{filtering ? 'Change the filters to see more.' : 'Create an image: choose a distribution and an image type, and build it.'}</EmptyStateBody>
          </EmptyState>
        ) : (
          <Table aria-label="Images" variant="compact" data-testid="images-table">
            <Thead>
              <Tr>
                <Th>Name</Th>
                <Th>Distribution</Th>
                <Th>Type</Th>
                <Th>Status</Th>
                <Th>Created</Th>
                <Th>Finished</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            <Tbody>
              {visible.map((c) => (
                <ImageRow key={c.id} compose={c} status={statuses[c.id]} onCancel={() => setConfirm({ kind: 'cancel', id: c.id })} onDelete={() => setConfirm({ kind: 'delete', id: c.id })} />
              ))}
            </Tbody>
          </Table>
        )}
      </PageSection>
      {confirm ? (
        <Suspense fallback={null}>
          <ConfirmModal
            title={confirm.kind === 'delete' ? 'Delete this image?' : 'Cancel this build?'}
            body={confirm.kind === 'delete' ? 'The image and its files go away; an unfinished build is cancelled first.' : 'The build stops; the image will not be made.'}
            confirm={confirm.kind === 'delete' ? 'Delete' : 'Cancel build'}
            danger
            onConfirm={() => void act()}
            onClose={() => setConfirm(undefined)}
          />
        </Suspense>
      ) : null}
    </>
  );
}

function ImageRow({ compose: c, status, onCancel, onDelete }: { compose: ComposesResponseItem; status?: ComposeStatus; onCancel: () => void; onDelete: () => void }) {
  const state: ComposeState | undefined = status?.state ?? c.status;
  const name = composeName(c.id, c.image_name ?? c.request.image_name);
  const results = status ? resultsOf(status) : {};
  return (
    <Tr data-compose-id={c.id}>
      <Td dataLabel="Name">
        <Link to={`/images/${c.id}`} aria-label={`Image ${name}`}>
          {name}
        </Link>
      </Td>
      <Td dataLabel="Distribution">{c.request.distribution}</Td>
      <Td dataLabel="Type">
        {c.request.image_requests[0]?.image_type} ({c.request.image_requests[0]?.architecture})
      </Td>
      <Td dataLabel="Status">
        <StateLabel state={state} />
        {status ? <ComposeProgress status={status} id={c.id} /> : null}
      </Td>
      <Td dataLabel="Created" className="ibs-nowrap">
        {formatTime(c.created_at)}
      </Td>
      <Td dataLabel="Finished" className="ibs-nowrap">
        {formatTime(status?.finished_at)}
      </Td>
      <Td dataLabel="Actions" isActionCell>
        {results.url ? (
          <Button component="a" variant="link" href={results.url} download aria-label={`Download ${name}`}>
            Download
          </Button>
        ) : null}
        {results.ami ? (
          <Suspense fallback={results.ami}>
            <ClipboardCopy isReadOnly hoverTip="Copy AMI id" clickTip="Copied" variant="inline-compact" aria-label={`AMI id of ${name}`}>
              {results.ami}
            </ClipboardCopy>
          </Suspense>
        ) : null}
        {isUnfinished(state) ? (
          <Button variant="link" onClick={onCancel} aria-label={`Cancel ${name}`}>
            Cancel
          </Button>
        ) : null}
        <Button variant="link" isDanger onClick={onDelete} aria-label={`Delete ${name}`}>
          Delete
        </Button>
      </Td>
    </Tr>
  );
}
