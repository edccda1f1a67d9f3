/* AppointEase booking widget: embeddable, framework-free, no build step (ES2020).
 *
 * Embed:
 *   <div data-appointease data-api="https://host/api/v1"></div>
 *   <script src="https://host/static/appointease.js" defer></script>
 *
 * Every [data-appointease] element gets an open Shadow DOM root holding appointease.css
 * (found next to this script) and the widget: host page CSS cannot reach it and its CSS
 * cannot leak out. Live slot states come from polling POST /heartbeat (SPEC §1, §4).
 */
(() => {
  'use strict';
  if (window.AppointEase) { window.AppointEase.init(); return; }

  const script = document.currentScript ||
    [...document.querySelectorAll('script[src]')].find((el) => /appointease[^/]*\.js/.test(el.src));
  const scriptSrc = script ? script.src : location.href;

  const STEPS = ['service', 'staff', 'time', 'details', 'review', 'done'];
  const POLLED = ['time', 'details', 'review'];
  const TITLES = {
    service: 'Choose a service', staff: 'Who would you like to see?', time: 'Pick a day and time',
    details: 'Your details', review: 'Review and confirm', done: 'You’re booked',
  };
  // Only the exceptions carry a visible label; a free slot shows just its time (SPEC §1 + "mine").
  const LABEL = { processing: 'in use', locked: 'held', booked: 'booked', mine: 'yours' };
  const OFF = ['processing', 'locked', 'booked'];
  // When several staff share a time ("Any available"), the friendliest state wins.
  const RANK = { mine: 0, available: 1, processing: 2, locked: 3, booked: 4 };
  const HELD = 'Someone is booking this — it may free up shortly.';
  const TAKEN = 'That time was just booked by someone else. Please choose another time.';
  const GONE = 'That time is no longer offered. Please choose another time.';
  const MESSAGES = {
    slot_taken: TAKEN, outside_hours: GONE, gone: GONE,
    slot_held: 'Someone else is booking that time right now — it may free up shortly. Please choose another time.',
    past_time: 'That time has already passed. Please choose a later time.',
    too_far_ahead: 'That date is too far ahead to book online. Please choose an earlier date.',
    not_found: 'That service or staff member is no longer available. Please start again.',
    rate_limited: 'Too many requests. Please wait a moment and try again.',
    unavailable: 'Booking is briefly unavailable. Please try again in a moment.',
    network: 'We couldn’t reach the booking service. Check your connection and try again.',
    server: 'The booking service had a problem. Please try again.',
  };
  const TIME_ERRORS = ['slot_taken', 'slot_held', 'past_time', 'outside_hours', 'too_far_ahead'];
  const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
  const DAY = 864e5;

  const human = (err) => MESSAGES[err.code] || err.message || 'Something went wrong. Please try again.';
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  const pad = (n) => String(n).padStart(2, '0');
  const isoDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const toDate = (iso) => { const [y, m, d] = iso.split('-').map(Number); return new Date(y, m - 1, d); };
  const addDays = (iso, n) => { const d = toDate(iso); d.setDate(d.getDate() + n); return isoDay(d); };
  const gap = (a, b) => Math.round((toDate(b) - toDate(a)) / DAY);
  const fmtDate = (iso, o) => toDate(iso).toLocaleDateString(undefined, o ||
    { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  const short = (iso) => fmtDate(iso, { weekday: 'short', day: 'numeric', month: 'short' });
  const money = (v) => {
    try { return v.currency ? new Intl.NumberFormat(undefined, { style: 'currency', currency: v.currency }).format(Number(v.price)) : v.price; } catch (e) { return v.price; }
  };
  const stamp = (d) => new Date(d).toISOString().replace(/[-:]|\.\d+/g, ''); // 20261125T090000Z

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
  const btn = (props, ...kids) => h('button', { type: 'button', ...props }, ...kids);
  const vh = (text) => h('span', { class: 'ae-vh', text });

  /** An iCalendar event (RFC 5545) for a booking; UID is the booking reference. */
  function ics(b, title, desc) {
    const esc = (t) => String(t).replace(/[\\;,]/g, '\\$&').replace(/\r?\n/g, '\\n');
    const fold = (line) => { // lines of at most 75 octets, continuations start with a space
      let out = '', n = 0;
      for (const c of line) {
        const k = c.codePointAt(0), len = k < 128 ? 1 : k < 2048 ? 2 : k < 65536 ? 3 : 4;
        if (n + len > 75) { out += '\r\n '; n = 1; }
        out += c; n += len;
      }
      return out;
    };
    return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//AppointEase//Widget//EN', 'METHOD:PUBLISH', 'BEGIN:VEVENT',
      'UID:' + b.reference, 'DTSTAMP:' + stamp(Date.now()), 'DTSTART:' + stamp(b.start), 'DTEND:' + stamp(b.end),
      'SUMMARY:' + esc(title), 'DESCRIPTION:' + esc(desc), 'END:VEVENT', 'END:VCALENDAR'].map(fold).join('\r\n') + '\r\n';
  }

  class Widget {
    constructor(host, n) {
      this.uid = 'ae' + n;
      const api = host.getAttribute('data-api') || new URL(scriptSrc).origin + '/api/v1';
      this.api = new URL(api, location.href).href.replace(/\/+$/, '');
      this.cid = clientId(n);
      this.s = this.fresh();
      this.services = null;
      this.staffCache = {};
      this.maps = new Map(); // employee id -> Map(time -> {status, start})
      this.days = new Map(); // date -> free start times (GET /availability/days)
      this.today = isoDay(new Date());
      this.until = addDays(this.today, 90); // SPEC default horizon until the server says otherwise
      this.vz = Intl.DateTimeFormat().resolvedOptions().timeZone; // the visitor's time zone
      this.bz = ''; // the business's (from /availability)
      this.loadedKey = '';
      this.version = null;
      this.interval = 5;
      this.delay = 5;
      this.selTtl = 0;
      this.fails = 0;
      this.okAt = Date.now();
      this.seq = 0; // bumped by every own hold change; stale poll answers are ignored
      this.pending = false;

      this.sr = host.shadowRoot || host.attachShadow({ mode: 'open' });
      this.bar = h('span', { class: 'ae-bar' });
      this.stepNo = h('p', { class: 'ae-stepno' });
      this.title = h('h2', { class: 'ae-title', tabindex: '-1', id: this.uid + '-title' });
      this.conn = h('div', { class: 'ae-conn', role: 'status', hidden: true });
      this.alert = h('div', { class: 'ae-alert', role: 'alert' });
      this.msg = h('div', { class: 'ae-msg', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
      this.body = h('div', { class: 'ae-body' });
      this.back = btn({ class: 'ae-btn ae-btn-secondary', 'data-action': 'back', text: 'Back', onclick: () => this.goBack() });
      this.next = btn({ class: 'ae-btn ae-btn-primary', 'data-action': 'next', onclick: () => this.goNext() });
      // Messages sit in the sticky bottom bar, next to the action: seen at once, and the grid never jumps.
      this.navBar = h('div', { class: 'ae-nav' }, this.conn, this.alert, this.msg, this.back, this.next);
      this.root = h('div', { class: 'ae', role: 'region', 'aria-labelledby': this.title.id, 'data-connection': 'ok', hidden: true },
        h('div', { class: 'ae-card' },
          h('div', { class: 'ae-head' }, this.stepNo, this.title, h('div', { class: 'ae-progress', 'aria-hidden': 'true' }, this.bar)),
          this.body, this.navBar,
          h('p', { id: this.uid + '-held', hidden: true, text: HELD }),
          h('p', { id: this.uid + '-booked', hidden: true, text: 'Already booked.' })));
      // Styles live inside the shadow root; show the widget once they apply (or failed to load).
      const css = h('link', { rel: 'stylesheet', href: new URL('appointease.css', scriptSrc).href });
      const show = () => { this.root.hidden = false; };
      css.onload = css.onerror = show;
      setTimeout(show, 3000);
      this.sr.replaceChildren(css, this.root);

      document.addEventListener('visibilitychange', () => (document.hidden ? this.stopPolling() : this.poll(true)));
      // Leaving the page releases the hold (a beacon survives the unload); a bfcache
      // restore re-takes it through check().
      window.addEventListener('pagehide', () => this.release(true));
      window.addEventListener('pageshow', (e) => e.persisted && this.poll(true));
      this.go('service', { focus: false });
    }

    fresh() {
      return { step: 'service', serviceId: null, employeeId: null, date: null, time: null, assigned: null, hold: null,
        details: { name: '', email: '', phone: '', notes: '' }, errors: {}, lockTtl: 600, booking: null };
    }

    /* ---------- HTTP ---------- */

    /**
     * Call the API; resolve {ok, status, data} or {ok:false, status, error, retryAfter}, never throw.
     * Bodies go as text/plain JSON (the server reads any Content-Type as JSON), so polling and
     * holds are CORS "simple requests" with no preflight.
     */
    async call(method, path, body, headers) {
      const init = { method, mode: 'cors', credentials: 'omit', headers: { Accept: 'application/json', ...headers } };
      if (body !== undefined) init.body = JSON.stringify(body);
      let res;
      try { res = await fetch(this.api + path, init); } catch (e) {
        return { ok: false, status: 0, error: { code: 'network' } };
      }
      this.okAt = Date.now();
      if (this.msgCode === 'network') this.say(''); // reachable again: drop "We couldn't reach…"
      if (res.status === 304) return { ok: true, status: 304, data: { changed: false } };
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

    /** Show a message: kind info|ok|error (polite status) or alert (role=alert). */
    say(text, kind = 'info', code) {
      const alert = kind === 'alert';
      this.alert.textContent = alert ? text : '';
      this.msg.textContent = alert ? '' : text || '';
      this.msg.setAttribute('data-kind', kind);
      this.msgCode = text ? code || kind : '';
    }

    /** Show a step: render its body, update the nav, start or stop polling. */
    go(step, opts = {}) {
      const s = this.s;
      s.step = step;
      this.token = {};
      const i = STEPS.indexOf(step);
      this.root.setAttribute('data-step', step);
      this.title.textContent = TITLES[step];
      this.stepNo.textContent = step === 'done' ? 'Booking complete' : `Step ${i + 1} of 5`;
      this.bar.style.width = `${Math.min(1, (i + 1) / 5) * 100}%`;
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

    /** The bottom bar: Back, and a primary action only where a step does not advance on click. */
    nav() {
      const s = this.s;
      const label = { time: s.time && s.hold && 'Continue', details: 'Review booking',
        review: 'Confirm booking', done: 'Book another appointment' }[s.step];
      this.back.hidden = s.step === 'service' || s.step === 'done';
      this.back.disabled = this.pending;
      if (!this.pending || s.step !== 'review') {
        this.next.replaceChildren(label || '', s.step === 'time' && label ? h('span', { class: 'ae-when' }, h('span', { class: 'ae-dash', text: ' – ' }), this.when()) : '');
      }
      this.next.hidden = !label;
      this.next.setAttribute('data-action', { review: 'confirm', done: 'restart' }[s.step] || 'next');
      this.next.disabled = this.pending;
    }

    goBack() {
      const s = this.s;
      if (this.pending) return;
      if (s.step === 'time') this.resetTime(); // leaving the time choice gives the hold back at once
      else if (s.step === 'details' && s.hold === 'lock') this.reacquire('selection'); // back to a short, polled selection
      this.go(STEPS[STEPS.indexOf(s.step) - 1]);
    }

    goNext() {
      const s = this.s;
      if (s.step === 'time') return this.toDetails();
      if (s.step === 'details') return this.toReview();
      if (s.step === 'review') return this.confirm();
      if (s.step === 'done') { this.s = this.fresh(); this.loadedKey = ''; return this.go('service'); }
    }

    /** Run an async loader for the current step; show a retry button if it fails. */
    async load(fn) {
      const token = this.token;
      this.body.setAttribute('aria-busy', 'true');
      this.body.append(vh('Loading…'), h('div', { class: 'ae-list' }, [1, 2, 3].map(() => h('span', { class: 'ae-skel' }))));
      try {
        const nodes = await fn();
        if (token !== this.token) return;
        this.body.replaceChildren(...[].concat(nodes));
      } catch (r) {
        if (token !== this.token) return;
        this.body.replaceChildren(h('p', { class: 'ae-error', text: human(r.error || {}) }),
          btn({ class: 'ae-btn ae-btn-secondary', 'data-action': 'retry', text: 'Try again', onclick: () => this.go(this.s.step) }));
      }
      this.body.removeAttribute('aria-busy');
      this.nav();
    }

    choice(attrs, pressed, name, meta, onclick) {
      return btn({ class: 'ae-choice', 'aria-pressed': String(pressed), onclick, ...attrs },
        h('span', { class: 'ae-choice-name', text: name }), meta && h('span', { class: 'ae-choice-meta', text: ' ' + meta }));
    }

    /** Forget the chosen time (and give its hold back) after an earlier choice changed. */
    resetTime() {
      this.release(false);
      this.s.time = null;
      if (this.s.employeeId === 'any') this.s.assigned = null;
    }

    /** Arrow keys, Home and End move focus within a group of buttons (one tab stop). */
    rove(group) {
      group.addEventListener('keydown', (e) => {
        const items = [...group.querySelectorAll('button')];
        const i = items.indexOf(this.sr.activeElement);
        const cols = items.filter((b) => b.offsetTop === items[0].offsetTop).length || 1;
        const j = { ArrowRight: i + 1, ArrowLeft: i - 1, ArrowDown: i + cols, ArrowUp: i - cols, Home: 0, End: items.length - 1 }[e.key];
        if (i < 0 || j == null || j < 0 || j >= items.length) return;
        e.preventDefault();
        items.forEach((b, k) => { b.tabIndex = k === j ? 0 : -1; });
        items[j].focus();
      });
      return group;
    }

    /** Give a roving group its one tab stop: the focused, chosen, first usable or first button. */
    tabStop(group) {
      const items = [...group.querySelectorAll('button')];
      const cur = items.find((b) => b === this.sr.activeElement) || items.find((b) => b.getAttribute('aria-pressed') === 'true') ||
        items.find((b) => !b.hasAttribute('aria-disabled')) || items[0];
      items.forEach((b) => { b.tabIndex = b === cur ? 0 : -1; });
    }

    /* ---------- steps ---------- */

    service() {
      this.load(async () => {
        this.services = this.services || await this.get('/services', {});
        if (!this.services.length) return h('p', { class: 'ae-empty', text: 'No services can be booked online right now.' });
        return h('div', { class: 'ae-list' }, this.services.map((v) => this.choice(
          { 'data-service-id': v.id }, v.id === this.s.serviceId, v.name,
          `${v.duration_minutes} min${v.price ? ' · ' + money(v) : ''}`,
          () => {
            if (v.id !== this.s.serviceId) { this.resetTime(); this.s.serviceId = v.id; this.s.employeeId = null; this.s.date = null; }
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
            Object.assign(this.s, { employeeId: eid, assigned: eid === 'any' ? null : eid, date: null });
          }
          this.go('time');
        };
        return h('div', { class: 'ae-list' },
          this.choice({ 'data-employee-id': 'any' }, this.s.employeeId === 'any', 'Any available', 'First free staff member', pick('any')),
          list.map((e) => this.choice({ 'data-employee-id': e.id }, e.id === this.s.employeeId, e.name, '', pick(e.id))));
      });
    }

    /** Day and time on one step: a week strip of days (closed ones greyed), then that day's times. */
    time() {
      const s = this.s;
      const who = s.employeeId === 'any' ? 'any available staff member' : (this.staffList().find((e) => e.id === s.employeeId) || {}).name;
      this.strip = this.rove(h('div', { class: 'ae-days', role: 'group', 'aria-label': 'Days' }));
      this.month = h('span', { class: 'ae-month' });
      this.earlier = btn({ class: 'ae-btn-link', 'data-action': 'earlier', text: '‹ Earlier', onclick: () => this.week(-7) });
      this.later = btn({ class: 'ae-btn-link', 'data-action': 'later', text: 'Later ›', onclick: () => this.week(7) });
      this.nextOpen = h('p', { class: 'ae-next-open' });
      this.tzText = h('span');
      this.tzBtn = btn({ class: 'ae-btn-link', 'data-action': 'zone', onclick: () => { this.useBiz = !this.useBiz; this.grid.replaceChildren(); this.paint(); this.nav(); } });
      this.tzNote = h('p', { class: 'ae-tz', hidden: true }, this.tzText, this.tzBtn);
      this.asked = new Set();
      this.dayTitle = h('h3', { class: 'ae-day-title', id: this.uid + '-times' });
      this.grid = this.rove(h('div', { class: 'ae-slots', role: 'group', 'aria-labelledby': this.dayTitle.id }));
      const input = h('input', { type: 'date', id: this.uid + '-date', name: 'date', min: this.today, max: this.until, value: s.date || '' });
      input.addEventListener('change', () => input.value >= input.min && input.value <= input.max && this.pickDay(input.value));
      this.dateInput = input;
      this.body.append(who ? h('p', { class: 'ae-context', text: 'With ' + who }) : '',
        h('div', { class: 'ae-strip-head' }, this.earlier, this.month, this.later), this.strip, this.nextOpen,
        h('p', { class: 'ae-other' }, h('label', { for: input.id, text: 'Another date ' }), input),
        this.tzNote, this.dayTitle, this.grid,
        h('ul', { class: 'ae-legend', 'aria-label': 'Key' }, ['available', ...OFF, 'mine'].map((k) =>
          h('li', {}, h('span', { class: 'ae-swatch', 'data-status': k }), LABEL[k] || 'free'))));
      this.from = this.from && s.date ? this.from : this.today;
      if (s.date) this.pickDay(s.date, true);
      else this.firstOpen(this.today);
    }

    /** Preselect the first day with free times on or after `from` (GET /availability/days). */
    async firstOpen(from) {
      const token = this.token;
      for (let d = from; d <= this.until; d = addDays(d, 28)) {
        await this.loadDays(d);
        if (token !== this.token || this.s.date) return; // the visitor chose a day meanwhile
        const open = [...this.days.keys()].sort().find((k) => k >= from && this.days.get(k) > 0);
        if (open) return this.pickDay(open);
        if (this.noDays) break;
      }
      this.pickDay(from);
    }

    /** Load the free-time counts of 4 weeks from `from` into this.days (once per service/staff). */
    async loadDays(from) {
      const s = this.s;
      const key = `${s.serviceId}|${s.employeeId}`;
      if (key !== this.daysKey) { this.days = new Map(); this.daysKey = key; this.asked = new Set(); }
      if (this.noDays || this.asked.has(from) || from > this.until) return;
      this.asked.add(from); // asked once per step visit: a failure leaves days unknown, not retried in a loop
      const to = [addDays(from, 27), this.until].sort()[0];
      const q = { from, to, service_id: s.serviceId };
      if (s.employeeId !== 'any') q.employee_id = s.employeeId;
      const r = await this.call('GET', '/availability/days?' + new URLSearchParams(q));
      if (r.ok) {
        if (r.data.bookable_until) this.until = r.data.bookable_until;
        if (this.dateInput) this.dateInput.max = this.until;
        for (const d of r.data.days || []) if (key === this.daysKey) this.days.set(d.date, d.free);
      } else if (r.status === 404 || r.status === 405) this.noDays = true; // a server without the endpoint
    }

    /** Load 4 weeks from `from` unless asked already, then repaint the strip. */
    want(from) {
      if (!this.noDays && !(this.asked && this.asked.has(from)) && from <= this.until) this.loadDays(from).then(() => this.paintDays());
    }

    week(n) { // page the strip by n days, within [today, horizon] (ISO dates sort as strings)
      this.from = [[addDays(this.from, n), addDays(this.until, -6)].sort()[0], this.today].sort()[1];
      this.paintDays();
    }

    /** Choose a day: the strip moves to its week, its times load. */
    pickDay(day, keep) {
      const s = this.s;
      if (day !== s.date) { this.resetTime(); s.date = day; }
      if (!keep || gap(this.from, day) < 0 || gap(this.from, day) > 6) this.from = addDays(this.today, Math.floor(gap(this.today, day) / 7) * 7);
      if (this.dateInput) this.dateInput.value = day;
      this.dayTitle.textContent = 'Times on ' + fmtDate(day, { weekday: 'long', day: 'numeric', month: 'long' });
      this.paintDays();
      if (this.loadedKey === this.key()) this.paint();
      else this.grid.replaceChildren(vh('Loading times…'), ...Array.from({ length: 8 }, () => h('span', { class: 'ae-skel' })));
      this.nav();
      this.poll(true);
    }

    /** Paint the week strip (7 columns) and the "Next available" link. */
    paintDays() {
      const s = this.s;
      if (!this.strip || !this.strip.isConnected) return;
      const days = Array.from({ length: 7 }, (_, i) => addDays(this.from, i));
      const free = (d) => (d > this.until ? 0 : this.days.get(d));
      if (days.some((d) => free(d) == null)) this.want(this.from);
      const sig = [s.date, ...days.map(free)].join();
      if (sig !== this.strip.dataset.sig) { // rebuild only on change: polls must not steal focus
        const focused = this.strip.contains(this.sr.activeElement) && this.sr.activeElement.dataset.date;
        this.strip.dataset.sig = sig;
        this.month.textContent = fmtDate(days[3], { month: 'long', year: 'numeric' });
        this.earlier.disabled = this.from <= this.today;
        this.later.disabled = addDays(this.from, 7) > this.until;
        this.strip.replaceChildren(...days.map((d) => btn({
          class: 'ae-day', 'data-date': d, 'data-free': free(d), 'aria-pressed': String(d === s.date),
          'aria-disabled': free(d) === 0 ? 'true' : null, onclick: () => (free(d) === 0 ? this.say(`No free times on ${short(d)}.`) : this.pickDay(d, true)),
        }, h('span', { class: 'ae-day-wd', text: fmtDate(d, { weekday: 'short' }) }), ' ', h('span', { class: 'ae-day-n', text: toDate(d).getDate() }), ' ',
        h('span', { class: 'ae-day-m', text: fmtDate(d, { month: 'short' }) }),
        vh((d === this.today ? ', today' : '') + (free(d) === 0 ? ', no free times' : '')))));
        const f = focused && this.strip.querySelector(`[data-date="${focused}"]`);
        if (f) f.focus();
        this.tabStop(this.strip);
      }
      // "Next available" when the shown week, or the chosen day, has nothing to book.
      const weekEmpty = days.every((d) => free(d) === 0);
      const dayEmpty = this.loadedKey === this.key() && !this.union().some(([, st]) => st === 'available' || st === 'mine');
      const ref = weekEmpty ? days[6] : dayEmpty && s.date;
      const known = [...this.days.keys()].sort();
      const after = ref && known.find((k) => k > ref && this.days.get(k) > 0);
      if (ref && !after && known.length) this.want(addDays(known.pop(), 1));
      if (this.nextOpen.dataset.day !== String(after)) {
        this.nextOpen.dataset.day = String(after);
        this.nextOpen.replaceChildren(after ? btn({ class: 'ae-btn-link', 'data-action': 'next-open', text: `Next available: ${short(after)} →`, onclick: () => this.pickDay(after) }) : '');
      }
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
        h('label', { for: id }, label, h('span', { class: 'ae-opt', text: opts.required ? ' (required)' : ' (optional)' })),
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

    /* ---------- times and zones ---------- */

    zone() { return (this.useBiz && this.bz) || this.vz; }

    /** Format an instant in the shown time zone. */
    fmt(at, o) { return new Intl.DateTimeFormat(undefined, { timeZone: this.zone(), ...o }).format(new Date(at)); }

    startOf(time) {
      for (const id of this.shownIds()) { const v = (this.maps.get(id) || new Map()).get(time); if (v && v.start) return v.start; }
      return null;
    }

    /** "14:00–14:30" in the shown zone (plus the weekday when that zone puts it on another day). */
    range(time, start = this.startOf(time)) {
      if (!start) return time;
      const svc = this.svc();
      const hm = (t) => this.fmt(t, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
      const other = this.fmt(start, { year: 'numeric', month: '2-digit', day: '2-digit' }) !== fmtDate(this.s.date, { year: 'numeric', month: '2-digit', day: '2-digit' });
      return `${hm(start)}–${hm(Date.parse(start) + (svc.duration_minutes || 0) * 6e4)}` + (other ? ` (${this.fmt(start, { weekday: 'short' })})` : '');
    }

    /** "Wed 25 Nov, 09:00" for the chosen time, in the shown zone. */
    when() {
      const start = this.startOf(this.s.time);
      return start ? `${this.fmt(start, { weekday: 'short', day: 'numeric', month: 'short' })}, ${this.range(this.s.time, start).slice(0, 5)}` : this.s.time;
    }

    svc() { return (this.services || []).find((v) => v.id === this.s.serviceId) || {}; }

    summary(full, b) {
      const s = this.s;
      const svc = this.svc();
      const person = (this.staffList().find((e) => e.id === s.assigned) || {}).name || '';
      const start = (b && b.start) || this.startOf(s.time);
      let time = this.range(s.time, start) + ` (${this.zone()})`;
      if (this.bz && this.bz !== this.zone()) time += ` · ${s.time} ${this.bz} time`;
      const rows = [
        ['Service', svc.name + (svc.duration_minutes ? ` (${svc.duration_minutes} min)` : '')],
        ['With', person + (s.employeeId === 'any' ? ' (first available)' : '')],
        ['Date', fmtDate(s.date)], ['Time', time],
      ];
      if (full) {
        rows.push(['Name', s.details.name], ['Email', s.details.email]);
        if (s.details.phone.trim()) rows.push(['Phone', s.details.phone]);
        if (s.details.notes.trim()) rows.push(['Notes', s.details.notes]);
        if (svc.price) rows.push(['Price', money(svc)]);
      }
      return h('dl', { class: 'ae-summary' }, rows.map(([k, v]) => h('div', {}, h('dt', { text: k }), h('dd', { text: v }))));
    }

    review() {
      const mins = Math.round(this.s.lockTtl / 60);
      this.body.append(this.summary(true),
        h('p', { class: 'ae-note', text: `We’re holding this time for you for ${mins} minute${mins === 1 ? '' : 's'}.` }));
    }

    done() {
      const s = this.s;
      const b = s.booking;
      const links = b.links || {};
      const svc = this.svc();
      const person = (this.staffList().find((e) => e.id === b.employee_id) || {}).name;
      const title = svc.name + (person ? ' with ' + person : '');
      const desc = `Booking reference ${b.reference}`;
      const q = (o) => new URLSearchParams(o).toString();
      const server = links.ics || b.ics_url;
      const manage = links.manage || b.manage_url;
      const file = server || URL.createObjectURL(new Blob([ics(b, title, desc)], { type: 'text/calendar' }));
      const a = (href, text, action, extra) => h('a', { class: 'ae-btn ae-btn-secondary', href, 'data-action': action, text, ...extra });
      const away = { target: '_blank', rel: 'noopener' };
      this.body.append(h('div', { class: 'ae-done' },
        h('p', { text: 'Your appointment is confirmed. Your booking reference is' }),
        h('p', { class: 'ae-reference', 'data-reference': b.reference, text: b.reference }),
        b.email && h('p', { class: 'ae-note', 'data-email': b.email, text: `An email is on its way to ${b.email}.` })),
      this.summary(true, b),
      h('div', { class: 'ae-cal' },
        a(file, 'Add to calendar (.ics)', 'ics', server ? {} : { download: b.reference + '.ics' }),
        a('https://calendar.google.com/calendar/render?' + q({ action: 'TEMPLATE', text: title, dates: `${stamp(b.start)}/${stamp(b.end)}`, details: desc }),
          'Google Calendar', 'google', away),
        a('https://outlook.live.com/calendar/0/action/compose?' + q({ subject: title, startdt: new Date(b.start).toISOString(), enddt: new Date(b.end).toISOString(), body: desc }),
          'Outlook', 'outlook', away),
        manage && a(manage, 'Manage your booking', 'manage')),
      h('p', { class: 'ae-note', text: 'Please keep your reference: you’ll need it to change or cancel the appointment.' }));
    }

    /* ---------- holds ---------- */

    /** Select a time: POST /slots/select with the first staff member free then. */
    async pickTime(time) {
      const s = this.s;
      const st = this.unionState(time);
      if (this.pending) return;
      if (st === 'mine' && time === s.time) return this.next.focus({ preventScroll: true });
      if (OFF.includes(st)) { // aria-disabled: explain instead of failing
        this.watch = time;
        return this.say(`${this.range(time)}: ${st === 'booked' ? 'already booked.' : HELD}`);
      }
      let ids = this.candidates(time, ['mine', 'available']);
      this.busy(true);
      let r = { ok: false, error: {} };
      for (const id of ids) {
        r = await this.call('POST', '/slots/select', this.holdBody(time, id));
        if (r.ok || r.status !== 409) {
          if (r.ok) this.held(time, id, 'selection');
          break;
        }
        this.raise(id, time, r.error.code === 'slot_taken' ? 'booked' : 'processing');
      }
      this.busy(false);
      this.paint();
      if (r.ok) {
        this.selTtl = Number(r.data && r.data.ttl_seconds) || 0;
        this.poll();
        this.say(`${this.range(time)} is held for you while you book.`, 'ok');
        this.nav();
        this.next.focus({ preventScroll: true }); // the bar is sticky: on screen without scrolling
      } else {
        this.say(human(r.error), 'error', r.error.code);
        this.nav();
        if (r.status === 409 || r.status === 422) this.poll(true);
      }
    }

    /** Record a state learnt from a 409, never downgrading what is known (booked > held > in use). */
    raise(id, time, status) {
      if (RANK[status] > RANK[this.statusOf(id, time)]) this.setStatus(id, time, status);
    }

    /** Record an own hold locally (the next poll confirms it). */
    held(time, id, kind) {
      const s = this.s;
      for (const m of this.maps.values()) for (const v of m.values()) if (v.status === 'mine') v.status = 'available';
      Object.assign(s, { time, assigned: id, hold: kind });
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
      // On page hide only a beacon is sure to go out; it is a text/plain simple request.
      if (!(leaving && navigator.sendBeacon && navigator.sendBeacon(url, body))) {
        fetch(url, { method: 'POST', mode: 'cors', credentials: 'omit', keepalive: true, body }).catch(() => {});
      }
      this.seq++;
      this.version = null;
      if (!leaving) { // on pagehide keep the wish to hold: a bfcache restore re-takes it
        s.hold = null;
        this.setStatus(s.assigned, s.time, 'available');
      }
    }

    /** Time step → details: take the 10-minute lock (SPEC §3) so a visitor may take their time. */
    async toDetails() {
      const s = this.s;
      if (this.pending) return;
      this.busy(true);
      const r = await this.call('POST', '/slots/lock', this.holdBody(s.time, s.assigned));
      this.busy(false);
      if (r.ok) { this.locked(r); return this.go('details'); }
      if (TIME_ERRORS.includes(r.error.code)) return this.lost(r.error.code);
      this.say(human(r.error), 'error', r.error.code);
    }

    locked(r) {
      this.held(this.s.time, this.s.assigned, 'lock');
      this.s.lockTtl = Number(r.data && r.data.ttl_seconds) || 600;
      this.lockAt = Date.now();
    }

    toReview() {
      const s = this.s;
      if (this.pending) return;
      const d = s.details;
      s.errors = {};
      if (!d.name.trim()) s.errors.name = 'Please enter your name.';
      if (!d.email.trim()) s.errors.email = 'Please enter your email address.';
      else if (!EMAIL.test(d.email.trim())) s.errors.email = 'Please enter a valid email address, like name@example.com.';
      if (Object.keys(s.errors).length) return this.showErrors('Please check the highlighted fields.');
      this.go('review');
    }

    showErrors(text) {
      this.go('details', { msg: text, kind: 'error', focus: false });
      (this.body.querySelector('[aria-invalid="true"]') || this.title).focus();
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
      if (TIME_ERRORS.includes(e.code)) return this.lost(e.code);
      if (e.code === 'validation_error' && e.fields) {
        s.errors = {};
        const other = [];
        for (const [f, m] of Object.entries(e.fields)) {
          const t = [].concat(m).join(' ');
          if (f in d) s.errors[f] = t; else other.push(t);
        }
        if (Object.keys(s.errors).length) return this.showErrors(other.join(' ') || 'Please check the highlighted fields.');
      }
      if (e.code === 'idempotency_key_reused') this.keyBody = null;
      this.nav();
      this.say(human(e) + (r.retryAfter ? ` (about ${r.retryAfter} s)` : ''), 'error', e.code);
    }

    /** The chosen time is gone (code: slot_taken, slot_held, gone, …): say why, as an alert, on the time step. */
    lost(code) {
      const s = this.s;
      if (s.hold) this.release(false);
      s.time = null; s.hold = null;
      if (s.employeeId === 'any') s.assigned = null;
      this.version = null;
      const text = MESSAGES[code] || GONE;
      if (s.step === 'time') { this.say(text, 'alert'); this.paint(); this.nav(); this.poll(true); } else this.go('time', { msg: text, kind: 'alert' });
    }

    /* ---------- slot data ---------- */

    key() { const s = this.s; return `${s.serviceId}|${s.employeeId}|${s.date}`; }

    /** Staff whose slots are shown: one, or all of them for "Any available". */
    shownIds() { const s = this.s; return s.employeeId === 'any' ? this.staffList().map((e) => e.id) : [s.employeeId]; }

    statusOf(id, time) { const m = this.maps.get(id); const v = m && m.get(time); return v ? v.status : null; }

    setStatus(id, time, status) { const m = this.maps.get(id); const v = m && m.get(time); if (v) v.status = status; }

    candidates(time, states) { return this.shownIds().filter((id) => states.includes(this.statusOf(id, time))); }

    unionState(time) { const u = this.union().find(([t]) => t === time); return u && u[1]; }

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
      if (!g || !g.isConnected || this.loadedKey !== this.key()) return;
      const s = this.s;
      g.setAttribute('data-date', s.date);
      this.tzNote.hidden = !this.bz || this.bz === this.vz;
      this.tzText.textContent = this.useBiz ? `Times are in the business’s time zone (${this.bz}). ` : `Times are in your time zone (${this.vz}); the business is in ${this.bz}. `;
      this.tzBtn.textContent = this.useBiz ? 'Show my time' : 'Show business time';
      const slots = this.union();
      const old = new Map([...g.querySelectorAll('.ae-slot')].map((b) => [b.dataset.time, b]));
      [...g.children].forEach((c) => !c.classList.contains('ae-slot') && c.remove());
      if (!slots.length) g.append(h('p', { class: 'ae-empty', text: 'No free times on this day.' }));
      slots.forEach(([t, st], i) => {
        let b = old.get(t);
        old.delete(t);
        if (!b) {
          b = btn({ class: 'ae-slot', 'data-time': t, onclick: () => this.pickTime(t) },
            h('span', { class: 'ae-slot-time', text: this.range(t) }), ' ', h('span', { class: 'ae-slot-state' }));
        }
        const label = st === 'mine' && this.stale ? '' : LABEL[st] || '';
        if (b.dataset.status !== st || b.lastChild.textContent !== label) {
          if (b.dataset.status && st !== b.dataset.status && t === this.watch && st === 'available') this.say(`${this.range(t)} is free again.`);
          b.dataset.status = st;
          b.lastChild.textContent = label;
          if (OFF.includes(st)) {
            b.setAttribute('aria-disabled', 'true');
            b.setAttribute('aria-describedby', this.uid + (st === 'booked' ? '-booked' : '-held'));
          } else { b.removeAttribute('aria-disabled'); b.removeAttribute('aria-describedby'); }
        }
        b.setAttribute('aria-pressed', String(st === 'mine' && t === s.time));
        if (g.children[i] !== b) g.insertBefore(b, g.children[i] || null);
      });
      old.forEach((b) => b.remove());
      this.tabStop(g);
      this.paintDays();
    }

    /* ---------- polling ---------- */

    stopPolling() { clearTimeout(this.timer); this.timer = 0; }

    /** Schedule the next poll (now, or after the current delay) when a live step is shown. */
    poll(now) {
      this.stopPolling();
      if (!POLLED.includes(this.s.step) || !this.s.date || document.hidden || !this.root.isConnected) return;
      if (this.polling) { this.again = true; return; }
      // Holding a selection: poll (and so renew it) within half its TTL.
      const wait = !this.fails && this.s.hold === 'selection' && this.selTtl ? Math.min(this.delay, this.selTtl / 2) : this.delay;
      this.timer = setTimeout(() => this.tick(), now ? 0 : wait * 1000);
    }

    async tick() {
      this.timer = 0;
      this.polling = true;
      const s = this.s;
      let r;
      try {
        // Locks are not renewed by heartbeats: take them again at half their TTL while visible.
        if (s.hold === 'lock' && !this.fails && Date.now() - this.lockAt > s.lockTtl * 500) await this.reacquire('lock');
        r = await this.refresh();
      } finally { this.polling = false; }
      const lapse = (s.hold === 'lock' ? s.lockTtl : this.selTtl || 10) * 1000;
      const stale = !!(r && !r.ok && s.hold && Date.now() - this.okAt > lapse);
      if (r && !r.ok) {
        this.fails++;
        this.delay = r.retryAfter || Math.min(60, this.interval * 2 ** (this.fails - 1));
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
      if (r && stale !== !!this.stale) { this.stale = stale; this.paint(); } // the hold may have lapsed: no "yours" while unsure
      const again = this.again;
      this.again = false;
      this.poll(again);
    }

    /**
     * Fetch fresh slot states: /availability for a first look, then /heartbeat — one request
     * for all staff of "Any available" (employee_ids) when the server supports it.
     * Resolve {ok} or a failed call; null when the answer was stale and dropped.
     */
    async refresh() {
      const s = this.s;
      const key = this.key();
      const seq = this.seq;
      const full = this.loadedKey !== key;
      if (full) this.version = null;
      const any = s.employeeId === 'any';
      const hb = any ? s.assigned : s.employeeId;
      const ids = this.shownIds();
      const multi = !full && any && s.step === 'time' && this.multi !== false && ids.length <= 20;
      let calls;
      if (full) calls = ids.map((id) => this.availability(id));
      else if (multi) calls = [this.heartbeat(ids, true)];
      else calls = (s.step === 'time' ? ids : [hb]).map((id) => (id === hb && id != null ? this.heartbeat([id]) : this.availability(id)));
      const results = await Promise.all(calls);
      // A server without employee_ids refuses the field (422): poll per staff member as before.
      if (multi && this.multi == null && results[0].status === 422) { this.multi = false; return this.refresh(); }
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
          this.bz = r.data.timezone || this.bz;
          this.maps.set(id, new Map((r.data.slots || []).map((x) => [x.time, { status: x.status, start: x.start }])));
        };
      }
      return r;
    }

    /** POST /heartbeat for one staff member, or several at once (`multi`: employee_ids). */
    async heartbeat(ids, multi) {
      const s = this.s;
      const body = { date: s.date, client_id: this.cid, service_id: s.serviceId };
      if (multi) body.employee_ids = ids; else body.employee_id = ids[0];
      if (s.time && s.hold === 'selection' && ids.includes(s.assigned)) body.selected_time = s.time;
      if (this.version != null) body.known_version = this.version;
      const r = await this.call('POST', '/heartbeat', body);
      if (r.ok) {
        if (multi) this.multi = true;
        r.apply = () => {
          const d = r.data;
          this.interval = Math.max(1, Number(d.interval_seconds) || this.interval);
          if (d.version != null) this.version = d.version;
          if (d.changed === false) return;
          const now = Date.parse(d.server_time) || Date.now();
          const mine = d.mine || {};
          for (const x of multi ? d.staff || [] : [{ ...d, employee_id: ids[0] }]) {
            const m = this.maps.get(x.employee_id);
            if (!m) continue;
            const [booked, locked, busy] = ['booked', 'locked', 'processing'].map((k) => new Set(x[k] || []));
            const own = mine.employee_id == null || mine.employee_id === x.employee_id ? mine.time : null;
            for (const [t, v] of m) {
              if (v.start && Date.parse(v.start) <= now) { m.delete(t); continue; } // past: gone from the grid
              v.status = booked.has(t) ? 'booked' : t === own ? 'mine' : locked.has(t) ? 'locked' : busy.has(t) ? 'processing' : 'available';
            }
          }
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
      if (st !== 'available') return this.lost(st === null ? 'gone' : st === 'booked' ? 'slot_taken' : 'slot_held');
      // Free but not ours (the hold lapsed, e.g. while the tab was hidden): take it again.
      this.reacquire(s.step === 'time' ? 'selection' : 'lock');
    }

    async reacquire(kind) {
      const s = this.s;
      const time = s.time;
      this.busy(true);
      const r = await this.call('POST', `/slots/${kind === 'lock' ? 'lock' : 'select'}`, this.holdBody(time, s.assigned));
      this.busy(false);
      if (s.time !== time) return;
      if (r.ok) {
        if (kind === 'lock') this.locked(r); else this.held(time, s.assigned, kind);
        this.paint(); this.nav();
      } else if (TIME_ERRORS.includes(r.error.code)) this.lost(r.error.code);
    }
  }

  let count = 0;
  /** Mount widgets on every [data-appointease] element (or one element) not yet mounted. */
  function init(el) {
    const roots = el ? [el] : document.querySelectorAll('div[data-appointease],section[data-appointease]');
    for (const root of roots) {
      if (!root.appointease) root.appointease = new Widget(root, count++);
    }
  }

  window.AppointEase = { init };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => init());
  else init();
})();
