// Offers a new version of the app once the service worker has it: applying it reloads the page, so never mid-run.
import { useStore } from '../store';
import { isRunLive } from '../store/update';

export function UpdateBanner() {
  const apply = useStore((s) => s.pendingUpdate);
  const live = useStore(isRunLive);
  if (!apply) return null;
  return (
    <div className="update-banner" role="status" data-testid="update-banner">
      A new version of the studio is ready.{' '}
      <button type="button" data-testid="update-apply" disabled={live} onClick={apply}>
        {live ? 'Update after this run' : 'Reload to update'}
      </button>
    </div>
  );
}
