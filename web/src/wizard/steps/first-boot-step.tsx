/** Step 7: a script that runs once, on the image's first boot (a systemd unit runs it). */
import { Form } from '@patternfly/react-core';
import { InputField } from '../fields.tsx';
import { FIRST_BOOT_SCRIPT } from '../wizard-request.ts';
import type { StepProps } from '../wizard-props.ts';

export function FirstBootStep({ state, dispatch }: StepProps) {
  return (
    <Form onSubmit={(e) => e.preventDefault()}>
      <InputField
        field="firstBoot"
        label="First boot script"
        multiline
        value={state.firstBoot}
        onChange={(value) => dispatch({ type: 'set', field: 'firstBoot', value })}
        placeholder={'#!/bin/bash\necho hello'}
        helper={`Saved as ${FIRST_BOOT_SCRIPT} and run once by the custom-first-boot service. Start it with #! (e.g. #!/bin/bash).`}
      />
    </Form>
  );
}
