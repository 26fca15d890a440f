/** Step 3: users (password, SSH key, groups) and groups. */
import { Form } from '@patternfly/react-core';
import { InputField } from '../fields.tsx';
import { ListEditor } from '../list-editor.tsx';
import type { StepProps } from '../wizard-props.ts';

export function UsersStep(props: StepProps) {
  return (
    <Form onSubmit={(e) => e.preventDefault()}>
      <ListEditor
        {...props}
        list="users"
        title="Users"
        noun="user"
        render={(u, i, update) => (
          <>
            <InputField field={`users.${i}.name`} label="User name" required value={u.name} onChange={(name) => update({ name })} />
            <InputField
              field={`users.${i}.password`}
              label="Password"
              type="password"
              value={u.password}
              onChange={(password) => update({ password })}
              helper={u.hasPassword ? 'A password is set; type a new one to replace it.' : 'Optional; stored only as a hash.'}
            />
            <InputField field={`users.${i}.sshKey`} label="SSH public key" value={u.sshKey} onChange={(sshKey) => update({ sshKey })} multiline placeholder="ssh-ed25519 AAAA... me@host" />
            <InputField field={`users.${i}.groups`} label="Groups" value={u.groups} onChange={(groups) => update({ groups })} helper="e.g. wheel (administrator); comma-separated" />
          </>
        )}
      />
      <ListEditor
        {...props}
        list="groups"
        title="Groups"
        noun="group"
        render={(g, i, update) => (
          <>
            <InputField field={`groups.${i}.name`} label="Group name" required value={g.name} onChange={(name) => update({ name })} />
            <InputField field={`groups.${i}.gid`} label="GID" value={g.gid} onChange={(gid) => update({ gid })} helper="Optional" />
          </>
        )}
      />
    </Form>
  );
}
