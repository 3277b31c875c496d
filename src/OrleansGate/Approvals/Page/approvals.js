// The approvals page. Signs the approver in with the OpenID Connect authorization code flow and PKCE, keeps the access
// token in this tab's sessionStorage only, and lists what the approver may decide through /api/approvals.
//
// Everything the API returns goes on the page as text (append/textContent), never as markup: statements come from
// agents and comments from people, and either may hold HTML. The server's CSP requires Trusted Types, so a future
// innerHTML here would throw instead of rendering.
'use strict';

const TOKEN_KEY = 'orleansgate.approvals.token';
const SIGN_IN_KEY = 'orleansgate.approvals.sign-in';
const REFRESH_MS = 5000;
// A 401 this soon after signing in means the API does not accept this IdP's tokens: say so instead of looping.
const FRESH_TOKEN_MS = 30000;
const REUSE_CHOICES = [60, 300, 900, 1800, 3600, 4 * 3600, 8 * 3600, 24 * 3600];
const ID_PATTERN = /^apr-[0-9a-f]{20}$/;

const state = { config: null, token: null, cards: new Map(), refreshTimer: 0, clockTimer: 0, refreshing: null };

function byId(id) {
  return document.getElementById(id);
}

// Builds an element; string children become text nodes (Element.append never parses markup).
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    node.setAttribute(name, value);
  }

  node.append(...children);
  return node;
}

function show(id, text, refused) {
  const node = byId(id);
  node.textContent = text || '';
  node.hidden = !text;
  node.classList.toggle('refused', Boolean(refused));
}

// --- Sign-in: authorization code with PKCE (RFC 7636, S256) ----------------------------------------------------

function base64url(bytes) {
  let binary = '';
  for (const b of bytes) {
    binary += String.fromCharCode(b);
  }

  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(byteCount) {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

// The claims of a JWT. Not verified: the ID token comes straight from the token endpoint over the connection the
// page opened (OIDC Core §3.1.3.7), and the API verifies the access token itself.
function claims(jwt) {
  const part = (jwt.split('.')[1] || '').replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(part);
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, c => c.charCodeAt(0))));
}

function redirectUri() {
  return location.origin + '/approvals/callback';
}

// Only the page's own paths are returned to after signing in, so the stored value cannot send the browser elsewhere.
function returnPath(path) {
  return path === '/approvals' || /^\/approvals\/apr-[0-9a-f]{20}$/.test(path || '') ? path : '/approvals';
}

async function discovery() {
  const url = state.config.issuer + '/.well-known/openid-configuration';
  const response = await fetch(url, { credentials: 'omit' });
  if (!response.ok) {
    throw new Error(`The identity provider's discovery document could not be read (HTTP ${response.status}).`);
  }

  return response.json();
}

async function signIn() {
  stopTimers();
  const idp = await discovery();
  const pending = { state: randomString(16), nonce: randomString(16), verifier: randomString(32), back: returnPath(location.pathname) };
  sessionStorage.setItem(SIGN_IN_KEY, JSON.stringify(pending));
  const url = new URL(idp.authorization_endpoint);
  const parameters = {
    client_id: state.config.client_id,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: state.config.scope,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: base64url(await sha256(pending.verifier)),
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(parameters)) {
    url.searchParams.set(name, value);
  }

  location.assign(url.toString());
}

// Back at /approvals/callback: checks state, redeems the code with the verifier, checks the ID token's nonce.
async function completeSignIn() {
  const parameters = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(SIGN_IN_KEY) || 'null');

  // Single use, and the code leaves the address bar and the history at once.
  sessionStorage.removeItem(SIGN_IN_KEY);
  history.replaceState(null, '', '/approvals/callback');
  if (!pending || parameters.get('state') !== pending.state) {
    throw new Error('This sign-in answer does not belong to a sign-in started in this tab (state differs). Sign in again.');
  }

  if (parameters.get('error')) {
    throw new Error(`The identity provider refused the sign-in: ${parameters.get('error')} ${parameters.get('error_description') || ''}`);
  }

  const idp = await discovery();
  const response = await fetch(idp.token_endpoint, {
    method: 'POST',
    credentials: 'omit',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: parameters.get('code') || '',
      redirect_uri: redirectUri(),
      client_id: state.config.client_id,
      code_verifier: pending.verifier,
    }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.access_token || !body.id_token) {
    throw new Error(`The sign-in could not be completed: ${body.error_description || body.error || 'HTTP ' + response.status}.`);
  }

  const id = claims(body.id_token);
  if (id.nonce !== pending.nonce) {
    throw new Error('The ID token does not carry the nonce of this sign-in. Sign in again.');
  }

  if (id.iss !== idp.issuer || ![].concat(id.aud).includes(state.config.client_id)) {
    throw new Error('The ID token was not issued by the configured identity provider to this page.');
  }

  const now = Date.now();
  const token = {
    access_token: body.access_token,
    obtained_at: now,
    expires_at: now + (Number(body.expires_in) || 300) * 1000,
    name: id.preferred_username || id.sub,
  };
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify(token));
  history.replaceState(null, '', pending.back);
}

