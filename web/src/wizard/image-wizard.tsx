/**
 * The create-image wizard, also the blueprint editor: steps over one reducer state, checks before each step, API
 * errors placed at their fields (jumping to that step), and a failed request leaves everything typed in place.
 */
import { useEffect, useMemo, useReducer, useState } from 'react';
import { Alert, Button, Wizard, WizardFooterWrapper, WizardStep, useWizardContext } from '@patternfly/react-core';
import { ApiError } from '../api/client.ts';
import { FieldErrorsContext, fieldDomId } from './fields.tsx';
import { initialWizardState, wizardReducer, type WizardState } from './wizard-state.ts';
import { stepOfField, validateStep, wizardFieldOf, type FieldErrors, type StepId } from './wizard-validation.ts';
import { OutputStep } from './steps/output-step.tsx';
import { PackagesStep } from './steps/packages-step.tsx';
import { UsersStep } from './steps/users-step.tsx';
import { SystemStep } from './steps/system-step.tsx';
import { FilesystemStep } from './steps/filesystem-step.tsx';
import { FilesStep } from './steps/files-step.tsx';
import { FirstBootStep } from './steps/first-boot-step.tsx';
import { ReviewStep } from './steps/review-step.tsx';

export interface ImageWizardProps {
  mode: 'image' | 'blueprint';
  initial?: WizardState;
  submitLabel: string;
  /** Sends the state; a rejection with an ApiError puts its messages at the fields. */
  onSubmit: (state: WizardState) => Promise<void>;
  onCancel: () => void;
}

/** The value a field key (`users.0.name`) points at, to tell whether the user changed it since the API complained. */
export function valueAt(state: WizardState, key: string): unknown {
  return key.split('.').reduce<unknown>((v, part) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined), state);
}

/** API problems as field errors (with the values they were about) and the ones no field shows. */
export function placeApiErrors(error: ApiError, state: WizardState): { fields: Record<string, { message: string; value: unknown }>; general: string[] } {
  const fields: Record<string, { message: string; value: unknown }> = {};
  const general: string[] = [];
  for (const [path, message] of Object.entries(error.fieldErrors())) {
    const key = wizardFieldOf(path);
    if (key) fields[key] = { message, value: JSON.stringify(valueAt(state, key)) };
    else general.push(`${path}: ${message}`);
  }
  for (const p of error.problems) if (!/^[A-Za-z_][\w.[\]-]*: /.test(p.detail)) general.push(p.detail || p.title);
  return { fields, general };
}

/** On a narrow screen PatternFly leaves the step list open over the step after a choice: close it. */
const collapseNarrowNav = () => document.querySelector<HTMLButtonElement>('.pf-v6-c-wizard__toggle[aria-expanded="true"]')?.click();

const STEPS: { id: StepId; name: string }[] = [
  { id: 'output', name: 'Image output' },
  { id: 'packages', name: 'Packages' },
  { id: 'users', name: 'Users and groups' },
  { id: 'system', name: 'System' },
  { id: 'filesystem', name: 'File systems' },
  { id: 'files', name: 'Files and directories' },
  { id: 'first-boot', name: 'First boot' },
  { id: 'review', name: 'Review' },
];

interface FooterProps {
  onNext: (step: StepId) => boolean;
  onSubmit: () => void;
  onCancel: () => void;
  submitting: boolean;
  submitLabel: string;
  jump: JumpTarget | undefined;
}

function Footer({ onNext, onSubmit, onCancel, submitting, submitLabel, jump }: FooterProps) {
  const { activeStep, goToNextStep, goToPrevStep } = useWizardContext();
  const last = activeStep.id === 'review';
  return (
    <WizardFooterWrapper>
      <StepJumper target={jump} />
      <Button variant="secondary" onClick={goToPrevStep} isDisabled={activeStep.index === 1}>
        Back
      </Button>
      {last ? (
        <Button variant="primary" onClick={onSubmit} isLoading={submitting} isDisabled={submitting}>
          {submitLabel}
        </Button>
      ) : (
        <Button variant="primary" onClick={() => onNext(activeStep.id as StepId) && goToNextStep()}>
          Next
        </Button>
      )}
      <Button variant="link" onClick={onCancel}>
        Cancel
      </Button>
    </WizardFooterWrapper>
  );
}

