/* AppointEase staff day view (SPEC §4 "Staff and admin"): plain JS, no dependencies.
 *
 * Paste an API token once (kept in this tab's sessionStorage only), pick a date and a
 * staff member, and see the day's appointments and live holds. The page follows
 * GET /api/v1/admin/events every few seconds (data-interval, seconds) from the
 * position /admin/me reports, reloads the day when an event concerns it, and refreshes
 * the live holds on every tick. Check-in / complete / no-show / cancel call
 * POST /admin/appointments/<reference>/status with an Idempotency-Key.
 * Everything from the server is rendered with textContent, never as HTML.
 */
(function () {
  'use strict';

  var TOKEN_KEY = 'appointease.admin_token';
  var root = document.querySelector('[data-admin]');
  if (!root) return;
  var api = (root.getAttribute('data-api') || '/api/v1').replace(/\/+$/, '');
  var intervalMs = Math.max(1, Number(root.getAttribute('data-interval')) || 3) * 1000;

  var STATUS_LABEL = { confirmed: 'Confirmed', checked_in: 'Checked in', completed: 'Completed',
                       cancelled: 'Cancelled', no_show: 'No-show' };
  var ACTIONS = {
    confirmed: [['checked_in', 'Check in'], ['no_show', 'No-show'], ['cancelled', 'Cancel']],
    checked_in: [['completed', 'Complete']]
  };
  var DONE = { checked_in: 'checked in', completed: 'completed', no_show: 'marked as no-show', cancelled: 'cancelled' };

  var state = { token: null, me: null, cursor: 0, timer: null, refs: {}, generation: 0 };

  function part(role) { return root.querySelector('[data-role="' + role + '"]'); }
  function field(name) { return root.querySelector('[name="' + name + '"]'); }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function today() { var d = new Date(); return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()); }
  function clock() { var d = new Date(); return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()); }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)), h = '';
    for (var i = 0; i < 16; i++) h += (b[i] + 256).toString(16).slice(1);
    return h;
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function message(text, kind) {
    var m = part('message');
    m.textContent = text || '';
    if (kind) m.setAttribute('data-kind', kind); else m.removeAttribute('data-kind');
  }

  function ApiError(status, code, text) { this.status = status; this.code = code; this.message = text; }

  /* One call to the API with the token; 401 signs out; other errors raise ApiError. */
  async function call(method, path, body) {
    var headers = { 'Authorization': 'Bearer ' + state.token, 'Accept': 'application/json' };
    var init = { method: method, headers: headers, cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Idempotency-Key'] = uuid();
      init.body = JSON.stringify(body);
    }
    var res = await fetch(api + path, init);
    var data = null;
    try { data = res.status === 204 ? null : await res.json(); } catch (e) { data = null; }
    if (res.status === 401) {
      signOut('That token was not accepted (mistyped or revoked). Paste a valid one.');
      throw new ApiError(401, 'unauthorized', 'Signed out.');
    }
    if (!res.ok) {
      var err = (data && data.error) || {};
      throw new ApiError(res.status, err.code || 'http_' + res.status, err.message || 'The server answered ' + res.status + '.');
    }
    return data;
  }

  function showLogin(text) {
    part('day').hidden = true;
    part('login').hidden = false;
    message(text || '', text ? 'error' : null);
    field('token').focus();
  }

  function signOut(text) {
    state.generation++;
    clearTimeout(state.timer);
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(text);
  }

  function selected() { return { date: field('date').value, employee: field('employee').value }; }

  function remember() {
    var s = selected();
    history.replaceState(null, '', '#date=' + s.date + '&employee=' + s.employee);
  }

  function fromHash() {
    var out = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i > 0) out[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1));
    });
    return out;
  }

  async function open() {
    var me;
    try { me = await call('GET', '/admin/me'); } catch (e) { if (e.status !== 401) showLogin(e.message); return; }
    state.me = me;
    state.cursor = me.latest_seq;
    var wanted = fromHash();
    var select = field('employee');
    select.textContent = '';
    var staff = me.role === 'admin' ? await call('GET', '/admin/staff')
                                    : [{ id: me.employee_id, name: me.employee_name, active: true }];
    staff.forEach(function (s) {
      var opt = el('option', null, s.name + (s.active ? '' : ' (inactive)'));
      opt.value = String(s.id);
      select.appendChild(opt);
    });
    select.disabled = me.role !== 'admin';
    // The one asked for (the address's #employee=), else the first active staff member:
    // an inactive one stays selectable but is never the default (issue 16 point 6).
    var preferred = staff.filter(function (s) { return s.active; })[0] || staff[0];
    if (wanted.employee && staff.some(function (s) { return String(s.id) === wanted.employee; })) select.value = wanted.employee;
    else if (preferred) select.value = String(preferred.id);
    field('date').value = /^\d{4}-\d{2}-\d{2}$/.test(wanted.date || '') ? wanted.date : (field('date').value || today());
    part('who').textContent = me.role === 'admin' ? 'Admin' + (me.name ? ' · ' + me.name : '')
                                                  : 'Staff · ' + (me.employee_name || '#' + me.employee_id);
    part('login').hidden = true;
    part('day').hidden = false;
    message('');
    remember();
    await reload();
    schedule(state.generation);
  }

  function query() {
    var s = selected();
    return '?date=' + encodeURIComponent(s.date) + '&employee_id=' + encodeURIComponent(s.employee);
  }

  async function reload(fresh) {
    if (!field('employee').value || !field('date').value) return;
    var list = await call('GET', '/admin/appointments' + query());
    renderAppointments(list, fresh || {});
    await refreshHolds();
  }

  async function refreshHolds() {
    renderHolds(await call('GET', '/admin/holds' + query()));
    part('updated').textContent = 'Updated ' + clock() + ' · follows changes every ' + intervalMs / 1000 + ' s';
  }

  function renderAppointments(list, fresh) {
    var ol = part('appointments');
    ol.textContent = '';
    state.refs = {};
    list.forEach(function (a) {
      state.refs[a.reference] = true;
      ol.appendChild(appointmentRow(a, fresh[a.reference]));
    });
    part('no-appointments').hidden = list.length > 0;
    var active = list.filter(function (a) { return a.status === 'confirmed' || a.status === 'checked_in'; }).length;
    part('count').textContent = list.length ? '(' + active + ' active of ' + list.length + ')' : '';
  }

  function appointmentRow(a, fresh) {
    var li = el('li', 'ae-apt');
    li.setAttribute('data-reference', a.reference);
    li.setAttribute('data-status', a.status);
    if (fresh) li.setAttribute('data-fresh', '');
    li.appendChild(el('span', 'ae-apt-time', a.time + '–' + String(a.end).slice(11, 16)));
    var who = el('div');
    var name = el('div', 'ae-apt-who', a.name + ' ');
    name.appendChild(el('span', 'ae-badge', STATUS_LABEL[a.status] || a.status));
    who.appendChild(name);
    var meta = [a.service_name, a.email, a.phone, a.reference].filter(Boolean).join(' · ');
    who.appendChild(el('div', 'ae-apt-meta', meta));
    if (a.notes) who.appendChild(el('div', 'ae-apt-meta', 'Notes: ' + a.notes));
    li.appendChild(who);
    var actions = el('div', 'ae-apt-actions');
    (ACTIONS[a.status] || []).forEach(function (pair) {
      var b = el('button', 'ae-btn ae-btn-secondary', pair[1]);
      b.type = 'button';
      b.setAttribute('data-set-status', pair[0]);
      b.setAttribute('aria-label', pair[1] + ' ' + a.name + ' at ' + a.time);
      actions.appendChild(b);
    });
    li.appendChild(actions);
    return li;
  }

  function renderHolds(holds) {
    var ul = part('holds');
    ul.textContent = '';
    holds.forEach(function (h) {
      var li = el('li', 'ae-hold');
      li.setAttribute('data-kind', h.kind);
      li.setAttribute('data-time', h.time);
      li.appendChild(el('span', 'ae-hold-time', h.time));
      li.appendChild(el('span', null, (h.kind === 'lock' ? 'Confirming (lock)' : 'Choosing (selection)') +
                                      ' · ' + h.seconds_left + ' s left · visitor ' + h.client));
      ul.appendChild(li);
    });
    part('no-holds').hidden = holds.length > 0;
  }

  /* Follow the event feed from the cursor; reload the day when an event touches it. */
  async function tick(generation) {
    try {
      var day = field('date').value, touched = false, fresh = {}, page;
      do {
        page = await call('GET', '/admin/events?since=' + state.cursor + '&limit=500');
        page.events.forEach(function (e) {
          if (e.date === day || state.refs[e.reference]) { touched = true; fresh[e.reference] = true; }
        });
        state.cursor = page.next_since;
      } while (page.events.length === 500 && generation === state.generation);
      if (generation !== state.generation) return;
      if (touched) await reload(fresh); else await refreshHolds();
      if (part('message').getAttribute('data-kind') === 'offline') message('');
    } catch (e) {
      if (e.status === 401 || generation !== state.generation) return;
      message('Connection problem (' + e.message + '); retrying…', 'offline');
    } finally {
      if (generation === state.generation) schedule(generation);
    }
  }

  function schedule(generation) {
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { tick(generation); }, intervalMs);
  }

  async function setStatus(button) {
    var li = button.closest('[data-reference]');
    var ref = li.getAttribute('data-reference'), status = button.getAttribute('data-set-status');
    if (status === 'cancelled' && !button.hasAttribute('data-armed')) {
      button.setAttribute('data-armed', '');
      button.textContent = 'Confirm cancel';
      setTimeout(function () { button.removeAttribute('data-armed'); button.textContent = 'Cancel'; }, 4000);
      return;
    }
    li.querySelectorAll('button').forEach(function (b) { b.disabled = true; });
    try {
      await call('POST', '/admin/appointments/' + encodeURIComponent(ref) + '/status', { status: status });
      message(ref + ' ' + DONE[status] + '.', 'ok');
      var fresh = {};
      fresh[ref] = true;
      await reload(fresh);
    } catch (e) {
      if (e.status === 401) return;
      message(ref + ': ' + e.message, 'error');
      await reload().catch(function () {});
    }
  }

  part('login').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var token = field('token').value.trim();
    if (!token) return;
    field('token').value = '';
    state.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
    state.generation++;
    open();
  });
  root.addEventListener('click', function (ev) {
    var b = ev.target.closest('button');
    if (!b || !root.contains(b)) return;
    if (b.hasAttribute('data-set-status')) setStatus(b);
    else if (b.getAttribute('data-action') === 'sign-out') signOut('');
  });
  ['date', 'employee'].forEach(function (name) {
    field(name).addEventListener('change', function () {
      remember();
      reload().catch(function (e) { if (e.status !== 401) message(e.message, 'error'); });
    });
  });

  state.token = sessionStorage.getItem(TOKEN_KEY);
  if (state.token) open(); else showLogin('');
})();
