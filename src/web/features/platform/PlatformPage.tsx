import { CallCard } from './CallCard';
import { FileCard } from './FileCard';
import { MessageCard } from './MessageCard';
import { OpenCalls } from './OpenCalls';
import { WorkflowCard } from './WorkflowCard';
import './platform.css';

/** `/` and `/platform`: the metered operations, each with its price before and its charge after. */
export function PlatformPage() {
  return (
    <div className="page">
      <div className="page-head">
        <h1>Platform</h1>
        <p className="muted">Every operation shows its price before you run it and its charge after.</p>
      </div>
      <div className="grid grid-actions">
        <MessageCard />
        <CallCard />
        <FileCard />
        <WorkflowCard />
        <OpenCalls />
      </div>
    </div>
  );
}
