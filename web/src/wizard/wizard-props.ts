/** What every wizard step gets: the state and the dispatcher. */
import type { Dispatch } from 'react';
import type { WizardAction, WizardState } from './wizard-state.ts';

export interface StepProps {
  state: WizardState;
  dispatch: Dispatch<WizardAction>;
}
