/** Step 4: hostname, time, locale, kernel, FIPS, services and firewall. */
import { Checkbox, Form, FormSection } from '@patternfly/react-core';
import { Field, InputField } from '../fields.tsx';
import type { WizardState } from '../wizard-state.ts';
import type { StepProps } from '../wizard-props.ts';

type TextField = { [K in keyof WizardState]: WizardState[K] extends string ? K : never }[keyof WizardState];

export function SystemStep({ state, dispatch }: StepProps) {
  const input = (field: TextField, label: string, helper?: string, placeholder?: string) => (
    <InputField field={field} label={label} helper={helper} placeholder={placeholder} value={state[field]} onChange={(value) => dispatch({ type: 'set', field, value })} />
  );
  return (
    <Form onSubmit={(e) => e.preventDefault()}>
      <FormSection title="Host" titleElement="h3">
        {input('hostname', 'Hostname', undefined, 'e.g. web01')}
      </FormSection>
      <FormSection title="Time and language" titleElement="h3">
        {input('timezone', 'Time zone', undefined, 'e.g. Europe/Berlin')}
        {input('ntpServers', 'NTP servers', 'Comma-separated')}
        {input('languages', 'Languages', 'Comma-separated, e.g. en_US.UTF-8')}
        {input('keyboard', 'Keyboard layout', undefined, 'e.g. us')}
      </FormSection>
      <FormSection title="Kernel" titleElement="h3">
        {input('kernelName', 'Kernel package', 'Optional, e.g. kernel-debug')}
        {input('kernelAppend', 'Kernel command line arguments', undefined, 'e.g. nosmt=force')}
        <Field field="fips" label="FIPS">
          <Checkbox id="field-fips" label="Enable FIPS mode" isChecked={state.fips} onChange={(_e, value) => dispatch({ type: 'set', field: 'fips', value })} />
        </Field>
      </FormSection>
      <FormSection title="Services" titleElement="h3">
        {input('servicesEnabled', 'Enabled services', 'systemd units, comma-separated')}
        {input('servicesDisabled', 'Disabled services')}
        {input('servicesMasked', 'Masked services')}
      </FormSection>
      <FormSection title="Firewall" titleElement="h3">
        {input('firewallPorts', 'Open ports', 'e.g. 22:tcp, 8000-8080:udp')}
        {input('firewallEnabled', 'Enabled firewall services', 'e.g. http, https')}
        {input('firewallDisabled', 'Disabled firewall services')}
      </FormSection>
    </Form>
  );
}
