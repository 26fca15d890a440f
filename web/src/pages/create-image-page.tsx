/** Create image: the wizard, then the new image's page. */
import { PageSection, Title } from '@patternfly/react-core';
import { useApi } from '../api/api-context.tsx';
import type { ComposeResponse } from '../api/types.ts';
import { navigate } from '../router.tsx';
import { ImageWizard } from '../wizard/image-wizard.tsx';
import { toComposeRequest } from '../wizard/wizard-request.ts';

export function CreateImagePage() {
  const api = useApi();
  return (
    <>
      <PageSection>
        <Title headingLevel="h2">Create image</Title>
      </PageSection>
      <PageSection isFilled>
        <ImageWizard
          mode="image"
          submitLabel="Create image"
          onCancel={() => navigate('/')}
          onSubmit={async (state) => {
            const created = await api.send<ComposeResponse>('POST', '/compose', toComposeRequest(state));
            navigate(`/images/${created.id}`);
          }}
        />
      </PageSection>
    </>
  );
}
