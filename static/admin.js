/*
 * AppointEase staff day view (SPEC §4 "Staff and admin"): plain ES2020, no dependencies.
 *
 * Paste an API token once (kept in this tab's sessionStorage only), pick a date and a
 * staff member, and see the day's appointments and live holds. The page follows
 * GET /api/v1/admin/events every few seconds (data-interval, seconds) from the
 * position /admin/me reports, reloads the day when an event concerns it, and refreshes
 * the live holds on every tick. Check-in / complete / no-show / cancel call
 * POST /admin/appointments/<reference>/status with an Idempotency-Key.
 * Everything from the server is rendered with textContent, never as HTML.
 *
 * Sections: settings · state · helpers · API · sign-in · the day (appointments, holds) ·
 * following the event feed · status changes · start-up.
 */
(() => {
  'use strict';

  /* ---------- settings ---------- */

  const TOKEN_KEY = 'appointease.admin_token';
  const root = document.querySelector('[data-admin]');
  if (!root) return;
  const api = (root.getAttribute('data-api') || '/api/v1').replace(/\/+$/, '');
  const intervalMs = Math.max(1, Number(root.getAttribute('data-interval')) || 3) * 1000;
  /** Events asked for per page of the feed; a full page means more may follow at once. */
  const EVENTS_PAGE = 500;

  const STATUS_LABELS = {
    confirmed: 'Confirmed', checked_in: 'Checked in', completed: 'Completed', cancelled: 'Cancelled',
    no_show: 'No-show',
  };
  /** The status changes offered per status: [new status, button label]. */
  const ACTIONS = {
    confirmed: [['checked_in', 'Check in'], ['no_show', 'No-show'], ['cancelled', 'Cancel']],
    checked_in: [['completed', 'Complete']],
  };
  /** How a done change reads: "<reference> checked in." */
  const DONE_TEXTS = {
    checked_in: 'checked in', completed: 'completed', no_show: 'marked as no-show', cancelled: 'cancelled',
  };

  /* ---------- state ---------- */

  const state = {
    token: null, // the API token (sessionStorage TOKEN_KEY), null when signed out
    me: null, // GET /admin/me
    cursor: 0, // the event feed position read up to
    timer: null, // the next feed tick
    references: {}, // reference -> true for the appointments shown (their events touch the day)
    generation: 0, // bumped on sign-in and sign-out: a tick of an older session stops
  };

  /* ---------- helpers ---------- */

  const part = (role) => root.querySelector(`[data-role="${role}"]`);
  const field = (name) => root.querySelector(`[name="${name}"]`);
  const pad = (number) => String(number).padStart(2, '0');
  /** This browser's date, "YYYY-MM-DD". */
  const today = () => {
    const now = new Date();
    return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  };
  /** This browser's time, "HH:MM:SS". */
  const clock = () => {
    const now = new Date();
    return `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  };
  const uuid = () => {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => (byte + 256).toString(16).slice(1)).join('');
  };

  /** An element with an optional class and text (textContent: never HTML). */
  const element = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };

  /** Show `text` in the message line; `kind` ('error', 'ok', 'offline') styles it. */
  const showMessage = (text, kind) => {
    const line = part('message');
    line.textContent = text || '';
    if (kind) line.setAttribute('data-kind', kind);
    else line.removeAttribute('data-kind');
  };

  /* ---------- API ---------- */

  /** An API answer that is not 2xx: its HTTP status, error code and message. */
  class ApiError extends Error {
    constructor(status, code, text) {
      super(text);
      this.status = status;
      this.code = code;
    }
  }

  /**
   * One call to the API with the token; a body is sent as JSON with a fresh Idempotency-Key.
   *
   * @returns {Promise<*>} the answer's JSON (null for 204)
   * @throws {ApiError} on any non-2xx answer; a 401 also signs out
   */
  async function call(method, path, body) {
    const headers = { Authorization: 'Bearer ' + state.token, Accept: 'application/json' };
    const init = { method, headers, cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Idempotency-Key'] = uuid();
      init.body = JSON.stringify(body);
    }
    const response = await fetch(api + path, init);
    let data = null;
    try { data = response.status === 204 ? null : await response.json(); } catch (e) { data = null; }
    if (response.status === 401) {
      signOut('That token was not accepted (mistyped or revoked). Paste a valid one.');
      throw new ApiError(401, 'unauthorized', 'Signed out.');
    }
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new ApiError(response.status, error.code || `http_${response.status}`,
        error.message || `The server answered ${response.status}.`);
    }
    return data;
  }

  /* ---------- sign-in ---------- */

  function showLogin(text) {
    part('day').hidden = true;
    part('login').hidden = false;
    showMessage(text || '', text ? 'error' : null);
    field('token').focus();
  }

  function signOut(text) {
    state.generation++;
    clearTimeout(state.timer);
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(text);
  }

  /** The date and staff member picked: { date: "YYYY-MM-DD", employee: "<id>" }. */
  const selected = () => ({ date: field('date').value, employee: field('employee').value });

  /** Keep the pick in the address (#date=…&employee=…), so a reload shows the same day. */
  function rememberSelection() {
    const { date, employee } = selected();
    history.replaceState(null, '', `#date=${date}&employee=${employee}`);
  }

  /** The address's #key=value&… pairs. */
  function hashParams() {
    const params = {};
    location.hash.replace(/^#/, '').split('&').forEach((pair) => {
      const i = pair.indexOf('=');
      if (i > 0) params[decodeURIComponent(pair.slice(0, i))] = decodeURIComponent(pair.slice(i + 1));
    });
    return params;
  }

  /**
   * Signed in: read who this is (GET /admin/me), fill the staff picker (every staff member for
   * an admin, themselves for staff), show the day and start following the feed.
   */
  async function openDay() {
    let me;
    try { me = await call('GET', '/admin/me'); } catch (e) {
      if (e.status !== 401) showLogin(e.message);
      return;
    }
    state.me = me;
    state.cursor = me.latest_seq;
    const wanted = hashParams();
    const select = field('employee');
    select.textContent = '';
    const staff = me.role === 'admin' ? await call('GET', '/admin/staff')
      : [{ id: me.employee_id, name: me.employee_name, active: true }];
    staff.forEach((member) => {
      const option = element('option', null, member.name + (member.active ? '' : ' (inactive)'));
      option.value = String(member.id);
      select.appendChild(option);
    });
    select.disabled = me.role !== 'admin';
    // The one asked for (the address's #employee=), else the first active staff member:
    // an inactive one stays selectable but is never the default (issue 16 point 6).
    const preferred = staff.find((member) => member.active) || staff[0];
    const wantedListed = wanted.employee && staff.some((member) => String(member.id) === wanted.employee);
    if (wantedListed) select.value = wanted.employee;
    else if (preferred) select.value = String(preferred.id);
    const wantedDate = /^\d{4}-\d{2}-\d{2}$/.test(wanted.date || '') && wanted.date;
    field('date').value = wantedDate || field('date').value || today();
    part('who').textContent = me.role === 'admin' ? 'Admin' + (me.name ? ' · ' + me.name : '')
      : 'Staff · ' + (me.employee_name || '#' + me.employee_id);
    part('login').hidden = true;
    part('day').hidden = false;
    showMessage('');
    rememberSelection();
    await reload();
    schedule(state.generation);
  }

  /* ---------- the day ---------- */

  function dayQuery() {
    const { date, employee } = selected();
    return `?date=${encodeURIComponent(date)}&employee_id=${encodeURIComponent(employee)}`;
  }

  /** Load and show the day's appointments (`fresh`: reference -> true, marked as just changed) and holds. */
  async function reload(fresh) {
    if (!field('employee').value || !field('date').value) return;
    const appointments = await call('GET', '/admin/appointments' + dayQuery());
    renderAppointments(appointments, fresh || {});
    await refreshHolds();
  }

  async function refreshHolds() {
    renderHolds(await call('GET', '/admin/holds' + dayQuery()));
    part('updated').textContent = `Updated ${clock()} · follows changes every ${intervalMs / 1000} s`;
  }

  function renderAppointments(appointments, fresh) {
    const list = part('appointments');
    list.textContent = '';
    state.references = {};
    appointments.forEach((appointment) => {
      state.references[appointment.reference] = true;
      list.appendChild(appointmentRow(appointment, fresh[appointment.reference]));
    });
    part('no-appointments').hidden = appointments.length > 0;
    const active = appointments.filter(({ status }) => status === 'confirmed' || status === 'checked_in').length;
    part('count').textContent = appointments.length ? `(${active} active of ${appointments.length})` : '';
  }

  /** One appointment: time, customer, status badge, details and its status buttons. */
  function appointmentRow(appointment, fresh) {
    const row = element('li', 'ae-apt');
    row.setAttribute('data-reference', appointment.reference);
    row.setAttribute('data-status', appointment.status);
    if (fresh) row.setAttribute('data-fresh', '');
    row.appendChild(element('span', 'ae-apt-time', appointment.time + '–' + String(appointment.end).slice(11, 16)));
    const who = element('div');
    const name = element('div', 'ae-apt-who', appointment.name + ' ');
    name.appendChild(element('span', 'ae-badge', STATUS_LABELS[appointment.status] || appointment.status));
    who.appendChild(name);
    const details = [appointment.service_name, appointment.email, appointment.phone, appointment.reference];
    who.appendChild(element('div', 'ae-apt-meta', details.filter(Boolean).join(' · ')));
    if (appointment.notes) who.appendChild(element('div', 'ae-apt-meta', 'Notes: ' + appointment.notes));
    row.appendChild(who);
    const actions = element('div', 'ae-apt-actions');
    (ACTIONS[appointment.status] || []).forEach(([status, label]) => {
      const button = element('button', 'ae-btn ae-btn-secondary', label);
      button.type = 'button';
      button.setAttribute('data-set-status', status);
      button.setAttribute('aria-label', `${label} ${appointment.name} at ${appointment.time}`);
      actions.appendChild(button);
    });
    row.appendChild(actions);
    return row;
  }

  function renderHolds(holds) {
    const list = part('holds');
    list.textContent = '';
    holds.forEach((hold) => {
      const row = element('li', 'ae-hold');
      row.setAttribute('data-kind', hold.kind);
      row.setAttribute('data-time', hold.time);
      row.appendChild(element('span', 'ae-hold-time', hold.time));
      const kind = hold.kind === 'lock' ? 'Confirming (lock)' : 'Choosing (selection)';
      row.appendChild(element('span', null, `${kind} · ${hold.seconds_left} s left · visitor ${hold.client}`));
      list.appendChild(row);
    });
    part('no-holds').hidden = holds.length > 0;
  }

  /* ---------- following the event feed ---------- */

  /**
   * Read the event feed from the cursor (page by page); reload the day when an event touches
   * it (its date, or an appointment shown), else refresh the holds. Stops when `generation`
   * is no longer the session's.
   */
  async function tick(generation) {
    try {
      const day = field('date').value;
      const fresh = {};
      let touched = false;
      let page;
      do {
        page = await call('GET', `/admin/events?since=${state.cursor}&limit=${EVENTS_PAGE}`);
        page.events.forEach((event) => {
          if (event.date === day || state.references[event.reference]) {
            touched = true;
            fresh[event.reference] = true;
          }
        });
        state.cursor = page.next_since;
      } while (page.events.length === EVENTS_PAGE && generation === state.generation);
      if (generation !== state.generation) return;
      if (touched) await reload(fresh);
      else await refreshHolds();
      if (part('message').getAttribute('data-kind') === 'offline') showMessage('');
    } catch (e) {
      if (e.status === 401 || generation !== state.generation) return;
      showMessage(`Connection problem (${e.message}); retrying…`, 'offline');
    } finally {
      if (generation === state.generation) schedule(generation);
    }
  }

  function schedule(generation) {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => tick(generation), intervalMs);
  }

  /* ---------- status changes ---------- */

  /** A status button was pressed: Cancel asks to be pressed again within 4 s; then the change is sent. */
  async function setStatus(button) {
    const row = button.closest('[data-reference]');
    const reference = row.getAttribute('data-reference');
    const status = button.getAttribute('data-set-status');
    if (status === 'cancelled' && !button.hasAttribute('data-armed')) {
      button.setAttribute('data-armed', '');
      button.textContent = 'Confirm cancel';
      setTimeout(() => {
        button.removeAttribute('data-armed');
        button.textContent = 'Cancel';
      }, 4000);
      return;
    }
    row.querySelectorAll('button').forEach((rowButton) => { rowButton.disabled = true; });
    try {
      await call('POST', `/admin/appointments/${encodeURIComponent(reference)}/status`, { status });
      showMessage(`${reference} ${DONE_TEXTS[status]}.`, 'ok');
      await reload({ [reference]: true });
    } catch (e) {
      if (e.status === 401) return;
      showMessage(`${reference}: ${e.message}`, 'error');
      await reload().catch(() => {});
    }
  }

  /* ---------- start-up ---------- */

  part('login').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = field('token').value.trim();
    if (!token) return;
    field('token').value = '';
    state.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
    state.generation++;
    openDay();
  });
  root.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (!button || !root.contains(button)) return;
    if (button.hasAttribute('data-set-status')) setStatus(button);
    else if (button.getAttribute('data-action') === 'sign-out') signOut('');
  });
  ['date', 'employee'].forEach((name) => {
    field(name).addEventListener('change', () => {
      rememberSelection();
      reload().catch((e) => { if (e.status !== 401) showMessage(e.message, 'error'); });
    });
  });

  state.token = sessionStorage.getItem(TOKEN_KEY);
  if (state.token) openDay();
  else showLogin('');
})();
