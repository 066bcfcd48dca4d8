/* global document, window */
// The demo page: sign up (local form against the Clerk stand-in, or Clerk's hosted sign-up), then follow the
// user's provisioning workflow through the status API with the user's Clerk session token, and keep notes in the
// user's own database. Plain DOM, no framework; user data only via textContent.

const STEP_LABELS = {
  'create-database': 'Create the database',
  'apply-migrations': 'Apply the schema',
  'record-on-clerk': 'Record it on the Clerk user',
};
const STATUS_LABELS = {
  waiting: 'waiting for webhook',
  unknown: 'unknown',
  provisioning: 'provisioning',
  ready: 'ready',
  failed: 'failed',
  deleting: 'deleting',
  deleted: 'deleted',
  cancelled: 'cancelled',
};
const STORAGE_KEY = 'per-user-db:userId';
const POLL_MS = 1000;
// Session tokens live 60 s: ask for a fresh one well before that.
const TOKEN_REFRESH_MS = 40_000;

const $ = (selector) => document.querySelector(selector);
const el = (tag, props = {}, children = []) => {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
};

let config;
let current = { userId: null, timer: null, status: null, deleted: false };
/** The stand-in session the page signed in with: `{ userId, sessionId, token, at }`. */
let session = null;

async function api(path, init) {
  const response = await fetch(path, { headers: { accept: 'application/json' }, ...init });
  const body = await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, body };
}

const postJson = (path, data) =>
  api(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(data),
  });

/**
 * The signed-in user's Clerk session token: from Clerk's front end with a real instance; in local mode from a
 * session the stand-in opened for the followed user (through the demo's sign-in route), refreshed as it ages.
 */
async function sessionToken() {
  if (config.mode === 'clerk') return (await window.Clerk?.session?.getToken()) ?? null;
  const userId = current.userId;
  if (!userId) return null;
  const fresh = session?.userId === userId && Date.now() - session.at < TOKEN_REFRESH_MS;
  // A deleted account gets no new token: the last one serves until it expires.
  if (fresh || (current.deleted && session?.userId === userId)) return session.token;
  const result =
    session?.userId === userId
      ? await api(`/api/demo/sessions/${encodeURIComponent(session.sessionId)}/tokens`, { method: 'POST' })
      : await postJson('/api/demo/sessions', { userId });
  if (userId !== current.userId) return null;
  if (!result.ok) {
    session = null;
    return null;
  }
  session = { userId, sessionId: result.body.sessionId ?? session.sessionId, token: result.body.token, at: Date.now() };
  return session.token;
}

/** `api` as the signed-in user: `Authorization: Bearer <session token>`. */
async function userApi(path, init = {}) {
  const token = await sessionToken();
  const headers = { accept: 'application/json', ...init.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  return api(path, { ...init, headers });
}

function errorMessage(result, fallback) {
  return result.body?.error?.message ?? fallback;
}

function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString();
}

function setBadge(badge, state, label) {
  badge.dataset.state = state;
  badge.textContent = label;
}

// ---- live view -------------------------------------------------------------------------------------------

function stepDuration(step) {
  if (!step.startedAt) return '';
  const end = step.finishedAt ? Date.parse(step.finishedAt) : Date.now();
  return formatDuration(end - Date.parse(step.startedAt));
}

function renderSteps(steps) {
  const list = $('[data-testid="steps"]');
  list.replaceChildren(
    ...steps.map((step) => {
      const icon = { done: '✓', failed: '✕', pending: '', running: '' }[step.state] ?? '';
      const item = el('li', { className: 'step' }, [
        el('span', { className: 'step-icon', ariaHidden: 'true', textContent: icon }),
        el('span', { className: 'step-name', textContent: STEP_LABELS[step.name] ?? step.name }),
        el('span', { className: 'step-meta' }, [
          el('span', { className: 'badge', textContent: step.state }),
          ' ',
          el('span', { className: 'step-duration', textContent: stepDuration(step) }),
        ]),
      ]);
      item.dataset.state = step.state;
      item.dataset.testid = `step-${step.name}`;
      item.querySelector('.badge').dataset.state = step.state;
      if (step.error) item.append(el('span', { className: 'step-error', textContent: step.error }));
      return item;
    }),
  );
}

