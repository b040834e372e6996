// Each end-to-end test starts with no other page of the app still running in the browser.
import { afterEach } from 'vitest';
import { closeOpenPages } from './harness';

afterEach(closeOpenPages);
