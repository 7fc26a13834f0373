import './styles/base.css';
import './styles/controls.css';
import './styles/panels.css';
import { setKeyPrompt } from './api.js';
import { byId } from './dom.js';
import { createKeyDialog } from './key-dialog.js';
import { createJobsList } from './panels/jobs-list.js';
import { createJobView } from './panels/job-view.js';
import { createModelsPanel } from './panels/models.js';
import { createNewJobForm } from './panels/new-job.js';
import { createPlayground } from './panels/playground.js';
import { createRegistryPanel } from './panels/registry.js';
import { createTenantBadge } from './tenant.js';

const status = byId('status');
/** One polite live region for everything worth hearing: queued, finished, predicted. */
const announce = (text: string) => {
  status.textContent = text;
};

const playground = createPlayground(announce);
const registry = createRegistryPanel(() => void models.refresh(), announce);
const models = createModelsPanel((items, registered) => {
  playground.setModels(items, registered);
  registry.show(registered);
});
// Each panel's refresh and load show their own errors in that panel: the voids below wait for none.
const jobView = createJobView({
  onChange: (job) => jobs.show(job),
  onFinished: () => {
    void jobs.refresh();
    void models.refresh();
  },
  announce,
});
const jobs = createJobsList((job) => {
  jobs.select(job.id);
  jobView.show(job);
  // Keyboard and screen-reader users land on what they picked.
  byId('job-title').focus({ preventScroll: true });
  byId('job-panel').scrollIntoView({ behavior: 'smooth', block: 'start' });
});
const form = createNewJobForm((job) => {
  jobs.select(job.id);
  jobView.show(job);
  void jobs.refresh();
}, announce);

const tenant = createTenantBadge(() => {
  void jobs.refresh();
  void models.refresh();
});

// After a key is entered (or forgotten), load everything again with it.
setKeyPrompt(
  createKeyDialog(() => {
    // The datasets after the tenant: an admin's are those of its own tenant.
    void tenant.refresh().then(() => form.loadDatasets());
    void jobs.refresh();
    void models.refresh();
  }),
);

void tenant.refresh().then(() => form.loadDatasets());
void jobs.refresh();
void models.refresh();
