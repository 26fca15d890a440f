/** Step 6: files (with content) and directories to create in the image. */
import { Form } from '@patternfly/react-core';
import { InputField } from '../fields.tsx';
import { ListEditor } from '../list-editor.tsx';
import type { StepProps } from '../wizard-props.ts';

export function FilesStep(props: StepProps) {
  return (
    <Form onSubmit={(e) => e.preventDefault()}>
      <ListEditor
        {...props}
        list="files"
        title="Files"
        noun="file"
        render={(f, i, update) => (
          <>
            <InputField field={`files.${i}.path`} label="Path" required value={f.path} onChange={(path) => update({ path })} placeholder="/etc/motd" />
            <InputField field={`files.${i}.mode`} label="Mode" value={f.mode} onChange={(mode) => update({ mode })} placeholder="0644" />
            <InputField field={`files.${i}.user`} label="Owner" value={f.user} onChange={(user) => update({ user })} placeholder="root" />
            <InputField field={`files.${i}.group`} label="Group" value={f.group} onChange={(group) => update({ group })} placeholder="root" />
            <InputField field={`files.${i}.data`} label="Content" value={f.data} onChange={(data) => update({ data })} multiline />
          </>
        )}
      />
      <ListEditor
        {...props}
        list="directories"
        title="Directories"
        noun="directory"
        render={(d, i, update) => (
          <>
            <InputField field={`directories.${i}.path`} label="Path" required value={d.path} onChange={(path) => update({ path })} placeholder="/srv/data" />
            <InputField field={`directories.${i}.mode`} label="Mode" value={d.mode} onChange={(mode) => update({ mode })} placeholder="0755" />
            <InputField field={`directories.${i}.user`} label="Owner" value={d.user} onChange={(user) => update({ user })} />
            <InputField field={`directories.${i}.group`} label="Group" value={d.group} onChange={(group) => update({ group })} />
          </>
        )}
      />
    </Form>
  );
}