type JumpTarget = { step: StepId; field?: string; n: number };

/** Moves the wizard to a step and focuses a field when asked (inside the Wizard, for its context). */
function StepJumper({ target }: { target: JumpTarget | undefined }) {
  const { goToStepById } = useWizardContext();
  useEffect(() => {
    if (!target) return;
    goToStepById(target.step);
    if (target.field) setTimeout(() => document.getElementById(fieldDomId(target.field!))?.focus(), 50);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [target?.n]);
  return null;
}

export function ImageWizard({ mode, initial, submitLabel, onSubmit, onCancel }: ImageWizardProps) {
  const [state, dispatch] = useReducer(wizardReducer, initial ?? initialWizardState());
  const [shown, setShown] = useState<Set<StepId>>(new Set());
  const [apiFields, setApiFields] = useState<Record<string, { message: string; value: unknown }>>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [submitting, setSubmitting] = useState(false);
  const [jump, setJump] = useState<JumpTarget>();

  // Client-side errors of the steps the user tried to leave, re-checked as they type; API errors until the field changes.
  const errors: FieldErrors = useMemo(() => {
    const out: FieldErrors = {};
    for (const [key, e] of Object.entries(apiFields)) if (JSON.stringify(valueAt(state, key)) === e.value) out[key] = e.message;
    for (const step of shown) Object.assign(out, validateStep(state, step, mode));
    return out;
  }, [apiFields, shown, state, mode]);

  const goTo = (key: string) => setJump((j) => ({ step: stepOfField(key), field: key, n: (j?.n ?? 0) + 1 }));
  const onNext = (step: StepId) => {
    setShown((s) => new Set(s).add(step));
    const found = validateStep(state, step, mode);
    return Object.keys(found).length === 0;
  };
  const showApiError = (error: ApiError | undefined) => {
    if (!error) return (setApiFields({}), setGeneral([]));
    const placed = placeApiErrors(error, state);
    setApiFields(placed.fields);
    setGeneral(placed.general);
    return placed;
  };
  const submit = async () => {
    const all = validateStep(state, 'review', mode);
    setShown(new Set(STEPS.map((s) => s.id)));
    const first = Object.keys(all)[0];
    if (first) return goTo(first);
    setSubmitting(true);
    try {
      await onSubmit(state);
    } catch (error) {
      if (error instanceof ApiError) {
        const placed = showApiError(error);
        const key = placed && Object.keys(placed.fields)[0];
        if (key) goTo(key);
      } else setGeneral([(error as Error).message]);
    } finally {
      setSubmitting(false);
    }
  };

  const stepProps = { state, dispatch };
  const body: Record<StepId, React.ReactNode> = {
    output: <OutputStep {...stepProps} mode={mode} />,
    packages: <PackagesStep {...stepProps} />,
    users: <UsersStep {...stepProps} />,
    system: <SystemStep {...stepProps} />,
    filesystem: <FilesystemStep {...stepProps} />,
    files: <FilesStep {...stepProps} />,
    'first-boot': <FirstBootStep {...stepProps} />,
    review: <ReviewStep {...stepProps} onApiError={showApiError} />,
  };
  const stepErrors = new Set(Object.keys(errors).map(stepOfField));
  return (
    <FieldErrorsContext.Provider value={errors}>
      {general.length ? (
        <Alert variant="danger" isInline title={mode === 'image' ? 'The image was not created' : 'The blueprint was not saved'} style={{ marginBottom: 16 }}>
          {general.map((g) => (
            <div key={g}>{g}</div>
          ))}
          Nothing you entered was lost; fix it and try again.
        </Alert>
      ) : null}
      <Wizard onClose={onCancel} onStepChange={collapseNarrowNav} footer={<Footer onNext={onNext} onSubmit={() => void submit()} onCancel={onCancel} submitting={submitting} submitLabel={submitLabel} jump={jump} />} isVisitRequired={false} aria-label={mode === 'image' ? 'Create image' : 'Blueprint'} navAriaLabel="Wizard steps">
        {STEPS.map((s) => (
          <WizardStep key={s.id} id={s.id} name={stepErrors.has(s.id) && s.id !== 'review' ? `${s.name} (has errors)` : s.name}>
            {body[s.id]}
          </WizardStep>
        ))}
      </Wizard>
    </FieldErrorsContext.Provider>
  );
}
