/** Step 5: file system mount points and their minimum sizes. */
import { Form, FormSelect, FormSelectOption } from '@patternfly/react-core';
import { Field, InputField } from '../fields.tsx';
import { ListEditor } from '../list-editor.tsx';
import type { StepProps } from '../wizard-props.ts';

export function FilesystemStep(props: StepProps) {
  return (
    <Form onSubmit={(e) => e.preventDefault()}>
      <p>Without entries the image type's default layout is used.</p>
      <ListEditor
        {...props}
        list="filesystems"
        title="File systems"
        noun="file system"
        render={(f, i, update) => (
          <>
            <InputField field={`filesystems.${i}.mountpoint`} label="Mount point" required value={f.mountpoint} onChange={(mountpoint) => update({ mountpoint })} placeholder="/var" />
            <InputField field={`filesystems.${i}.size`} label="Minimum size" required value={f.size} onChange={(size) => update({ size })} />
            <Field field={`filesystems.${i}.unit`} label="Unit">
              <FormSelect id={`field-filesystems-${i}-unit`} value={f.unit} onChange={(_e, unit) => update({ unit: unit as 'MiB' | 'GiB' })}>
                <FormSelectOption value="GiB" label="GiB" />
                <FormSelectOption value="MiB" label="MiB" />
              </FormSelect>
            </Field>
          </>
        )}
      />
    </Form>
  );
}
