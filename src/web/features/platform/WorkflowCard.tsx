import { useState } from 'react';
import { api } from '../../api/client';
import { SubmitActions } from '../../components/Actions';
import { Field, fieldErrors } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
import { ActionCard, Charged, Price, useEstimate } from './parts';
import { useCharge } from './use-charge';
import { onSubmit } from '../../lib/forms';

/** "Run workflow": its price per run, and the charge once run. */
export function WorkflowCard() {
  const [workflow, setWorkflow] = useState('candidate-screening');
  const estimate = useEstimate('workflow', 'per_execution', 1);
  const run = useCharge((id: string, idempotencyKey: string) =>
    api('POST /api/workflows/:id/execute', { params: { id }, body: { input: {} }, idempotent: true, idempotencyKey }),
  );
  const submit = onSubmit(() => run.mutate(workflow));
  return (
    <ActionCard title="Workflow" description="Run an automation workflow once.">
      <form className="stack" onSubmit={submit} noValidate>
        <Field
          label="Workflow id"
          value={workflow}
          onChange={(e) => setWorkflow(e.target.value)}
          pattern="[A-Za-z0-9_-]{1,100}"
          error={fieldErrors(run.error).id}
        />
        <Price estimate={estimate} suffix=" per run" />
        <ErrorMessage error={run.error} inline={['id']} />
        {run.data && !run.isPending ? <Charged credits={run.data.credits}>Workflow {run.data.execution.status}.</Charged> : null}
        <SubmitActions label="Run workflow" busy={run.isPending} disabled={!workflow} />
      </form>
    </ActionCard>
  );
}
