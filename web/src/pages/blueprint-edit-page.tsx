/** Create or edit a blueprint through the same wizard (saving an edit makes a new version). */
import { PageSection, Spinner, Title } from '@patternfly/react-core';
import { useApi } from '../api/api-context.tsx';
import type { BlueprintResponse, ComposeResponse } from '../api/types.ts';
import { useRequest } from '../api/use-request.ts';
import { ErrorAlert } from '../components/error-alert.tsx';
import { navigate } from '../router.tsx';
import { ImageWizard } from '../wizard/image-wizard.tsx';
import { fromBlueprint, toBlueprintRequest } from '../wizard/wizard-request.ts';

export function BlueprintEditPage({ id }: { id?: string }) {
  const api = useApi();
  const existing = useRequest(() => (id ? api.get<BlueprintResponse>(`/blueprints/${id}`) : Promise.resolve(undefined)), [id]);
  const ready = !id || existing.data;
  return (
    <>
      <PageSection>
        <Title headingLevel="h2">{id ? `Edit blueprint ${existing.data?.name ?? ''}` : 'Create blueprint'}</Title>
      </PageSection>
      <PageSection isFilled>
        <ErrorAlert error={existing.error} title="Could not read the blueprint" retry={() => void existing.reload()} />
        {ready ? (
          <ImageWizard
            mode="blueprint"
            initial={existing.data ? fromBlueprint(existing.data) : undefined}
            submitLabel={id ? 'Save new version' : 'Create blueprint'}
            onCancel={() => navigate(id ? `/blueprints/${id}` : '/blueprints')}
            onSubmit={async (state) => {
              const saved = id ? await api.send<ComposeResponse>('PUT', `/blueprints/${id}`, toBlueprintRequest(state)) : await api.send<ComposeResponse>('POST', '/blueprints', toBlueprintRequest(state));
              navigate(`/blueprints/${saved?.id ?? id}`);
            }}
          />
        ) : existing.error ? null : (
          <Spinner aria-label="Loading the blueprint" />
        )}
      </PageSection>
    </>
  );
}
