/** Asks before something that cannot be undone (delete, cancel). */
import { Button, Modal, ModalBody, ModalFooter, ModalHeader } from '@patternfly/react-core';

export function ConfirmModal(props: { title: string; body: string; confirm: string; onConfirm: () => void; onClose: () => void; danger?: boolean }) {
  return (
    <Modal isOpen variant="small" onClose={props.onClose} aria-labelledby="confirm-title">
      <ModalHeader title={props.title} labelId="confirm-title" />
      <ModalBody>{props.body}</ModalBody>
      <ModalFooter>
        <Button variant={props.danger ? 'danger' : 'primary'} onClick={props.onConfirm}>
          {props.confirm}
        </Button>
        <Button variant="link" onClick={props.onClose}>
          Keep it
        </Button>
      </ModalFooter>
    </Modal>
  );
}
