/** Step 2: packages, found as you type from the distribution's repositories (GET /packages). */
import { useEffect, useState } from 'react';
import { Button, Form, Label, LabelGroup, List, ListItem, SearchInput, Spinner } from '@patternfly/react-core';
import { useApi } from '../../api/api-context.tsx';
import type { PackagesResponse } from '../../api/types.ts';
import { ErrorAlert } from '../../components/error-alert.tsx';
import { Field } from '../fields.tsx';
import type { StepProps } from '../wizard-props.ts';

export function PackagesStep({ state, dispatch }: StepProps) {
  const api = useApi();
  const [search, setSearch] = useState('');
  const [results, setResults] = useState<PackagesResponse['data']>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  useEffect(() => {
    const term = search.trim();
    if (term.length < 2 || !state.distribution) return setResults([]);
    let stale = false;
    const timer = setTimeout(async () => {
      setBusy(true);
      try {
        const found = await api.get<PackagesResponse>('/packages', { distribution: state.distribution, architecture: state.architecture, search: term, limit: 25 });
        if (!stale) (setResults(found.data), setError(undefined));
      } catch (e) {
        if (!stale) setError(e as Error);
      } finally {
        if (!stale) setBusy(false);
      }
    }, 250);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [api, search, state.distribution, state.architecture]);
  const add = (name: string) => dispatch({ type: 'addPackage', name });
  return (
    <Form onSubmit={(e) => (e.preventDefault(), add(search), setSearch(''))}>
      <Field field="packages" label="Search packages" helper={state.distribution ? 'Type two letters or more; Enter adds what you typed (a name, glob or @group).' : 'Choose a distribution first.'}>
        <SearchInput id="field-packages" aria-label="Search packages" placeholder="e.g. vim" value={search} onChange={(_e, v) => setSearch(v)} onClear={() => setSearch('')} onSearch={() => (add(search), setSearch(''))} />
      </Field>
      <ErrorAlert error={error} title="Package search failed" />
      {busy ? <Spinner size="md" aria-label="Searching packages" /> : null}
      {results.length ? (
        <List isPlain aria-label="Matching packages" data-testid="package-results">
          {results.map((p) => (
            <ListItem key={p.name}>
              <Button variant="link" isInline onClick={() => add(p.name)} isDisabled={state.packages.includes(p.name)} aria-label={`Add ${p.name}`}>
                {p.name}
              </Button>{' '}
              {p.version ? `${p.version}-${p.release}` : ''} — {p.summary}
            </ListItem>
          ))}
        </List>
      ) : search.trim().length >= 2 && !busy && !error ? (
        <p>No package matches “{search.trim()}”.</p>
      ) : null}
      <LabelGroup categoryName={`Chosen packages (${state.packages.length})`} numLabels={50} aria-label="Chosen packages">
        {state.packages.map((p) => (
          <Label key={p} onClose={() => dispatch({ type: 'removePackage', name: p })} closeBtnAriaLabel={`Remove ${p}`}>
            {p}
          </Label>
        ))}
      </LabelGroup>
    </Form>
  );
}
