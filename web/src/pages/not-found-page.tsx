/** Any path the UI does not know. */
import { EmptyState, EmptyStateBody, PageSection } from '@patternfly/react-core';
import { Link } from '../router.tsx';

export function NotFoundPage() {
  return (
    <PageSection>
      <EmptyState titleText="Page not found" headingLevel="h2">
        <EmptyStateBody>
          There is nothing here. <Link to="/">Go to the images</Link>.
        </EmptyStateBody>
      </EmptyState>
    </PageSection>
  );
}
