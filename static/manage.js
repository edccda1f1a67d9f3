/*
 * AppointEase manage page (SPEC §4 Customers): sign in with an emailed one-time code, see
 * your appointments, cancel one, or move it to another time picked from a live slot grid.
 *
 * Plain JS, no dependencies. The grid is kept live the way the booking widget does it:
 * GET /availability draws the day, then POST /heartbeat every `interval_seconds` (sending
 * `known_version`, so an unchanged day costs a tiny answer) repaints the states; picking a
 * time takes a short selection (POST /slots/select) that other visitors see as yellow, and
 * the move itself is POST /appointments/<ref>/reschedule with this page's client_id (its own
 * selection does not block it) and an Idempotency-Key (a retried click moves it once).
 *
 * The bearer token lives in sessionStorage of this (the booking) origin only: it is gone
 * when the tab closes, and a host page embedding the widget never sees it.
 *
 * Served as a bundle (appointease/assets.py BUNDLES): slot-states.js comes first.
 */
(function () {
  'use strict';

  const root = document.getElementById('manage');
  if (!root) return;
  const API = root.getAttribute('data-api') || '/api/v1';
  const STORE = 'appointease.manage';
  const $ = (id) => document.getElementById(id);
  const el = {
    title: $('m-title'), msg: $('m-msg'), signin: $('m-signin'), emailForm: $('m-email-form'), email: $('m-email'),
    send: $('m-send'), codeForm: $('m-code-form'), sentTo: $('m-sent-to'), code: $('m-code'), verify: $('m-verify'),
    restart: $('m-restart'), resend: $('m-resend'), list: $('m-list'), who: $('m-who'), logout: $('m-logout'),
    past: $('m-past'), items: $('m-items'), move: $('m-move'), current: $('m-current'), staff: $('m-staff'),
    earlier: $('m-earlier'), later: $('m-later'), days: $('m-days'), tz: $('m-tz'), slots: $('m-slots'),
    conn: $('m-conn'), back: $('m-back'), confirm: $('m-confirm'),
  };

  const MESSAGES = {
    network: 'We cannot reach the booking service. Check your connection and try again.',
    unauthorized: 'Your sign-in has ended. Please sign in again.',
    not_found: 'That appointment no longer exists.',
    too_late: 'It is too late to change this appointment online. Please contact us.',
    invalid_transition: 'This appointment can no longer be changed.',
    slot_taken: 'That time was just booked by someone else. Please choose another time.',
    slot_held: 'Someone else is booking that time right now. Please choose another time.',
    outside_hours: 'That time is not available. Please choose another time.',
    past_time: 'That time has already passed or is too soon. Please choose a later time.',
    too_far_ahead: 'That date is too far ahead to book.',
    rate_limited: 'Too many attempts. Please wait a moment and try again.',
    unavailable: 'The booking service is busy. Please try again in a moment.',
    idempotency_in_progress: 'Your previous request is still being processed. Please wait a moment.',
  };
  const STATES = {
    available: 'Free', processing: 'Choosing', locked: 'Booking', booked: 'Booked', mine: 'Your pick', current: 'Now',
  };
  const WINDOW = 14; // days shown in the date strip

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  /** Build an element: h('button', {class, text, type, ...attrs}, children). */
  function h(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k === 'on') Object.entries(v).forEach(([ev, fn]) => node.addEventListener(ev, fn));
      else node.setAttribute(k, v === true ? '' : v);
    }
    (children || []).forEach((c) => c && node.append(c));
    return node;
  }

  function human(error) {
    if (!error) return MESSAGES.network;
    return MESSAGES[error.code] || error.message || MESSAGES.network;
  }

  /* ---------- dates ---------- */
  // The date strip and the API's `date`/`time` are business-local. What people read is shown in
  // the visitor's locale (12- or 24-hour as it has it), in the zone the appointment was booked in
  // (its `timezone`; else this browser's), with the business zone beside it when they differ,
  // each named as people say it ("Eastern Time"), never as an IANA id (SPEC §4 `timezone`).

  function isoDay(d) {
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  }
  function parseDay(s) {
    const [y, m, d] = s.split('-').map(Number);
    return new Date(y, m - 1, d);
  }
  function addDays(s, n) {
    const d = parseDay(s);
    d.setDate(d.getDate() + n);
    return isoDay(d);
  }

  const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const LONG = { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' };
  const SHORT = { weekday: 'short', day: 'numeric', month: 'short' };
  const HM = { timeStyle: 'short' };

  /** Format the instant `at` in zone `tz` with Intl options `o`; with `end`, the range from `at` to `end`. */
  function fmt(at, o, tz, end) {
    const f = new Intl.DateTimeFormat(undefined, { ...o, timeZone: tz });
    return end === undefined ? f.format(new Date(at)) : f.formatRange(new Date(at), new Date(end));
  }
  /** The calendar date (YYYY-MM-DD) of the instant `at` in zone `tz`. */
  function dayIn(at, tz) {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(new Date(at));
    const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day}`;
  }
  /** A zone as people name it in their language ("Eastern Time", "Central European Time"); "UTC" for UTC. */
  function zoneName(tz) {
    if (/^(Etc\/)?(UTC|UCT|Universal|Zulu)$/.test(tz)) return 'UTC';
    const part = new Intl.DateTimeFormat(undefined, { timeZone: tz, timeZoneName: 'longGeneric' })
      .formatToParts(new Date()).find((x) => x.type === 'timeZoneName');
    return part ? part.value : tz;
  }
  /** The zone an appointment's times are read in: the one it was booked in, else this browser's. */
  function zoneOf(a) { return a.timezone || BROWSER_ZONE; }

  /** "Monday, December 7, 2026, 4:00 – 4:30 AM Eastern Time (10:00 – 10:30 AM Central European Time)". */
  function when(a) {
    const vz = zoneOf(a);
    const bz = a.business_timezone || vz;
    const text = `${fmt(a.start, LONG, vz)}, ${fmt(a.start, HM, vz, a.end)} ${zoneName(vz)}`;
    if (bz === vz) return text;
    const other = dayIn(a.start, bz) !== dayIn(a.start, vz) ? `, ${fmt(a.start, SHORT, bz)}` : '';
    return `${text} (${fmt(a.start, HM, bz, a.end)} ${zoneName(bz)}${other})`;
  }

  /* ---------- state ---------- */

  const cid = 'manage-' + uuid();
  const s = {
    session: null,  // {token, expires_at, email}
    email: '',
    appointments: [],
    confirming: null,  // reference awaiting "yes, cancel"
    mv: null,  // the move panel: {apt, employeeId, start, date, times, version, interval, pick, hold, ttl}
    timer: 0,
    seq: 0,
    fails: 0,
  };

  function loadSession() {
    try {
      const v = JSON.parse(sessionStorage.getItem(STORE) || 'null');
      if (v && v.token && Date.parse(v.expires_at) > Date.now()) return v;
    } catch (e) { /* storage blocked or garbled: sign in again */ }
    return null;
  }
  function saveSession(v) {
    s.session = v;
    try {
      if (v) sessionStorage.setItem(STORE, JSON.stringify(v));
      else sessionStorage.removeItem(STORE);
    } catch (e) { /* private mode without storage: the session lasts as long as the page */ }
  }

  /* ---------- HTTP ---------- */

  /** Call the API; resolve {ok, status, data} or {ok:false, status, error}; never throw. */
  async function call(method, path, body, headers) {
    const init = { method, credentials: 'omit', headers: { Accept: 'application/json', ...(headers || {}) } };
    if (s.session) init.headers.Authorization = 'Bearer ' + s.session.token;
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(API + path, init);
    } catch (e) {
      return { ok: false, status: 0, error: { code: 'network' } };
    }
    let data = null;
    if (res.status !== 204 && res.status !== 202) { try { data = await res.json(); } catch (e) { /* empty */ } }
    if (res.ok) return { ok: true, status: res.status, data };
    const error = (data && data.error) || { code: res.status >= 500 ? 'unavailable' : 'network' };
    if (res.status === 401 && s.session) {
      signedOut(MESSAGES.unauthorized, 'error');
    }
    return { ok: false, status: res.status, error };
  }

  /* ---------- views ---------- */

  function say(text, kind) {
    el.msg.textContent = text || '';
    el.msg.setAttribute('data-kind', kind || 'info');
  }

  function show(view, title) {
    for (const name of ['signin', 'list', 'move']) el[name].hidden = name !== view;
    el.title.textContent = title;
    root.setAttribute('data-view', view);
  }

  function busy(button, on) {
    button.disabled = on;
    if (on) button.setAttribute('aria-busy', 'true'); else button.removeAttribute('aria-busy');
  }

  /* ---------- sign in ---------- */

  function signedOut(text, kind) {
    stopMove(false);
    saveSession(null);
    s.appointments = [];
    el.codeForm.hidden = true;
    el.emailForm.hidden = false;
    show('signin', 'Sign in with your email');
    say(text, kind);
  }

  async function requestCode(email) {
    busy(el.send, true);
    busy(el.resend, true);
    const r = await call('POST', '/auth/otp', { email });
    busy(el.send, false);
    busy(el.resend, false);
    if (!r.ok) {
      const bad = r.error.code === 'validation_error';
      say(bad ? 'Please enter a valid email address.' : human(r.error), 'error');
      return;
    }
    s.email = email;
    el.sentTo.textContent = email;
    el.emailForm.hidden = true;
    el.codeForm.hidden = false;
    el.code.value = '';
    say('Check your inbox for your six-digit code.', 'ok');
    el.code.focus();
  }

  el.emailForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const email = el.email.value.trim();
    if (!email || !email.includes('@')) {
      say('Please enter a valid email address.', 'error');
      el.email.focus();
      return;
    }
    requestCode(email);
  });
  el.resend.addEventListener('click', () => requestCode(s.email));
  el.restart.addEventListener('click', () => {
    el.codeForm.hidden = true;
    el.emailForm.hidden = false;
    say('');
    el.email.focus();
  });

  el.codeForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const code = el.code.value.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(code)) { say('The code has six digits.', 'error'); el.code.focus(); return; }
    busy(el.verify, true);
    const r = await call('POST', '/auth/verify', { email: s.email, code });
    busy(el.verify, false);
    if (!r.ok) {
      const wrong = 'That code is wrong or has expired. Try again, or ask for a new code.';
      say(r.status === 401 ? wrong : human(r.error), 'error');
      el.code.select();
      return;
    }
    saveSession({ token: r.data.token, expires_at: r.data.expires_at, email: s.email });
    say('');
    openList();
  });

  el.logout.addEventListener('click', async () => {
    await call('POST', '/auth/logout');
    signedOut('You are signed out.', 'ok');
  });

  /* ---------- the list ---------- */

  async function openList(text, kind) {
    stopMove(true);
    show('list', 'Your appointments');
    el.who.textContent = s.session.email;
    say(text, kind);
    await loadList();
  }

  async function loadList() {
    el.items.setAttribute('aria-busy', 'true');
    const r = await call('GET', '/me/appointments' + (el.past.checked ? '' : '?upcoming=true'));
    el.items.removeAttribute('aria-busy');
    if (!r.ok) { if (s.session) say(human(r.error), 'error'); return; }
    s.appointments = r.data;
    renderList();
  }
  el.past.addEventListener('change', loadList);

  function changeable(a) { return a.status === 'confirmed' && Date.parse(a.start) > Date.now(); }

  function renderList() {
    const shown = s.appointments.filter((a) => el.past.checked || a.status !== 'cancelled');
    if (!shown.length) {
      el.items.replaceChildren(h('li', { class: 'ae-empty', text: 'You have no upcoming appointments.' }));
      return;
    }
    el.items.replaceChildren(...shown.map(item));
  }

  function item(a) {
    const past = Date.parse(a.end) <= Date.now();
    const actions = h('div', { class: 'm-actions' });
    if (changeable(a) && s.confirming === a.reference) {
      actions.append(
        h('p', { class: 'm-confirm-text', text: 'Cancel this appointment?' }),
        h('button', { class: 'ae-btn ae-btn-secondary', type: 'button', text: 'Keep it',
          on: { click: () => { s.confirming = null; renderList(); } } }),
        h('button', {
          class: 'ae-btn ae-btn-danger', type: 'button', text: 'Yes, cancel it', 'data-action': 'confirm-cancel',
          on: { click: (e) => cancel(a, e.currentTarget) } }));
    } else if (changeable(a)) {
      actions.append(
        h('button', {
          class: 'ae-btn ae-btn-secondary', type: 'button', text: 'Change time', 'data-action': 'reschedule',
          'aria-label': `Change time, ${a.reference}`, on: { click: () => openMove(a) } }),
        h('button', { class: 'ae-btn ae-btn-danger', type: 'button', text: 'Cancel', 'data-action': 'cancel',
          'aria-label': `Cancel ${a.reference}`, on: { click: () => { s.confirming = a.reference; renderList(); } } }));
    }
    return h('li', { class: 'm-item', 'data-reference': a.reference, 'data-status': a.status, 'data-past': past }, [
      h('div', { class: 'm-item-head' }, [
        h('span', { class: 'm-item-what', text: `${a.service_name} with ${a.employee_name}` }),
        h('span', { class: 'm-badge', 'data-status': a.status, text: a.status.replace('_', ' ') }),
      ]),
      h('p', { class: 'm-item-when', text: when(a) }),
      h('p', { class: 'm-item-ref', text: a.reference }),
      actions.childElementCount ? actions : null,
    ]);
  }

  async function cancel(a, button) {
    busy(button, true);
    const r = await call('POST', `/appointments/${encodeURIComponent(a.reference)}/cancel`, undefined,
      { 'Idempotency-Key': uuid() });
    s.confirming = null;
    if (!s.session) return;
    if (!r.ok) { say(human(r.error), 'error'); await loadList(); return; }
    say(`${a.reference} on ${when(a)} is cancelled. The time is free for others again.`, 'ok');
    await loadList();
  }

  /* ---------- moving an appointment ---------- */

  async function openMove(a) {
    s.confirming = null;
    const today = isoDay(new Date());
    const start = a.date >= today && a.date < addDays(today, WINDOW) ? today : a.date;
    s.mv = { apt: a, employeeId: a.employee_id, start, date: null, times: new Map(), version: null, interval: 5,
      pick: null, hold: false, ttl: 0 };
    show('move', 'Pick a new time');
    say('');
    el.current.replaceChildren(...[['Now', when(a)], ['Service', a.service_name], ['Reference', a.reference]].map(
      ([k, v]) => h('div', {}, [h('dt', { text: k }), h('dd', { text: v })])));
    el.confirm.disabled = true;
    el.confirm.textContent = 'Pick a new time';
    el.slots.replaceChildren();
    el.staff.replaceChildren(h('option', { value: a.employee_id, text: a.employee_name }));
    const staff = await call('GET', '/staff?' + new URLSearchParams({ service_id: a.service_id }));
    if (staff.ok && s.mv && s.mv.apt === a) {
      el.staff.replaceChildren(...staff.data.map(
        (e) => h('option', { value: e.id, text: e.name, selected: e.id === a.employee_id })));
    }
    await loadDays(a.date);
  }

  el.staff.addEventListener('change', async () => {
    if (!s.mv) return;
    await dropPick();
    s.mv.employeeId = Number(el.staff.value);
    await loadDays(s.mv.date);
  });
  el.earlier.addEventListener('click', () => shiftWindow(-WINDOW));
  el.later.addEventListener('click', () => shiftWindow(WINDOW));

  async function shiftWindow(n) {
    if (!s.mv) return;
    const today = isoDay(new Date());
    const start = addDays(s.mv.start, n);
    s.mv.start = start < today ? today : start;
    await loadDays(null);
  }

  /** Draw the date strip with each day's free count; open `prefer` or the first day with room. */
  async function loadDays(prefer) {
    const mv = s.mv;
    const last = addDays(mv.start, WINDOW - 1);
    el.earlier.disabled = mv.start <= isoDay(new Date());
    const r = await call('GET', '/availability/days?' + new URLSearchParams(
      { from: mv.start, to: last, service_id: mv.apt.service_id, employee_id: mv.employeeId }));
    if (s.mv !== mv) return;
    if (!r.ok) { say(human(r.error), 'error'); return; }
    const free = new Map(r.data.days.map((d) => [d.date, d.free]));
    el.days.replaceChildren(...r.data.days.map((d) => {
      const day = parseDay(d.date);
      return h('button', { class: 'ae-btn ae-day', type: 'button', 'data-date': d.date, disabled: d.free === 0,
        'aria-pressed': 'false', on: { click: () => pickDay(d.date) } }, [
        // The accessible name starts with the visible text (WCAG 2.5.3): "Mon 30 Nov, 5 free".
        h('span', { class: 'ae-day-wd', text: day.toLocaleDateString(undefined, { weekday: 'short' }) }), ' ',
        h('span', { class: 'ae-day-n', text: String(day.getDate()) }), ' ',
        h('span', { class: 'ae-day-m', text: day.toLocaleDateString(undefined, { month: 'short' }) }),
        h('span', { class: 'ae-vh', text: `, ${d.free} free` }),
      ]);
    }));
    const open = prefer && free.has(prefer) ? prefer : (r.data.days.find((d) => d.free > 0) || {}).date;
    if (open) await pickDay(open);
    else el.slots.replaceChildren(h('p', { class: 'ae-empty', text: 'No free times in these days. Try later dates.' }));
  }

  async function pickDay(date) {
    const mv = s.mv;
    if (!mv) return;
    if (mv.date !== date) await dropPick();
    mv.date = date;
    mv.version = null;
    for (const b of el.days.children) b.setAttribute('aria-pressed', String(b.getAttribute('data-date') === date));
    el.slots.replaceChildren(h('p', { class: 'ae-empty', text: 'Loading times…' }));
    const seq = ++s.seq;
    const r = await call('GET', '/availability?' + new URLSearchParams(
      { date, employee_id: mv.employeeId, service_id: mv.apt.service_id, client_id: cid }));
    if (seq !== s.seq || s.mv !== mv) return;
    if (!r.ok) { el.slots.replaceChildren(h('p', { class: 'ae-empty', text: human(r.error) })); return; }
    const vz = zoneOf(mv.apt);
    el.tz.textContent = r.data.timezone === vz ? `Times are in ${zoneName(vz)}.`
      : `Times are in ${zoneName(vz)}; the business is in ${zoneName(r.data.timezone)}.`;
    mv.times = new Map(r.data.slots.map((x) => [x.time, { status: x.status, start: x.start }]));
    paint();
    poll(false);
  }

  /** Is this slot the appointment's own current time (shown as "Now", not "Booked")? */
  function isCurrent(t) {
    const mv = s.mv;
    return mv.date === mv.apt.date && mv.employeeId === mv.apt.employee_id && t === mv.apt.time;
  }

  function paint() {
    const mv = s.mv;
    if (!mv.times.size) {
      el.slots.replaceChildren(h('p', { class: 'ae-empty', text: 'No times left on this day.' }));
      return;
    }
    const buttons = [];
    for (const [t, v] of mv.times) {
      const st = isCurrent(t) ? 'current' : v.status;
      buttons.push(h('button', { class: 'ae-btn ae-slot', type: 'button', 'data-time': t, 'data-status': st,
        disabled: st === 'booked' || st === 'current', 'aria-pressed': String(st === 'mine'),
        on: { click: () => choose(t) } }, [
        h('span', { class: 'ae-slot-time', text: slotText(t, v) }), ' ',
        // only exceptions are labelled
        h('span', { class: 'ae-slot-state', text: st === 'available' ? '' : STATES[st] || st }),
      ]));
    }
    el.slots.replaceChildren(...buttons);
    const mine = mv.pick && mv.times.get(mv.pick);
    el.confirm.disabled = !(mine && mine.status === 'mine');
    el.confirm.textContent = el.confirm.disabled ? 'Pick a new time'
      : `Move to ${fmt(mine.start, LONG, zoneOf(mv.apt))}, ${fmt(mine.start, HM, zoneOf(mv.apt))}`;
  }

  /** A slot's range in the appointment's zone, with its date when that zone puts it on another day than `mv.date`. */
  function slotText(t, v) {
    const mv = s.mv;
    const vz = zoneOf(mv.apt);
    if (!v.start) return t;
    const end = Date.parse(v.start) + (Date.parse(mv.apt.end) - Date.parse(mv.apt.start));
    const range = fmt(v.start, HM, vz, end);
    return dayIn(v.start, vz) === mv.date ? range : `${range} (${fmt(v.start, SHORT, vz)})`;
  }

  /** Select a time: a short hold other visitors see as "Choosing", renewed by our heartbeat. */
  async function choose(t) {
    const mv = s.mv;
    const v = mv.times.get(t);
    if (!v || v.status === 'mine') return;
    const r = await call('POST', '/slots/select', { date: mv.date, time: t, employee_id: mv.employeeId,
      service_id: mv.apt.service_id, client_id: cid });
    if (s.mv !== mv) return;
    if (!r.ok) {
      say(human(r.error), 'error');
      mv.version = null;
      poll(true);
      return;
    }
    for (const x of mv.times.values()) if (x.status === 'mine') x.status = 'available';
    v.status = 'mine';
    mv.pick = t;
    mv.hold = true;
    mv.ttl = r.data.ttl_seconds || 10;
    say('');
    paint();
    poll(false);
  }

  /** Give the picked time back (Back, another day or staff member). */
  async function dropPick() {
    const mv = s.mv;
    if (!mv || !mv.hold) return;
    mv.hold = false;
    const body = { date: mv.date, time: mv.pick, employee_id: mv.employeeId, client_id: cid };
    mv.pick = null;
    await call('POST', '/slots/release', body);
  }

  el.confirm.addEventListener('click', async () => {
    const mv = s.mv;
    if (!mv || !mv.pick) return;
    busy(el.confirm, true);
    const r = await call('POST', `/appointments/${encodeURIComponent(mv.apt.reference)}/reschedule`,
      { date: mv.date, time: mv.pick, employee_id: mv.employeeId, client_id: cid }, { 'Idempotency-Key': uuid() });
    busy(el.confirm, false);
    if (!s.session || s.mv !== mv) return;
    if (!r.ok) {
      say(human(r.error), 'error');
      mv.hold = false;
      mv.pick = null;
      mv.version = null;
      poll(true);
      return;
    }
    mv.hold = false;  // the server released our selection with the move
    openList(`Done: ${r.data.reference} is now on ${when(r.data)}.`, 'ok');
  });

  el.back.addEventListener('click', () => openList());

  function stopMove(release) {
    clearTimeout(s.timer);
    s.timer = 0;
    if (release) dropPick();
    s.mv = null;
    el.conn.hidden = true;
  }

  /* ---------- live states: the heartbeat ---------- */

  function poll(now) {
    clearTimeout(s.timer);
    const mv = s.mv;
    if (!mv || !mv.date || document.hidden) return;
    // Holding a selection: renew it within half its TTL even when the interval is longer.
    const wait = mv.hold ? Math.min(mv.interval, mv.ttl / 2) : mv.interval;
    s.timer = setTimeout(beat, now ? 0 : (s.fails ? Math.min(60, 5 * 2 ** (s.fails - 1)) : wait) * 1000);
  }

  async function beat() {
    const mv = s.mv;
    if (!mv || !mv.date) return;
    const seq = s.seq;
    const body = { date: mv.date, employee_id: mv.employeeId, client_id: cid, service_id: mv.apt.service_id };
    if (mv.hold) body.selected_time = mv.pick;
    if (mv.version) body.known_version = mv.version;
    const r = await call('POST', '/heartbeat', body);
    if (s.mv !== mv || seq !== s.seq) return;
    if (!r.ok) {
      s.fails++;
      el.conn.hidden = !(r.status === 0 || r.status >= 500);
      poll(false);
      return;
    }
    s.fails = 0;
    el.conn.hidden = true;
    const d = r.data;
    mv.interval = Math.max(1, Number(d.interval_seconds) || 5);
    mv.version = d.version;
    if (d.changed !== false) apply(mv, d);
    poll(false);
  }

  function apply(mv, d) {
    const now = Date.parse(d.server_time);
    const mine = d.mine && d.mine.time;
    const stateOf = slotStateReader(d, mine); // slot-states.js, bundled in front of this file
    for (const [t, v] of mv.times) {
      if (v.start && Date.parse(v.start) <= now) { mv.times.delete(t); continue; }
      v.status = stateOf(t);
    }
    if (mv.hold && mine !== mv.pick) {  // our selection lapsed or the time was taken
      mv.hold = false;
      const taken = mv.times.get(mv.pick);
      if (taken && taken.status !== 'available') say(MESSAGES.slot_taken, 'error');
      mv.pick = null;
    }
    paint();
  }

  document.addEventListener('visibilitychange', () => { if (!document.hidden && s.mv) poll(true); });
  window.addEventListener('pagehide', () => {
    const mv = s.mv;
    if (mv && mv.hold) {
      const body = JSON.stringify({ date: mv.date, time: mv.pick, employee_id: mv.employeeId, client_id: cid });
      fetch(API + '/slots/release', { method: 'POST', keepalive: true, credentials: 'omit',
        headers: { 'Content-Type': 'application/json' }, body }).catch(() => {});
    }
  });

  /* ---------- start ---------- */

  s.session = loadSession();
  if (s.session) openList();
  else {
    const hinted = new URLSearchParams(location.search).get('email');
    if (hinted) el.email.value = hinted;
    show('signin', 'Sign in with your email');
  }
}());
