/** Labelled form fields that show their error (client-side or from the API) right below the input. */
import { createContext, useContext, type ReactNode } from 'react';
import { FormGroup, FormHelperText, HelperText, HelperTextItem, TextArea, TextInput } from '@patternfly/react-core';
import type { FieldErrors } from './wizard-validation.ts';

export const FieldErrorsContext = createContext<FieldErrors>({});

/** The DOM id of a field key (users.0.name → field-users-0-name): labels, errors and focus use it. */
export const fieldDomId = (key: string) => `field-${key.replace(/\./g, '-')}`;

export function Field({ field, label, helper, required, children }: { field: string; label: string; helper?: string; required?: boolean; children: ReactNode }) {
  const error = useContext(FieldErrorsContext)[field];
  const id = fieldDomId(field);
  return (
    <FormGroup label={label} fieldId={id} isRequired={required}>
      {children}
      {error || helper ? (
        <FormHelperText>
          <HelperText id={`${id}-helper`} aria-live="polite">
            <HelperTextItem variant={error ? 'error' : 'default'} data-field-error={error ? field : undefined}>
              {error ?? helper}
            </HelperTextItem>
          </HelperText>
        </FormHelperText>
      ) : null}
    </FormGroup>
  );
}

interface InputProps {
  field: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  helper?: string;
  required?: boolean;
  type?: 'text' | 'password' | 'number';
  placeholder?: string;
  multiline?: boolean;
}

export function InputField({ field, label, value, onChange, helper, required, type = 'text', placeholder, multiline }: InputProps) {
  const error = useContext(FieldErrorsContext)[field];
  const id = fieldDomId(field);
  const common = {
    id,
    name: field,
    value,
    isRequired: required,
    placeholder,
    validated: error ? ('error' as const) : ('default' as const),
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error || helper ? `${id}-helper` : undefined,
  };
  return (
    <Field field={field} label={label} helper={helper} required={required}>
      {multiline ? (
        <TextArea {...common} onChange={(_e, v) => onChange(v)} resizeOrientation="vertical" autoResize />
      ) : (
        <TextInput {...common} type={type} onChange={(_e, v) => onChange(v)} autoComplete={type === 'password' ? 'new-password' : 'off'} />
      )}
    </Field>
  );
}