function renderDatabase(database) {
  const facts = $('#database-facts');
  facts.hidden = !database;
  if (!database) return;
  $('[data-testid="db-provider"]').textContent = database.provider;
  $('[data-testid="db-name"]').textContent = database.name;
  $('[data-testid="db-region"]').textContent = database.region;
  $('[data-testid="db-schema-version"]').textContent = String(database.schemaVersion);
  $('[data-testid="db-provisioned-at"]').textContent = formatTime(database.provisionedAt);
}

function renderStatus(result) {
  const badge = $('[data-testid="status"]');
  const detail = $('#status-detail');
  const link = $('#temporal-link');
  if (result.status === 404) {
    setBadge(badge, 'waiting', STATUS_LABELS.waiting);
    detail.textContent = current.deleted
      ? 'The account is deleted and no provisioning workflow exists for it.'
      : 'Clerk has the account; its webhook has not started a workflow yet.';
    return 'waiting';
  }
  if (result.status === 401 && current.deleted) {
    setBadge(badge, 'deleted', STATUS_LABELS.deleted);
    detail.textContent = 'Account deleted: its session has ended with it.';
    return 'deleted';
  }
  if (!result.ok) {
    detail.textContent = `${errorMessage(result, 'The status API did not answer')}. Retrying…`;
    return 'error';
  }
  const status = result.body;
  setBadge(badge, status.status, STATUS_LABELS[status.status] ?? status.status);
  detail.textContent =
    {
      provisioning: 'The workflow is running; each step retries on its own until it succeeds.',
      ready: 'Your database is ready, and recorded on your Clerk user.',
      failed: 'Provisioning failed; the Temporal UI shows why.',
      deleting: 'Account deleted: the deprovisioning workflow is removing the database.',
      deleted: 'Account deleted: the database and its role are gone.',
      cancelled: 'Provisioning was stopped because the account was deleted.',
    }[status.status] ?? '';
  renderSteps(status.steps ?? []);
  renderDatabase(status.database);
  showNotes(status.status === 'ready' && !current.deleted);
  if (status.temporalUiUrl) {
    link.href = status.temporalUiUrl;
    link.hidden = false;
  }
  return status.status;
}

async function poll() {
  const userId = current.userId;
  if (!userId) return;
  const result = await userApi(`/api/users/${encodeURIComponent(userId)}/database`).catch(() => ({
    ok: false,
    status: 0,
    body: null,
  }));
  if (userId !== current.userId) return;
  const previous = current.status;
  current.status = renderStatus(result);
  // The admin list shows the recorded database: refresh it when this user's state moves on.
  if (previous !== null && previous !== current.status) void loadUsers();
  const settled = ['ready', 'failed', 'deleted'].includes(current.status);
  current.timer = setTimeout(poll, settled ? POLL_MS * 5 : POLL_MS);
}

function follow(userId) {
  clearTimeout(current.timer);
  current = { ...current, userId, status: null, deleted: false };
  localStorage.setItem(STORAGE_KEY, userId);
  $('#database-empty').hidden = true;
  $('#database-live').hidden = false;
  $('[data-testid="user-id"]').textContent = userId;
  $('[data-testid="steps"]').replaceChildren();
  $('#database-facts').hidden = true;
  $('#temporal-link').hidden = true;
  showNotes(false);
  $('#delete-account').hidden = false;
  $('#delete-account').disabled = false;
  setBadge($('[data-testid="status"]'), 'waiting', STATUS_LABELS.waiting);
  void poll();
}

// ---- notes (in the user's own database) -------------------------------------------------------------------

const notesPath = (suffix = '') => `/api/users/${encodeURIComponent(current.userId)}/notes${suffix}`;

function showNotes(visible) {
  const panel = $('#notes');
  const show = visible && Boolean(config?.notes);
  if (show && panel.hidden) void loadNotes();
  panel.hidden = !show;
}

function notesFailed(result, fallback) {
  const error = $('#notes-error');
  error.textContent = errorMessage(result, fallback);
  error.hidden = false;
}