function loadToken() {
  const token = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || 'null');
  return token && token.expires_at > Date.now() + 5000 ? token : null;
}

function signOut() {
  stopTimers();
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(SIGN_IN_KEY);
  state.token = null;
  render([]);
  byId('empty').hidden = true;
  show('message', 'Signed out.');
  show('problem', '');
  showSignedIn(false);
}

function showSignedIn(signedIn) {
  byId('who').textContent = signedIn ? `Signed in as ${state.token.name}` : '';
  byId('sign-out').hidden = !signedIn;
  byId('sign-in').hidden = signedIn;
}

function stopTimers() {
  clearInterval(state.refreshTimer);
  clearInterval(state.clockTimer);
  state.refreshTimer = 0;
  state.clockTimer = 0;
}

// --- The approvals API -----------------------------------------------------------------------------------------

class SignInNeeded extends Error {}

async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + state.token.access_token };
  if (body) {
    headers['Content-Type'] = 'application/json';
  }

  const response = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined, credentials: 'omit', cache: 'no-store' });
  const answer = await response.json().catch(() => ({ message: `Unexpected answer (HTTP ${response.status}).` }));
  if (response.status === 401) {
    const fresh = Date.now() - state.token.obtained_at < FRESH_TOKEN_MS;
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    throw fresh ? new Error(`The approvals API refused the new sign-in: ${answer.message}`) : new SignInNeeded();
  }

  return { status: response.status, body: answer };
}

function deepLinkId() {
  const id = location.pathname.slice('/approvals/'.length);
  return ID_PATTERN.test(id) ? id : null;
}

// One refresh at a time; a caller arriving during one waits for the next, so a vote's result is always shown.
function refresh() {
  const run = () => load().finally(() => {
    if (state.refreshing === promise) {
      state.refreshing = null;
    }
  });
  const promise = state.refreshing ? state.refreshing.then(run) : run();
  state.refreshing = promise;
  return promise;
}

async function load() {
  if (!state.token) {
    return;
  }

  try {
    const id = deepLinkId();
    const answer = await api('GET', id ? `/api/approvals/${id}` : '/api/approvals');
    if (answer.status !== 200) {
      render([]);
      show('problem', answer.body.message || `HTTP ${answer.status}`);
      return;
    }

    render(id ? [answer.body] : answer.body.approvals);
    show('problem', '');
  } catch (e) {
    await failed(e);
  }
}

async function failed(e) {
  if (e instanceof SignInNeeded) {
    await signIn();
    return;
  }

  if (!state.token) {
    stopTimers();
    showSignedIn(false);
  }

  show('problem', e.message);
}

async function vote(card, approve) {
  const body = {};
  const comment = card.comment.value.trim();
  if (comment) {
    body.comment = comment;
  }

  if (approve && card.reuse && card.reuse.value) {
    body.reuse = card.reuse.value;
  }

  card.setBusy(true);
  try {
    const answer = await api('POST', `/api/approvals/${card.id}/${approve ? 'approve' : 'deny'}`, body);
    const ok = answer.status === 200;
    show('message', `${card.id}: ${ok ? '' : `refused (HTTP ${answer.status}): `}${answer.body.message || answer.body.error || ''}`, !ok);
    if (ok) {
      card.comment.value = '';
    }
  } catch (e) {
    await failed(e);
  } finally {
    card.setBusy(false);
  }

  await refresh();
}

// --- Rendering ---------------------------------------------------------------------------------------------------

// Cards are kept by id and updated in place, so a refresh never loses a comment being typed.
function render(approvals) {
  const list = byId('approvals');
  const seen = new Set();
  for (const approval of approvals) {
    seen.add(approval.id);
    let card = state.cards.get(approval.id);
    if (!card) {
      card = createCard(approval);
      state.cards.set(approval.id, card);
      list.append(card.root);
    }

    card.update(approval);
  }

  for (const [id, card] of state.cards) {
    if (!seen.has(id)) {
      card.root.remove();
      state.cards.delete(id);
    }
  }

  byId('empty').hidden = state.cards.size > 0;
  tick();
}

function formatDuration(seconds) {
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]]) {
    if (seconds % size === 0) {
      return `${seconds / size}${unit}`;
    }
  }

  return `${seconds}s`;
}

