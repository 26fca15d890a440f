/** Repeated rows (users, groups, files, ...) with add and remove buttons, each row a labelled group. */
import type { ReactNode } from 'react';
import { Button, Card, CardBody, CardHeader, CardTitle, Title } from '@patternfly/react-core';
import { PlusCircleIcon } from '@patternfly/react-icons';
import type { ListField, WizardState } from './wizard-state.ts';
import type { StepProps } from './wizard-props.ts';

export function ListEditor<K extends ListField>({ list, title, noun, state, dispatch, render }: StepProps & { list: K; title: string; noun: string; render: (item: WizardState[K][number], index: number, update: (patch: Partial<WizardState[K][number]>) => void) => ReactNode }) {
  const items = state[list] as WizardState[K][number][];
  return (
    <section aria-label={title}>
      <Title headingLevel="h3" size="md" style={{ margin: '16px 0 8px' }}>
        {title}
      </Title>
      {items.map((item, index) => (
        <Card key={index} isCompact style={{ marginBottom: 8 }} component="div" aria-label={`${noun} ${index + 1}`}>
          <CardHeader
            actions={{
              actions: (
                <Button variant="link" isDanger onClick={() => dispatch({ type: 'remove', list, index })} aria-label={`Remove ${noun} ${index + 1}`}>
                  Remove
                </Button>
              ),
            }}
          >
            <CardTitle component="h4">{`${noun[0].toUpperCase()}${noun.slice(1)} ${index + 1}`}</CardTitle>
          </CardHeader>
          <CardBody>{render(item, index, (patch) => dispatch({ type: 'update', list, index, patch }))}</CardBody>
        </Card>
      ))}
      <Button variant="link" icon={<PlusCircleIcon />} onClick={() => dispatch({ type: 'add', list })}>
        Add {noun}
      </Button>
    </section>
  );
}