function renderNotes({ database, notes }) {
  $('#notes-error').hidden = true;
  $('[data-testid="notes-database"]').textContent = database.name;
  $('#notes-empty').hidden = notes.length > 0;
  $('[data-testid="note-list"]').replaceChildren(
    ...notes.map((note) => {
      const remove = el('button', { type: 'button', className: 'button small danger', textContent: 'Delete' });
      remove.dataset.testid = 'note-delete';
      remove.addEventListener('click', () => void deleteNote(note.id));
      const item = el('li', {}, [el('span', { textContent: note.title }), remove]);
      item.dataset.testid = 'note';
      return item;
    }),
  );
}

async function loadNotes() {
  const userId = current.userId;
  const result = await userApi(notesPath()).catch(() => ({ ok: false, body: null }));
  if (userId !== current.userId) return;
  if (result.ok) renderNotes(result.body);
  else notesFailed(result, 'Could not load your notes');
}

async function addNote(event) {
  event.preventDefault();
  const input = $('#note-title');
  const title = input.value.trim();
  if (!title) return;
  const result = await userApi(notesPath(), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title }),
  }).catch(() => ({ ok: false, body: null }));
  if (!result.ok) return notesFailed(result, 'Could not save the note');
  input.value = '';
  await loadNotes();
}

async function deleteNote(id) {
  const result = await userApi(notesPath(`/${encodeURIComponent(id)}`), { method: 'DELETE' }).catch(() => ({
    ok: false,
    body: null,
  }));
  if (!result.ok) return notesFailed(result, 'Could not delete the note');
  await loadNotes();
}

// ---- actions ---------------------------------------------------------------------------------------------

async function signUp(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = $('#form-error');
  const submit = form.querySelector('[type="submit"]');
  error.hidden = true;
  for (const input of form.querySelectorAll('input')) input.removeAttribute('aria-invalid');
  const invalid = [...form.querySelectorAll('input')].filter((input) => !input.checkValidity());
  if (invalid.length > 0) {
    for (const input of invalid) input.setAttribute('aria-invalid', 'true');
    error.textContent = `Please enter a valid ${invalid.map((i) => i.labels[0]?.textContent.toLowerCase()).join(' and ')}.`;
    error.hidden = false;
    invalid[0].focus();
    return;
  }
  const data = Object.fromEntries(new window.FormData(form));
  submit.disabled = true;
  submit.textContent = 'Creating…';
  try {
    const result = await api('/api/demo/sign-up', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email: data.email, name: data.name, region: data.region || undefined }),
    });
    if (!result.ok) throw new Error(errorMessage(result, `Sign-up failed (${result.status})`));
    form.reset();
    follow(result.body.userId);
    void loadUsers();
    $('#database-title').scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
  } finally {
    submit.disabled = false;
    submit.textContent = 'Create account';
  }
}

async function deleteAccount() {
  const button = $('#delete-account');
  const userId = current.userId;
  if (!userId || !window.confirm('Delete this account? Its database will be removed.')) return;
  button.disabled = true;
  const detail = $('#status-detail');
  try {
    if (config.mode === 'clerk') {
      await window.Clerk.user.delete();
    } else {
      const result = await api(`/api/demo/users/${encodeURIComponent(userId)}`, { method: 'DELETE' });
      if (!result.ok) throw new Error(errorMessage(result, `Deleting failed (${result.status})`));
    }
    current.deleted = true;
    showNotes(false);
    localStorage.removeItem(STORAGE_KEY);
    button.hidden = true;
    detail.textContent = 'Account deleted: the deprovisioning workflow removes the database.';
    void loadUsers();
  } catch (failure) {
    detail.textContent = failure.message;
    button.disabled = false;
  }
}

// ---- admin view ------------------------------------------------------------------------------------------