function reuseChoice(approval) {
  const max = approval.max_reuse_seconds;
  if (approval.reuse === 'none' || !(max > 0)) {
    return null;
  }

  const choices = REUSE_CHOICES.filter(s => s < max).concat([max]);
  const select = el('select', { name: 'reuse' }, el('option', { value: '' }, 'this request only'));
  for (const seconds of choices) {
    select.append(el('option', { value: formatDuration(seconds) }, `reuse for ${formatDuration(seconds)}`));
  }

  return select;
}

function createCard(a) {
  const votes = el('ul', { class: 'votes' });
  const tally = el('span');
  const timeLeft = el('dd', { class: 'time-left' });
  const status = el('p', { class: 'status', hidden: '' });
  const commentId = `comment-${a.id}`;
  const comment = el('textarea', { id: commentId, name: 'comment', maxlength: '2000' });
  const reuse = reuseChoice(a);
  const approve = el('button', { type: 'button', class: 'approve' }, 'Approve');
  const deny = el('button', { type: 'button', class: 'deny' }, 'Deny');
  const form = el('div', { class: 'vote' },
    el('label', { for: commentId }, 'Comment'),
    comment,
    ...(reuse ? [el('label', {}, 'Reuse window ', reuse)] : []),
    el('div', { class: 'buttons' }, approve, deny));
  const statement = a.statement === null
    ? el('pre', { class: 'statement' }, `(full text no longer kept) ${a.normalized}`)
    : el('pre', { class: 'statement' }, a.statement);
  const root = el('article', { class: 'approval', 'data-id': a.id },
    el('h2', {}, `${a.kinds} on ${a.target} `, el('span', { class: 'id' }, a.id)),
    el('dl', {},
      el('dt', {}, 'Agent'), el('dd', {}, a.agent.subject, ' ', el('span', { class: 'issuer' }, `(${a.agent.issuer})`)),
      el('dt', {}, 'Target'), el('dd', {}, `${a.target} (${a.protocol})`),
      el('dt', {}, 'Rule'), el('dd', {}, a.rule, ': ', a.reason),
      el('dt', {}, 'Requested'), el('dd', {}, new Date(a.requested_at).toLocaleString()),
      el('dt', {}, 'Votes'), el('dd', {}, tally, votes),
      el('dt', {}, 'Time left'), timeLeft),
    statement,
    status,
    form);
  const card = {
    id: a.id,
    root,
    comment,
    reuse,
    deadline: 0,
    pending: true,
    timeLeft,
    setBusy(busy) {
      approve.disabled = busy || !card.pending;
      deny.disabled = busy || !card.pending;
    },
    update(approval) {
      // Measured from this answer, so the countdown does not depend on the browser's clock agreeing with the node's.
      card.deadline = Date.now() + approval.seconds_left * 1000;
      card.pending = approval.status === 'pending';
      const approvals = approval.votes.filter(v => v.approve).length;
      tally.textContent = `${approvals} of ${approval.required} approval${approval.required === 1 ? '' : 's'}`;
      votes.replaceChildren(...approval.votes.map(v =>
        el('li', {}, `${v.approver} ${v.approve ? 'approved' : 'denied'}${v.comment ? ': ' + v.comment : ''}`)));
      status.hidden = card.pending;
      status.textContent = card.pending ? '' : `This request is ${approval.status}${approval.comment ? ': ' + approval.comment : ''}.`;
      form.hidden = !card.pending;
      card.setBusy(false);
    },
  };
  approve.addEventListener('click', () => vote(card, true));
  deny.addEventListener('click', () => vote(card, false));
  return card;
}

function tick() {
  for (const card of state.cards.values()) {
    const left = Math.max(0, Math.round((card.deadline - Date.now()) / 1000));
    card.timeLeft.textContent = !card.pending ? '-' : left === 0 ? 'expiring' : `${Math.floor(left / 60)}m ${String(left % 60).padStart(2, '0')}s`;
    card.timeLeft.classList.toggle('low', card.pending && left < 60);
  }
}

// --- Start -------------------------------------------------------------------------------------------------------

async function main() {
  byId('sign-out').addEventListener('click', signOut);
  byId('sign-in').addEventListener('click', () => signIn().catch(e => show('problem', e.message)));
  try {
    const response = await fetch('/approvals/config.json', { credentials: 'omit', cache: 'no-store' });
    state.config = await response.json();
    if (location.pathname === '/approvals/callback') {
      await completeSignIn();
    }

    state.token = loadToken();
    if (!state.token) {
      await signIn();
      return;
    }

    showSignedIn(true);
    await refresh();
    state.refreshTimer = setInterval(refresh, REFRESH_MS);
    state.clockTimer = setInterval(tick, 1000);
  } catch (e) {
    showSignedIn(false);
    show('problem', e.message);
  }
}

main();
