/** A request that failed, said in the page (role=alert), with a retry when one makes sense. */
import { Alert, AlertActionLink } from '@patternfly/react-core';

export function ErrorAlert({ error, title = 'The request failed', retry }: { error: Error | undefined; title?: string; retry?: () => void }) {
  if (!error) return null;
  return (
    <Alert variant="danger" isInline title={title} actionLinks={retry ? <AlertActionLink onClick={retry}>Try again</AlertActionLink> : undefined}>
      {error.message}
    </Alert>
  );
}
