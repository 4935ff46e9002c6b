// rasso's own script, loaded as a module from this origin (the CSP allows nothing inline). Every
// page works without it: it starts GOV.UK Frontend's components and warns before the session
// ends for want of activity.
import { initAll } from './vendor/govuk/govuk-frontend.min.js';

document.body.classList.add('js-enabled', 'govuk-frontend-supported');
initAll();

// Idle-timeout warning: the server ends a session after `rasso-idle` seconds without a request.
// Two minutes before, a dialog offers to stay signed in (one request to the start page renews
// the session); at the end, the page goes to the signed-out page.
const idleMeta = document.querySelector('meta[name="rasso-idle"]');
const idle = idleMeta ? Number(idleMeta.content) : 0;
const dialog = document.getElementById('idle-warning');
if (idle > 0 && dialog) {
  const warnBefore = Math.min(120, idle / 2) * 1000;
  let warnTimer;
  let endTimer;
  const countdown = dialog.querySelector('[data-idle-countdown]');
  const arm = () => {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(() => {
      dialog.hidden = false;
      if (countdown) countdown.textContent = `${Math.round(warnBefore / 60000)} minutes`;
      dialog.querySelector('button')?.focus();
    }, idle * 1000 - warnBefore);
    endTimer = setTimeout(() => {
      window.location.assign('/signed-out?reason=idle');
    }, idle * 1000);
  };
  dialog.querySelector('button')?.addEventListener('click', async () => {
    const response = await fetch('/', { credentials: 'same-origin', redirect: 'manual' });
    if (response.type === 'opaqueredirect' || response.status >= 300) {
      window.location.assign('/signed-out?reason=idle');
      return;
    }
    dialog.hidden = true;
    arm();
  });
  // Any request made by the page (htmx) renews the session too.
  document.body.addEventListener('htmx:afterRequest', arm);
  arm();
}
