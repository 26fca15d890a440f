/** Step 1: name, distribution, architecture, image type and where the image goes. */
import { useContext } from 'react';
import { Form, FormSelect, FormSelectOption, Radio } from '@patternfly/react-core';
import { useApi } from '../../api/api-context.tsx';
import type { DistributionDetails, DistributionsResponse } from '../../api/types.ts';
import { useRequest } from '../../api/use-request.ts';
import { ErrorAlert } from '../../components/error-alert.tsx';
import { Field, FieldErrorsContext, fieldDomId, InputField } from '../fields.tsx';
import type { StepProps } from '../wizard-props.ts';

/** Image types that go to AWS as an AMI (the AWS upload target applies to them). */
export const isAwsImageType = (type: string) => ['ami', 'aws', 'aws-rhui', 'aws-ha-rhui', 'aws-sap-rhui'].includes(type);

function Select({ field, label, value, options, onChange, required }: { field: string; label: string; value: string; options: [string, string][]; onChange: (v: string) => void; required?: boolean }) {
  const error = useContext(FieldErrorsContext)[field];
  const id = fieldDomId(field);
  return (
    <Field field={field} label={label} required={required}>
      <FormSelect id={id} value={value} onChange={(_e, v) => onChange(v)} validated={error ? 'error' : 'default'} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-helper` : undefined}>
        <FormSelectOption value="" label={`Choose ${label.toLowerCase()}`} isPlaceholder isDisabled />
        {options.map(([v, text]) => (
          <FormSelectOption key={v} value={v} label={text} />
        ))}
      </FormSelect>
    </Field>
  );
}

export function OutputStep({ state, dispatch, mode }: StepProps & { mode: 'image' | 'blueprint' }) {
  const api = useApi();
  const distributions = useRequest(() => api.get<DistributionsResponse>('/distributions'), []);
  const details = useRequest(() => (state.distribution ? api.get<DistributionDetails>(`/distributions/${encodeURIComponent(state.distribution)}`) : Promise.resolve(undefined)), [state.distribution]);
  const arches = Object.keys(details.data?.architectures ?? {});
  const types = Object.values(details.data?.architectures?.[state.architecture]?.image_types ?? {});
  const set = (field: 'name' | 'description' | 'distribution' | 'architecture' | 'imageType' | 'uploadTarget' | 'awsAccounts' | 'awsRegion') => (value: string) => dispatch({ type: 'set', field, value });
  return (
    <Form onSubmit={(e) => e.preventDefault()}>
      <ErrorAlert error={distributions.error ?? details.error} title="Could not read the distributions" retry={() => void (distributions.reload(), details.reload())} />
      <InputField field="name" label={mode === 'blueprint' ? 'Blueprint name' : 'Image name'} value={state.name} onChange={set('name')} required={mode === 'blueprint'} helper={mode === 'image' ? 'Optional; shown in the images list.' : undefined} />
      <InputField field="description" label="Description" value={state.description} onChange={set('description')} />
      <Select field="distribution" label="Distribution" required value={state.distribution} options={(distributions.data ?? []).map((d) => [d.name, d.description])} onChange={set('distribution')} />
      <Select field="architecture" label="Architecture" required value={state.architecture} options={(arches.length ? arches : [state.architecture]).map((a) => [a, a])} onChange={set('architecture')} />
      <Select field="imageType" label="Image type" required value={state.imageType} options={types.map((t) => [t.name, t.aliases?.length ? `${t.name} (${t.aliases.join(', ')})` : t.name])} onChange={set('imageType')} />
      <Field field="uploadTarget" label="Target">
        <Radio id="target-download" name="uploadTarget" label="Download (a link to the image file)" isChecked={state.uploadTarget === 'download'} onChange={() => set('uploadTarget')('download')} />
        <Radio
          id="target-aws"
          name="uploadTarget"
          label="Amazon Web Services (an AMI, shared with the accounts below)"
          description={isAwsImageType(state.imageType) ? undefined : 'For AMI image types only.'}
          isDisabled={!isAwsImageType(state.imageType)}
          isChecked={state.uploadTarget === 'aws'}
          onChange={() => set('uploadTarget')('aws')}
        />
      </Field>
      {state.uploadTarget === 'aws' ? (
        <>
          <InputField field="awsAccounts" label="AWS account ids to share with" value={state.awsAccounts} onChange={set('awsAccounts')} helper="12-digit ids, separated by commas" />
          <InputField field="awsRegion" label="Also copy to regions" value={state.awsRegion} onChange={set('awsRegion')} placeholder="eu-west-1, us-west-2" helper="The service's own region always gets the AMI" />
        </>
      ) : null}
    </Form>
  );
}
