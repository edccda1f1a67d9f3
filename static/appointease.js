/* AppointEase booking widget: embeddable, framework-free, no build step (ES2020).
 *
 * Embed:
 *   <div data-appointease data-api="https://host/api/v1"></div>
 *   <script src="https://host/static/appointease.js" defer></script>
 *
 * Every [data-appointease] element becomes an independent widget. Live slot states come
 * from polling POST /heartbeat (SPEC §1, §4 "Public"); no sockets are used.
 */
(() => {
  'use strict';
  if (window.AppointEase) { window.AppointEase.init(); return; }

  const script = document.currentScript ||
    [...document.querySelectorAll('script[src]')].find((el) => /appointease[^/]*\.js/.test(el.src));
  const scriptSrc = script ? script.src : location.href;

  const STEPS = ['service', 'staff', 'date', 'time', 'details', 'review', 'done'];
  const POLLED = ['time', 'details', 'review'];
  const TITLES = {
    service: 'Choose a service', staff: 'Who would you like to see?', date: 'Pick a day',
    time: 'Pick a time', details: 'Your details', review: 'Review and confirm', done: 'You’re booked',
  };
  // [visible label, spoken description] per slot state (SPEC §1 plus "mine").
  const STATES = {
    available: ['free', 'available'],
    processing: ['in use', 'being selected by another visitor'],
    locked: ['held', 'held by another visitor who is confirming'],
    booked: ['booked', 'already booked'],
    mine: ['yours', 'your selection'],
  };
  // When several staff share a time ("Any available"), the friendliest state wins.
  const RANK = { mine: 0, available: 1, processing: 2, locked: 3, booked: 4 };
  const TAKEN = 'That time was just booked by someone else. Please choose another time.';
  const MESSAGES = {
    slot_taken: TAKEN,
    slot_held: 'Someone else is booking that time right now. Please choose another time.',
    past_time: 'That time is too soon or has already passed. Please choose a later time.',
    outside_hours: 'That time is no longer offered. Please choose another time.',
    too_far_ahead: 'That date is too far ahead to book online. Please choose an earlier date.',
    not_found: 'That service or staff member is no longer available. Please start again.',
    rate_limited: 'Too many requests. Please wait a moment and try again.',
    unavailable: 'Booking is briefly unavailable. Please try again in a moment.',
    network: 'We couldn’t reach the booking service. Check your connection and try again.',
    server: 'The booking service had a problem. Please try again.',
  };
  const TIME_ERRORS = ['slot_taken', 'slot_held', 'past_time', 'outside_hours', 'too_far_ahead'];
  const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

  const human = (err) => MESSAGES[err.code] || err.message || 'Something went wrong. Please try again.';
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  const pad = (n) => String(n).padStart(2, '0');
  const isoDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const toDate = (iso) => { const [y, m, d] = iso.split('-').map(Number); return new Date(y, m - 1, d); };
  const fmtDate = (iso, opts) => toDate(iso).toLocaleDateString(undefined, opts ||
    { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

  /** Return a random UUID4; crypto.randomUUID needs a secure context, so fall back. */
  function uuid() {
    if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  }

  /** Return this page session's client id; extra widgets on one page get their own. */
  function clientId(n) {
    const key = 'appointease.client_id' + (n ? '.' + n : '');
    try {
      let id = sessionStorage.getItem(key);
      if (!id) { id = uuid(); sessionStorage.setItem(key, id); }
      return id;
    } catch (e) { return uuid(); } // storage blocked (privacy mode, sandboxed iframe)
  }

  /** Create an element: h('button', {class, text, onclick, 'data-x': 1}, ...children). */
  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'value') el.value = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const kid of kids.flat()) if (kid != null && kid !== false) el.append(kid);
    return el;
  }

  /** Add the stylesheet next to the script unless the page already links it. */
  function ensureStylesheet() {
    if (!script || document.querySelector('link[href*="appointease"][href*=".css"],link[data-ae-css]')) return;
    document.head.append(h('link', { rel: 'stylesheet', href: new URL('appointease.css', scriptSrc).href, 'data-ae-css': true }));
  }

  class Widget {
    constructor(root, n) {
      this.root = root;
      this.uid = 'ae' + n;
      const api = root.getAttribute('data-api') || new URL(scriptSrc).origin + '/api/v1';
      this.api = new URL(api, location.href).href.replace(/\/+$/, '');
      this.cid = clientId(n);
      this.s = this.fresh();
      this.services = null;
      this.staffCache = {};
      this.maps = new Map(); // employee id -> Map(time -> {status, start})
      this.loadedKey = '';
      this.version = null;
      this.interval = 5;
      this.delay = 5;
      this.selTtl = 0; // the selection's TTL (from /slots/select): polls renew it before it lapses
      this.fails = 0;
      this.timer = 0;
      this.seq = 0; // bumped by every own hold change; stale poll answers are ignored
      this.pending = false;

      const bar = h('span', { class: 'ae-bar' });
      this.progress = h('div', { class: 'ae-progress', 'aria-hidden': 'true' }, bar);
      this.bar = bar;
      this.stepNo = h('p', { class: 'ae-stepno' });
      this.title = h('h2', { class: 'ae-title', tabindex: '-1', id: this.uid + '-title' });
      this.conn = h('div', { class: 'ae-conn', role: 'status', hidden: true });
      this.msg = h('div', { class: 'ae-msg', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
      this.body = h('div', { class: 'ae-body' });
      this.back = h('button', { type: 'button', class: 'ae-btn ae-btn-secondary', 'data-action': 'back', text: 'Back', onclick: () => this.goBack() });
      this.next = h('button', { type: 'button', class: 'ae-btn ae-btn-primary', 'data-action': 'next', onclick: () => this.goNext() });
      root.classList.add('ae');
      root.setAttribute('role', 'region');
      root.setAttribute('aria-labelledby', this.title.id);
      root.setAttribute('data-connection', 'ok');
      root.replaceChildren(
        h('div', { class: 'ae-head' }, this.stepNo, this.title, this.progress),
        this.conn, this.msg, this.body, h('div', { class: 'ae-nav' }, this.back, this.next));

      document.addEventListener('visibilitychange', () => (document.hidden ? this.stopPolling() : this.poll(true)));
      // Leaving the page releases the hold; bfcache restores re-acquire it via check().
      window.addEventListener('pagehide', () => this.release(true));
      window.addEventListener('pageshow', (e) => e.persisted && this.poll(true));
      this.go('service', { focus: false });
    }

    fresh() {
      return { step: 'service', serviceId: null, employeeId: null, date: null, time: null, assigned: null, hold: null,
        tz: '', details: { name: '', email: '', phone: '', notes: '' }, errors: {}, lockTtl: 0, booking: null };
    }

    /* ---------- HTTP ---------- */

    /** Call the API; resolve {ok, status, data} or {ok:false, status, error, retryAfter}, never throw. */
    async call(method, path, body, headers, extra) {
      const init = { method, mode: 'cors', credentials: 'omit', headers: { Accept: 'application/json', ...headers }, ...extra };
      if (body !== undefined) {
        init.headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
      }
      let res;
      try { res = await fetch(this.api + path, init); } catch (e) {
        return { ok: false, status: 0, error: { code: 'network' } };
      }
      let data = null;
      if (res.status !== 204) { try { data = await res.json(); } catch (e) { /* not JSON */ } }
      if (res.ok) return { ok: true, status: res.status, data };
      const error = (data && data.error) || { code: res.status >= 500 ? 'server' : 'http_' + res.status };
      return { ok: false, status: res.status, error, retryAfter: Number(res.headers.get('Retry-After')) || 0 };
    }

    async get(path, params) {
      const r = await this.call('GET', path + '?' + new URLSearchParams(params));
      if (!r.ok) throw r;
      return r.data;
    }

    holdBody(time, employeeId) {
      const s = this.s;
      return { date: s.date, time, employee_id: employeeId, service_id: s.serviceId, client_id: this.cid };
    }

    /* ---------- navigation ---------- */

    say(text, kind) {
      this.msg.textContent = text || '';
      this.msg.setAttribute('data-kind', kind || 'info');
    }

    /** Show a step: render its body, update the nav, start or stop polling. */
    go(step, opts = {}) {
      const s = this.s;
      s.step = step;
      this.token = {};
      const i = STEPS.indexOf(step);
      this.root.setAttribute('data-step', step);
      this.title.textContent = TITLES[step];
      this.stepNo.textContent = step === 'done' ? 'Booking complete' : `Step ${i + 1} of 6`;
      this.bar.style.width = `${Math.round(Math.min(1, (i + 1) / 6) * 100)}%`;
      this.say(opts.msg, opts.kind);
      this.grid = null;
      this.body.replaceChildren();
      this.body.removeAttribute('aria-busy');
      this[step]();
      this.nav();
      if (opts.focus !== false) this.title.focus();
      this.stopPolling();
      if (POLLED.includes(step)) this.poll(true);
    }

    nav() {
      const s = this.s;
      const ready = { service: s.serviceId != null, staff: s.employeeId != null, date: !!s.date, time: !!s.time && !!s.hold };
      const labels = { details: 'Review booking', review: 'Confirm booking', done: 'Book another appointment' };
      const action = { review: 'confirm', done: 'restart' }[s.step] || 'next';
      this.back.hidden = s.step === 'service' || s.step === 'done';
      this.back.disabled = this.pending;
      this.next.textContent = labels[s.step] || 'Next';
      this.next.setAttribute('data-action', action);
      this.next.disabled = this.pending || (s.step in ready && !ready[s.step]);
    }

    goBack() {
      const s = this.s;
      if (this.pending) return;
      if (s.step === 'review') this.release(false); // leaving review gives the lock back
      this.go(STEPS[STEPS.indexOf(s.step) - 1]);
    }

    goNext() {
      const s = this.s;
      if (s.step === 'details') return this.toReview();
      if (s.step === 'review') return this.confirm();
      if (s.step === 'done') { this.s = this.fresh(); this.loadedKey = ''; return this.go('service'); }
      this.go(STEPS[STEPS.indexOf(s.step) + 1]);
    }

    /** Run an async loader for the current step; show a retry button if it fails. */
    async load(fn) {
      const token = this.token;
      this.body.setAttribute('aria-busy', 'true');
      this.body.append(h('p', { class: 'ae-loading', text: 'Loading…' }));
      try {
        const nodes = await fn();
        if (token !== this.token) return;
        this.body.replaceChildren(...[].concat(nodes));
      } catch (r) {
        if (token !== this.token) return;
        this.body.replaceChildren(h('p', { class: 'ae-error', text: human(r.error || {}) }),
          h('button', { type: 'button', class: 'ae-btn ae-btn-secondary', 'data-action': 'retry', text: 'Try again', onclick: () => this.go(this.s.step) }));
      }
      this.body.removeAttribute('aria-busy');
      this.nav();
    }

    choice(attrs, pressed, name, meta, onclick) {
      return h('button', { type: 'button', class: 'ae-choice', 'aria-pressed': String(pressed), onclick, ...attrs },
        h('span', { class: 'ae-choice-name', text: name }), meta && h('span', { class: 'ae-choice-meta', text: meta }));
    }

    /** Forget the chosen time (and give its hold back) after an earlier choice changed. */
    resetTime() {
      this.release(false);
      this.s.time = null;
      if (this.s.employeeId === 'any') this.s.assigned = null;
    }

    /* ---------- steps ---------- */

    service() {
      this.load(async () => {
        this.services = this.services || await this.get('/services', {});
        if (!this.services.length) return h('p', { class: 'ae-empty', text: 'No services can be booked online right now.' });
        return h('div', { class: 'ae-list' }, this.services.map((v) => this.choice(
          { 'data-service-id': v.id }, v.id === this.s.serviceId, v.name,
          `${v.duration_minutes} min${v.price ? ' · ' + v.price : ''}`,
          () => {
            if (v.id !== this.s.serviceId) { this.resetTime(); this.s.serviceId = v.id; this.s.employeeId = null; }
            this.go('staff');
          })));
      });
    }

    staffList() { return this.staffCache[this.s.serviceId] || []; }

    staff() {
      this.load(async () => {
        const id = this.s.serviceId;
        this.staffCache[id] = this.staffCache[id] || await this.get('/staff', { service_id: id });
        const list = this.staffList();
        if (!list.length) return h('p', { class: 'ae-empty', text: 'Nobody offers this service right now.' });
        const pick = (eid) => () => {
          if (eid !== this.s.employeeId) {
            this.resetTime();
            this.s.employeeId = eid;
            this.s.assigned = eid === 'any' ? null : eid;
          }
          this.go('date');
        };
        return h('div', { class: 'ae-list' },
          this.choice({ 'data-employee-id': 'any' }, this.s.employeeId === 'any', 'Any available', 'First free staff member', pick('any')),
          list.map((e) => this.choice({ 'data-employee-id': e.id }, e.id === this.s.employeeId, e.name, '', pick(e.id))));
      });
    }

    date() {
      const s = this.s;
      const today = new Date();
      const pickDate = (d) => {
        if (d !== s.date) { this.resetTime(); s.date = d; }
        this.go('time');
      };
      const days = [];
      for (let i = 0; i < 14; i++) {
        const d = new Date(today.getFullYear(), today.getMonth(), today.getDate() + i);
        const iso = isoDay(d);
        days.push(h('button', {
          type: 'button', class: 'ae-day', 'data-date': iso, 'aria-pressed': String(iso === s.date),
          'aria-label': (i === 0 ? 'Today, ' : '') + fmtDate(iso), onclick: () => pickDate(iso),
        }, h('span', { class: 'ae-day-wd', text: d.toLocaleDateString(undefined, { weekday: 'short' }) }),
        h('span', { class: 'ae-day-n', text: d.getDate() }),
        h('span', { class: 'ae-day-m', text: d.toLocaleDateString(undefined, { month: 'short' }) })));
      }
      const input = h('input', { type: 'date', id: this.uid + '-date', name: 'date', min: isoDay(today), value: s.date || '' });
      input.addEventListener('change', () => input.value && input.value >= input.min && pickDate(input.value));
      this.body.append(h('div', { class: 'ae-days' }, days),
        h('p', { class: 'ae-other' }, h('label', { for: input.id, text: 'Another date ' }), input));
    }

    time() {
      const s = this.s;
      const who = s.employeeId === 'any' ? 'any available staff member' : (this.staffList().find((e) => e.id === s.employeeId) || {}).name;
      this.grid = h('div', { class: 'ae-slots', role: 'group', 'aria-label': 'Available times' });
      this.tzNote = h('p', { class: 'ae-tz' });
      this.body.append(h('p', { class: 'ae-context', text: `${fmtDate(s.date)}${who ? ' · ' + who : ''}` }), this.tzNote, this.grid,
        h('ul', { class: 'ae-legend', 'aria-label': 'Key' }, Object.keys(STATES).map((k) =>
          h('li', {}, h('span', { class: 'ae-swatch ae-s-' + k }), STATES[k][0]))));
      if (this.loadedKey === this.key()) this.paint();
      else this.grid.append(h('p', { class: 'ae-loading', text: 'Loading times…' }));
    }

    field(name, label, type, opts = {}) {
      const s = this.s;
      const id = `${this.uid}-${name}`;
      const err = s.errors[name];
      const input = h(type === 'textarea' ? 'textarea' : 'input', {
        id, name, type: type === 'textarea' ? null : type, value: s.details[name], autocomplete: opts.ac,
        required: opts.required, rows: type === 'textarea' ? 3 : null, maxlength: opts.max,
        'aria-invalid': err ? 'true' : null, 'aria-describedby': err ? id + '-err' : null,
      });
      input.addEventListener('input', () => { s.details[name] = input.value; });
      return h('div', { class: 'ae-field', 'data-field': name },
        h('label', { for: id }, label, opts.required ? h('span', { class: 'ae-req', text: ' (required)' }) : h('span', { class: 'ae-opt', text: ' (optional)' })),
        input, err && h('p', { class: 'ae-field-error', id: id + '-err', text: err }));
    }

    details() {
      const form = h('form', { class: 'ae-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); this.toReview(); } },
        this.field('name', 'Name', 'text', { required: true, ac: 'name', max: 200 }),
        this.field('email', 'Email', 'email', { required: true, ac: 'email', max: 254 }),
        this.field('phone', 'Phone', 'tel', { ac: 'tel', max: 40 }),
        this.field('notes', 'Notes', 'textarea', { max: 2000 }),
        h('button', { type: 'submit', hidden: true, tabindex: '-1' }));
      this.body.append(this.summary(false), form);
    }

    summary(full) {
      const s = this.s;
      const svc = (this.services || []).find((v) => v.id === s.serviceId) || {};
      const person = (this.staffList().find((e) => e.id === s.assigned) || {}).name || '';
      const rows = [
        ['Service', svc.name + (svc.duration_minutes ? ` (${svc.duration_minutes} min)` : '')],
        ['With', person + (s.employeeId === 'any' ? ' (first available)' : '')],
        ['Date', fmtDate(s.date)], ['Time', s.time + (s.tz ? ` (${s.tz})` : '')],
      ];
      if (full) {
        rows.push(['Name', s.details.name], ['Email', s.details.email]);
        if (s.details.phone.trim()) rows.push(['Phone', s.details.phone]);
        if (s.details.notes.trim()) rows.push(['Notes', s.details.notes]);
        if (svc.price) rows.push(['Price', svc.price]);
      }
      return h('dl', { class: 'ae-summary' }, rows.map(([k, v]) => h('div', {}, h('dt', { text: k }), h('dd', { text: v }))));
    }

    review() {
      const mins = Math.round((this.s.lockTtl || 600) / 60);
      this.body.append(this.summary(true),
        h('p', { class: 'ae-note', text: `We’re holding this time for you for ${mins} minutes.` }));
    }

    done() {
      const b = this.s.booking;
      this.body.append(h('div', { class: 'ae-done' },
        h('p', { text: 'Your appointment is confirmed. Your booking reference is' }),
        h('p', { class: 'ae-reference', 'data-reference': b.reference, text: b.reference }),
        h('p', { class: 'ae-note', text: 'Please keep it: you’ll need it to change or cancel the appointment.' })),
      this.summary(true));
    }

    /* ---------- holds ---------- */

    /** Select a time: POST /slots/select with the first staff member free then. */
    async pickTime(time) {
      const s = this.s;
      if (this.pending || (time === s.time && this.statusOf(s.assigned, time) === 'mine')) return;
      let ids = this.candidates(time, ['mine', 'available']);
      if (!ids.length) ids = this.candidates(time, ['processing', 'locked']); // may have just expired
      this.busy(true);
      let r = { ok: false, error: {} };
      for (const id of ids) {
        r = await this.call('POST', '/slots/select', this.holdBody(time, id));
        if (r.ok || r.status !== 409) {
          if (r.ok) this.held(time, id, 'selection');
          break;
        }
        this.setStatus(id, time, r.error.code === 'slot_taken' ? 'booked' : 'processing');
      }
      this.busy(false);
      if (r.ok) {
        this.selTtl = Number(r.data && r.data.ttl_seconds) || 0;
        this.poll();
        this.say(`${time} is reserved for you while you book. Press Next to continue.`, 'ok');
      } else {
        this.say(human(r.error), 'error');
        if (r.status === 409 || r.status === 422) this.poll(true);
      }
      this.paint();
      this.nav();
    }

    /** Record an own hold locally (the next poll confirms it). */
    held(time, id, kind) {
      const s = this.s;
      for (const m of this.maps.values()) for (const v of m.values()) if (v.status === 'mine') v.status = 'available';
      s.time = time; s.assigned = id; s.hold = kind;
      this.setStatus(id, time, 'mine');
      this.version = null;
    }

    busy(on) {
      this.pending = on;
      this.seq++;
      this.root.toggleAttribute('aria-busy', on);
      this.nav();
    }

    /** Give back the hold on the chosen time (POST /slots/release, 204, idempotent). */
    release(leaving) {
      const s = this.s;
      if (!s.time || s.assigned == null || !s.hold || s.step === 'done') return;
      const body = JSON.stringify({ date: s.date, time: s.time, employee_id: s.assigned, client_id: this.cid });
      const url = this.api + '/slots/release';
      try {
        fetch(url, { method: 'POST', mode: 'cors', credentials: 'omit', keepalive: true, headers: { 'Content-Type': 'application/json' }, body }).catch(() => {});
      } catch (e) {
        if (navigator.sendBeacon) navigator.sendBeacon(url, new Blob([body], { type: 'application/json' }));
      }
      this.seq++;
      this.version = null;
      if (!leaving) { // on pagehide keep the wish to hold: a bfcache restore re-acquires it
        s.hold = null;
        this.setStatus(s.assigned, s.time, 'available');
      }
    }

    /** Lock the time for the review step, then show it. */
    async toReview() {
      const s = this.s;
      if (this.pending) return;
      const d = s.details;
      s.errors = {};
      if (!d.name.trim()) s.errors.name = 'Please enter your name.';
      if (!d.email.trim()) s.errors.email = 'Please enter your email address.';
      else if (!EMAIL.test(d.email.trim())) s.errors.email = 'Please enter a valid email address, like name@example.com.';
      if (Object.keys(s.errors).length) return this.showErrors('Please check the highlighted fields.');
      this.busy(true);
      const r = await this.call('POST', '/slots/lock', this.holdBody(s.time, s.assigned));
      this.busy(false);
      if (r.ok) {
        this.held(s.time, s.assigned, 'lock');
        s.lockTtl = r.data && r.data.ttl_seconds;
        return this.go('review');
      }
      if (TIME_ERRORS.includes(r.error.code)) return this.lost(human(r.error));
      this.say(human(r.error), 'error');
    }

    showErrors(text) {
      const s = this.s;
      this.go('details', { msg: text, kind: 'error', focus: false });
      const first = this.body.querySelector('[aria-invalid="true"]');
      (first || this.title).focus();
      return s;
    }

    /** POST /appointments once per attempt; the Idempotency-Key survives retries. */
    async confirm() {
      const s = this.s;
      if (this.pending) return;
      const d = s.details;
      const body = { service_id: s.serviceId, employee_id: s.assigned, date: s.date, time: s.time,
        name: d.name.trim(), email: d.email.trim(), client_id: this.cid };
      if (d.phone.trim()) body.phone = d.phone.trim();
      if (d.notes.trim()) body.notes = d.notes.trim();
      const text = JSON.stringify(body);
      if (text !== this.keyBody) { this.key_ = uuid(); this.keyBody = text; }
      this.busy(true);
      this.next.textContent = 'Booking…';
      let r;
      for (let tries = 0; ; tries++) {
        r = await this.call('POST', '/appointments', body, { 'Idempotency-Key': this.key_ });
        if (r.ok || r.error.code !== 'idempotency_in_progress' || tries > 4) break;
        await sleep(1000 + tries * 500);
      }
      this.busy(false);
      if (r.ok) {
        s.booking = r.data;
        s.hold = null;
        this.keyBody = null;
        return this.go('done');
      }
      const e = r.error;
      if (TIME_ERRORS.includes(e.code)) return this.lost(human(e));
      if (e.code === 'validation_error' && e.fields) {
        const known = ['name', 'email', 'phone', 'notes'];
        s.errors = {};
        const other = [];
        for (const [f, m] of Object.entries(e.fields)) {
          const text = [].concat(m).join(' ');
          if (known.includes(f)) s.errors[f] = text; else other.push(text);
        }
        if (Object.keys(s.errors).length) {
          this.release(false);
          return this.showErrors(other.join(' ') || 'Please check the highlighted fields.');
        }
      }
      if (e.code === 'idempotency_key_reused') this.keyBody = null;
      this.nav();
      this.say(human(e) + (r.retryAfter ? ` (about ${r.retryAfter} s)` : ''), 'error');
    }

    /** The chosen time is gone: say so and go back to the time step with it cleared. */
    lost(text) {
      const s = this.s;
      if (s.hold) this.release(false);
      s.time = null; s.hold = null;
      if (s.employeeId === 'any') s.assigned = null;
      this.version = null;
      if (s.step === 'time') { this.say(text, 'error'); this.paint(); this.nav(); this.poll(true); }
      else this.go('time', { msg: text, kind: 'error' });
    }

    /* ---------- slot data ---------- */

    key() { const s = this.s; return `${s.serviceId}|${s.employeeId}|${s.date}`; }

    /** Staff whose slots are shown: one, or all of them for "Any available". */
    shownIds() { const s = this.s; return s.employeeId === 'any' ? this.staffList().map((e) => e.id) : [s.employeeId]; }

    statusOf(id, time) { const m = this.maps.get(id); const v = m && m.get(time); return v ? v.status : null; }

    setStatus(id, time, status) { const m = this.maps.get(id); const v = m && m.get(time); if (v) v.status = status; }

    candidates(time, states) { return this.shownIds().filter((id) => states.includes(this.statusOf(id, time))); }

    /** Union of the shown staff's slots: [[time, status]] sorted by time. */
    union() {
      const out = new Map();
      for (const id of this.shownIds()) {
        for (const [t, v] of this.maps.get(id) || []) {
          const cur = out.get(t);
          if (!cur || RANK[v.status] < RANK[cur]) out.set(t, v.status);
        }
      }
      return [...out].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    }

    /** Paint the time grid in place (buttons are reused so keyboard focus survives). */
    paint() {
      const g = this.grid;
      if (!g || !g.isConnected) return;
      const s = this.s;
      const browserTz = Intl.DateTimeFormat().resolvedOptions().timeZone;
      this.tzNote.textContent = s.tz && s.tz !== browserTz ? `Times are shown in ${s.tz}.` : '';
      const slots = this.union();
      const old = new Map([...g.querySelectorAll('.ae-slot')].map((b) => [b.dataset.time, b]));
      if (!slots.length) {
        g.replaceChildren(h('p', { class: 'ae-empty', text: 'No times are free on this day. Please go back and try another date.' }));
        return;
      }
      [...g.children].forEach((c) => !c.classList.contains('ae-slot') && c.remove());
      slots.forEach(([t, st], i) => {
        let b = old.get(t);
        old.delete(t);
        if (!b) {
          b = h('button', { type: 'button', class: 'ae-slot', 'data-time': t, onclick: () => this.pickTime(t) },
            h('span', { class: 'ae-slot-time', text: t }), h('span', { class: 'ae-sep', 'aria-hidden': 'true', text: ' · ' }),
            h('span', { class: 'ae-slot-state' }));
        }
        if (b.dataset.status !== st) {
          b.dataset.status = st;
          b.lastChild.textContent = STATES[st][0];
          b.setAttribute('aria-label', `${t}, ${STATES[st][1]}`);
          b.disabled = st === 'booked';
        }
        b.setAttribute('aria-pressed', String(st === 'mine' && t === s.time));
        if (g.children[i] !== b) g.insertBefore(b, g.children[i] || null);
      });
      old.forEach((b) => b.remove());
    }

    /* ---------- polling ---------- */

    stopPolling() { clearTimeout(this.timer); this.timer = 0; }

    /** Schedule the next poll (now, or after the current delay) when a live step is shown. */
    poll(now) {
      this.stopPolling();
      if (!POLLED.includes(this.s.step) || document.hidden || !this.root.isConnected) return;
      if (this.polling) { this.again = true; return; }
      // Holding a selection: poll (and so renew it) within half its TTL, even before the first
      // heartbeat has told us the server's interval (a TTL below the 5 s start delay lapsed).
      const wait = !this.fails && this.s.hold === 'selection' && this.selTtl ? Math.min(this.delay, this.selTtl / 2) : this.delay;
      this.timer = setTimeout(() => this.tick(), now ? 0 : wait * 1000);
    }

    async tick() {
      this.timer = 0;
      this.polling = true;
      let r;
      try { r = await this.refresh(); } finally { this.polling = false; }
      if (r && !r.ok) {
        this.fails++;
        this.delay = r.retryAfter || Math.min(60, 5 * 2 ** (this.fails - 1));
        const net = r.status === 0 || r.status >= 500;
        this.conn.hidden = !net;
        this.conn.textContent = net ? 'Reconnecting…' : '';
        this.root.setAttribute('data-connection', net ? 'reconnecting' : 'ok');
        if (!net && this.grid && this.loadedKey !== this.key()) this.grid.replaceChildren(h('p', { class: 'ae-error', text: human(r.error) }));
      } else if (r) {
        if (this.fails) { this.conn.hidden = true; this.root.setAttribute('data-connection', 'ok'); }
        this.fails = 0;
        this.delay = this.interval;
      }
      const again = this.again;
      this.again = false;
      this.poll(again);
    }

    /**
     * Fetch fresh slot states: /availability for a first look (and, for "Any available", the
     * staff not yet picked), /heartbeat for the staff member whose time is chosen.
     * Resolve {ok} or a failed call; null when the answer was stale and dropped.
     */
    async refresh() {
      const s = this.s;
      const key = this.key();
      const seq = this.seq;
      const full = this.loadedKey !== key;
      if (full) this.version = null;
      const hb = s.employeeId === 'any' ? s.assigned : s.employeeId;
      const ids = s.step === 'time' || full ? this.shownIds() : [hb];
      const calls = ids.map((id) => (!full && id === hb && id != null ? this.heartbeat(id) : this.availability(id)));
      const results = await Promise.all(calls);
      if (key !== this.key() || seq !== this.seq || !POLLED.includes(this.s.step)) return null;
      const bad = results.find((x) => !x.ok);
      if (bad) return bad;
      results.forEach((x) => x.apply());
      this.loadedKey = key;
      this.paint();
      this.check();
      this.nav();
      return { ok: true };
    }

    async availability(id) {
      const s = this.s;
      const r = await this.call('GET', '/availability?' + new URLSearchParams(
        { date: s.date, employee_id: id, service_id: s.serviceId, client_id: this.cid }));
      if (r.ok) {
        r.apply = () => {
          s.tz = r.data.timezone || s.tz;
          this.maps.set(id, new Map((r.data.slots || []).map((x) => [x.time, { status: x.status, start: x.start }])));
        };
      }
      return r;
    }

    async heartbeat(id) {
      const s = this.s;
      const body = { date: s.date, employee_id: id, client_id: this.cid, service_id: s.serviceId };
      if (s.time && s.assigned === id) body.selected_time = s.time;
      if (this.version != null) body.known_version = this.version;
      const r = await this.call('POST', '/heartbeat', body);
      if (r.ok) {
        r.apply = () => {
          const d = r.data;
          this.interval = Math.max(1, Number(d.interval_seconds) || 5);
          this.version = d.version;
          if (d.changed === false) return;
          const m = this.maps.get(id) || new Map();
          const now = Date.parse(d.server_time);
          const lists = ['booked', 'locked', 'processing'].map((k) => new Set(d[k] || []));
          const mine = d.mine && d.mine.time;
          for (const [t, v] of m) {
            if (v.start && Date.parse(v.start) <= now) { m.delete(t); continue; } // past: gone from the grid
            v.status = lists[0].has(t) ? 'booked' : t === mine ? 'mine'
              : lists[1].has(t) ? 'locked' : lists[2].has(t) ? 'processing' : 'available';
          }
          this.maps.set(id, m);
        };
      }
      return r;
    }

    /** After fresh data: has the visitor's chosen time been taken, or their hold lapsed? */
    check() {
      const s = this.s;
      if (!s.time || this.pending) return;
      const st = this.statusOf(s.assigned, s.time);
      if (st === 'mine') return;
      if (st !== 'available') return this.lost(st === null ? MESSAGES.outside_hours : TAKEN);
      // Free but not ours (the hold expired, e.g. while the tab was hidden): take it again.
      if (s.step === 'time' || s.step === 'review' || s.hold) this.reacquire(s.step === 'review' ? 'lock' : 'selection');
    }

    async reacquire(kind) {
      const s = this.s;
      const time = s.time;
      this.busy(true);
      const r = await this.call('POST', `/slots/${kind === 'lock' ? 'lock' : 'select'}`, this.holdBody(time, s.assigned));
      this.busy(false);
      if (s.time !== time) return;
      if (r.ok) { this.held(time, s.assigned, kind); this.paint(); this.nav(); } else if (TIME_ERRORS.includes(r.error.code)) this.lost(TAKEN);
    }
  }

  let count = 0;
  /** Mount widgets on every [data-appointease] element (or one element) not yet mounted. */
  function init(el) {
    ensureStylesheet();
    const roots = el ? [el] : document.querySelectorAll('div[data-appointease],section[data-appointease]');
    for (const root of roots) {
      if (!root.appointease) root.appointease = new Widget(root, count++);
    }
  }

  window.AppointEase = { init };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => init());
  else init();
})();