async function loadUsers() {
  if (config.mode !== 'stand-in') return;
  const result = await api('/api/demo/users').catch(() => ({ ok: false, body: null }));
  const body = $('#users-body');
  if (!result.ok) {
    body.replaceChildren(
      el('tr', {}, [el('td', { colSpan: 5, textContent: errorMessage(result, 'Could not load users') })]),
    );
    return;
  }
  const users = result.body.users;
  $('#users-empty').hidden = users.length > 0;
  body.replaceChildren(
    ...users.map((user) => {
      const link = el('a', { href: `?user=${encodeURIComponent(user.id)}`, textContent: user.id });
      link.addEventListener('click', (event) => {
        event.preventDefault();
        window.history.replaceState(null, '', `?user=${encodeURIComponent(user.id)}`);
        follow(user.id);
      });
      const database = user.database;
      const badge = el('span', { className: 'badge', textContent: database?.status ?? 'none yet' });
      badge.dataset.state = database?.status ?? 'idle';
      const row = el('tr', {}, [
        el('td', {}, [el('code', {}, [link])]),
        el('td', { textContent: user.email ?? '' }),
        el('td', {}, [el('code', { textContent: database?.name ?? '—' })]),
        el('td', {}, [badge]),
        el('td', { textContent: formatTime(user.createdAt) }),
      ]);
      row.dataset.testid = `user-row-${user.id}`;
      return row;
    }),
  );
}

// ---- modes -----------------------------------------------------------------------------------------------

function showNotice(text) {
  const notice = $('[data-testid="mode-notice"]');
  notice.textContent = text;
  notice.hidden = false;
}

function loadScript(src, attributes = {}) {
  return new Promise((resolve, reject) => {
    const script = el('script', { src, async: true, crossOrigin: 'anonymous' });
    for (const [name, value] of Object.entries(attributes)) script.setAttribute(name, value);
    script.addEventListener('load', resolve);
    script.addEventListener('error', () => reject(new Error(`Could not load ${src}`)));
    document.head.append(script);
  });
}

/** Clerk's hosted sign-up, loaded from the instance's own Frontend API (needs internet and a real instance). */
async function mountClerkSignUp() {
  const { publishableKey, frontendApi } = config.clerk;
  const mount = $('#clerk-sign-up');
  mount.hidden = false;
  if (!frontendApi) {
    showNotice('CLERK_PUBLISHABLE_KEY does not look like a Clerk publishable key (pk_test_… or pk_live_…).');
    return;
  }
  try {
    await loadScript(`https://${frontendApi}/npm/@clerk/clerk-js@6/dist/clerk.browser.js`, {
      'data-clerk-publishable-key': publishableKey,
    });
    await loadScript(`https://${frontendApi}/npm/@clerk/ui@1/dist/ui.browser.js`);
    await window.Clerk.load({ ui: { ClerkUI: window.__internal_ClerkUICtor } });
  } catch (failure) {
    showNotice(`Clerk's sign-up could not be loaded: ${failure.message}`);
    return;
  }
  const showUser = (user) => {
    if (user && user.id !== current.userId) follow(user.id);
  };
  window.Clerk.addListener(({ user }) => showUser(user));
  if (window.Clerk.user) showUser(window.Clerk.user);
  else window.Clerk.mountSignUp(mount);
}

async function start() {
  const result = await api('/api/demo/config').catch(() => ({ ok: false, body: null }));
  if (!result.ok) {
    showNotice('The demo API did not answer; is the app running?');
    return;
  }
  config = result.body;
  $('#temporal-home').href = config.temporalUiUrl;
  const select = $('#region');
  for (const region of config.regions) select.append(el('option', { value: region, textContent: region }));

  if (config.mode === 'stand-in') {
    showNotice(
      'Local mode: accounts are created on the Clerk stand-in, which sends the same signed webhooks Clerk does.',
    );
    $('#sign-up-form').hidden = false;
    $('#sign-up-form').addEventListener('submit', signUp);
    $('[data-testid="users-card"]').hidden = false;
    $('#refresh-users').addEventListener('click', () => void loadUsers());
    void loadUsers();
  } else if (config.mode === 'clerk') {
    void mountClerkSignUp();
  } else {
    showNotice(
      'Set CLERK_PUBLISHABLE_KEY to show Clerk’s sign-up here, or run `npm start` without Clerk keys for local mode.',
    );
  }
  $('#delete-account').addEventListener('click', () => void deleteAccount());
  $('#note-form').addEventListener('submit', (event) => void addNote(event));

  const requested = new URLSearchParams(window.location.search).get('user');
  const remembered = config.mode === 'stand-in' ? localStorage.getItem(STORAGE_KEY) : null;
  const userId = requested ?? remembered;
  if (userId && /^user_[A-Za-z0-9]+$/.test(userId)) follow(userId);
}

void start();
