// A secret the server hands out once (an API token, a webhook's or a site's signing secret): shown
// right after it is made, with a copy button and a note that it cannot be seen again.
import { CopyButton } from '../copy-button/copy-button.tsx';

interface ShownOnceProps {
  secret: string;
  /** What it is and what to do with it, ending with why now. */
  note: string;
  testId: string;
  secretTestId: string;
}

export function ShownOnce({ secret, note, testId, secretTestId }: ShownOnceProps) {
  return (
    <div class="invite-sent" role="status" data-testid={testId}>
      <p>{note}</p>
      <div class="copy-row">
        <code class="snippet" data-testid={secretTestId}>{secret}</code>
        <CopyButton text={secret} />
      </div>
    </div>
  );
}
