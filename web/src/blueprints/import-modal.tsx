/** The import dialog: a composer-cli TOML/JSON file or a hosted export, saved by the service, its warnings shown. */
import { useState } from 'react';
import { ActionGroup, Alert, Button, FileUpload, Form, FormGroup, FormSelect, FormSelectOption, List, ListItem, Modal, ModalBody, ModalHeader } from '@patternfly/react-core';
import { useApi } from '../api/api-context.tsx';
import type { DistributionDetails, DistributionsResponse } from '../api/types.ts';
import { useRequest } from '../api/use-request.ts';
import { ErrorAlert } from '../components/error-alert.tsx';
import { navigate } from '../router.tsx';
import { importBlueprintFile, type BlueprintImportResponse } from './blueprint-files.ts';

/** The file's `distro`, read with a pattern (no TOML parser in the bundle), to offer its image types. */
export function guessDistro(text: string): string {
  return /^\s*"?distro"?\s*[=:]\s*"([^"]+)"/m.exec(text)?.[1] ?? '';
}

function Choice({ id, label, value, options, onChange, placeholder }: { id: string; label: string; value: string; options: string[]; onChange: (v: string) => void; placeholder: string }) {
  return (
    <FormGroup label={label} fieldId={id}>
      <FormSelect id={id} value={value} onChange={(_e, v) => onChange(v)}>
        <FormSelectOption value="" label={placeholder} />
        {options.map((o) => (
          <FormSelectOption key={o} value={o} label={o} />
        ))}
      </FormSelect>
    </FormGroup>
  );
}

export function ImportModal({ onClose }: { onClose: () => void }) {
  const api = useApi();
  const [file, setFile] = useState<{ name: string; text: string }>();
  const [distribution, setDistribution] = useState('');
  const [architecture, setArchitecture] = useState('x86_64');
  const [imageType, setImageType] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const [result, setResult] = useState<BlueprintImportResponse>();
  const distributions = useRequest(() => api.get<DistributionsResponse>('/distributions'), []);
  const distro = distribution || (file ? guessDistro(file.text) : '');
  const details = useRequest(() => (distro ? api.get<DistributionDetails>(`/distributions/${encodeURIComponent(distro)}`) : Promise.resolve(undefined)), [distro]);
  const arches = Object.keys(details.data?.architectures ?? {});
  const types = Object.values(details.data?.architectures?.[architecture]?.image_types ?? {}).map((t) => t.name);

  const read = async (chosen: File) => {
    setError(undefined);
    setResult(undefined);
    setFile({ name: chosen.name, text: await chosen.text() });
  };
  const submit = async () => {
    if (!file) return;
    setBusy(true);
    try {
      setResult(await importBlueprintFile(api, file.name, file.text, { distribution, architecture, imageType }));
      setError(undefined);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal isOpen variant="medium" onClose={onClose} aria-labelledby="import-title">
      <ModalHeader title="Import a blueprint" labelId="import-title" description="A composer-cli blueprint (TOML or JSON) or a blueprint exported from Image Builder (JSON). The service saves it: a new blueprint, or a new version of the one with its name." />
      <ModalBody>
        <ErrorAlert error={error} title="Could not import the file" />
        {result ? (
          <>
            <Alert variant={result.warnings.length ? 'warning' : 'success'} isInline title={`Imported ${file?.name ?? ''} as ${result.created ? 'a new blueprint' : `version ${result.version}`} (${result.format})`}>
              {result.warnings.length ? (
                <>
                  Left out or not applied to images:
                  <List aria-label="Import warnings">
                    {result.warnings.map((w) => (
                      <ListItem key={w}>{w}</ListItem>
                    ))}
                  </List>
                </>
              ) : (
                'Everything in the file was carried over.'
              )}
            </Alert>
            <ActionGroup>
              <Button onClick={() => navigate(`/blueprints/${result.id}`)}>Open the blueprint</Button>
            </ActionGroup>
          </>
        ) : (
          <Form onSubmit={(e) => (e.preventDefault(), void submit())}>
            <FileUpload
              id="import-file"
              filename={file?.name ?? ''}
              filenamePlaceholder="Drag a file here or browse"
              browseButtonText="Browse"
              onFileInputChange={(_e, chosen) => void read(chosen)}
              onClearClick={() => (setFile(undefined), setError(undefined))}
              hideDefaultPreview
              dropzoneProps={{ accept: { 'application/toml': ['.toml'], 'application/json': ['.json'] } }}
            />
            <Choice id="import-distribution" label="Distribution" value={distribution} options={(distributions.data ?? []).map((d) => d.name)} onChange={setDistribution} placeholder="As in the file, or the blueprint's" />
            <Choice id="import-architecture" label="Architecture" value={architecture} options={arches.length ? arches : ['x86_64', 'aarch64']} onChange={setArchitecture} placeholder="Choose an architecture" />
            <Choice id="import-image-type" label="Image type" value={imageType} options={types} onChange={setImageType} placeholder="As in the file, or the blueprint's" />
            <ActionGroup>
              <Button type="submit" isDisabled={!file || busy} isLoading={busy}>
                Import
              </Button>
              <Button variant="link" onClick={onClose}>
                Cancel
              </Button>
            </ActionGroup>
          </Form>
        )}
      </ModalBody>
    </Modal>
  );
}
