/* AppointEase booking widget: plain ES2020, no build step. How it works: docs/widget.md */
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
  const LABEL = { processing: 'in use', locked: 'held', booked: 'booked', mine: 'yours' };
  const OFF = ['processing', 'locked', 'booked'];
  const RANK = { mine: 0, available: 1, processing: 2, locked: 3, booked: 4 };
  const HELD = 'Someone is booking this — it may free up shortly.';
  const GONE = 'That time is no longer offered. Please choose another time.';
  const MESSAGES = {
    slot_taken: 'That time was just booked by someone else. Please choose another time.',
    slot_held: 'Someone else is booking that time right now — it may free up shortly. Please choose another time.',
    outside_hours: GONE, gone: GONE,
    network: 'We couldn’t reach the booking service. Check your connection and try again.',
  };
  const TIME_ERRORS = ['slot_taken', 'slot_held', 'past_time', 'outside_hours', 'too_far_ahead'];

  const human = (e) => MESSAGES[e.code] || e.message || 'The booking service had a problem. Please try again.';
  const pad = (n) => String(n).padStart(2, '0');
  const isoDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const toDate = (iso) => { const [y, m, d] = iso.split('-'); return new Date(y, m - 1, d); };
  const addDays = (iso, n) => { const d = toDate(iso); d.setDate(d.getDate() + n); return isoDay(d); };
  const gap = (a, b) => Math.round((toDate(b) - toDate(a)) / 864e5);
  const first = (a, b) => (a < b ? a : b);
  const LONG = { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' };
  const DAY = { weekday: 'short', day: 'numeric', month: 'short' };
  const YMD = { year: 'numeric', month: '2-digit', day: '2-digit' };
  const HM = { timeStyle: 'short' };
  const fmtDate = (iso, o) => toDate(iso).toLocaleDateString(undefined, o || LONG);
  const short = (iso) => fmtDate(iso, DAY);
  const money = (v) => { try { return new Intl.NumberFormat(undefined, { style: 'currency', currency: v.currency }).format(v.price); } catch (e) { return v.price; } };
  const stamp = (d) => new Date(d).toISOString().replace(/[-:]|\.\d+/g, '');
  const uuid = () => (crypto.randomUUID ? crypto.randomUUID() : [...crypto.getRandomValues(new Uint8Array(16))].map((b) => (b + 256).toString(16).slice(1)).join(''));

  function clientId(n) {
    const key = 'appointease.client_id' + (n ? '.' + n : '');
    try { return sessionStorage.getItem(key) || (sessionStorage.setItem(key, uuid()), sessionStorage.getItem(key)); } catch (e) { return uuid(); }
  }

  function h(tag, props, ...kids) {
    const [name, cls] = tag.split('.');
    const el = document.createElement(name);
    if (cls) el.className = 'ae-' + cls;
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
  const attr = (el, k, v) => (v ? el.setAttribute(k, v) : el.removeAttribute(k));
  const btn = (props, ...kids) => h('button', { type: 'button', ...props }, ...kids);
  const vh = (text) => h('span.vh', { text });

  function ics(b, title, desc, host) {
    const esc = (t) => t.replace(/[\\;,]/g, '\\$&').replace(/\n/g, '\\n');
    const fold = (line) => {
      let out = '', n = 0;
      for (const c of line) {
        const k = encodeURIComponent(c).length, len = k > 3 ? k / 3 : 1;
        if (n + len > 75) { out += '\r\n '; n = 1; }
        out += c; n += len;
      }
      return out;
    };
    return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//AppointEase//Widget//EN', 'METHOD:PUBLISH', 'BEGIN:VEVENT',
      `UID:${b.reference}@${host}`, 'DTSTAMP:' + stamp(Date.now()), 'DTSTART:' + stamp(b.start), 'DTEND:' + stamp(b.end),
      'SUMMARY:' + esc(title), 'DESCRIPTION:' + esc(desc), 'END:VEVENT', 'END:VCALENDAR'].map(fold).join('\r\n') + '\r\n';
  }

  class Widget {
    constructor(host, n) {
      const uid = this.uid = 'ae' + n;
      this.api = new URL(host.getAttribute('data-api') || new URL(scriptSrc).origin + '/api/v1', location.href).href.replace(/\/+$/, '');
      this.cid = clientId(n);
      this.s = this.fresh();
      this.staffCache = {};
      this.maps = new Map();
      this.days = new Map();
      this.today = isoDay(new Date());
      this.until = addDays(this.today, 90);
      this.vz = Intl.DateTimeFormat().resolvedOptions().timeZone;
      Object.assign(this, { loadedKey: '', version: null, interval: 5, delay: 5, selTtl: 0, fails: 0, okAt: Date.now(), seq: 0 });

      this.sr = host.shadowRoot || host.attachShadow({ mode: 'open' });
      this.stepNo = h('p.stepno', 0);
      this.title = h('h2.title', { tabindex: '-1', id: uid + '-title' });
      this.conn = h('div.conn', { role: 'status', hidden: true });
      this.alert = h('div.alert', { role: 'alert' });
      this.msg = h('div.msg', { role: 'status', 'aria-atomic': 'true' });
      this.body = h('div.body', 0);
      this.back = btn({ class: 'ae-btn', 'data-action': 'back', text: 'Back', onclick: () => this.goBack() });
      this.next = btn({ class: 'ae-btn ae-primary', 'data-action': 'next', onclick: () => this.goNext() });
      this.root = h('div', { class: 'ae', role: 'region', 'aria-labelledby': uid + '-title', 'data-connection': 'ok', hidden: true },
        h('div.card', 0,
          h('div.head', 0, this.stepNo, this.title), this.body,
          (this.bar = h('div.nav', 0, this.conn, this.alert, this.msg, this.back, this.next)),
          h('p', { id: uid + '-held', hidden: true, text: HELD }), h('p', { id: uid + '-booked', hidden: true, text: 'Already booked.' })));
      const css = h('link', { rel: 'stylesheet', href: new URL('appointease.css', scriptSrc).href });
      css.onload = css.onerror = () => { this.root.hidden = false; };
      setTimeout(css.onload, 3000);
      this.sr.replaceChildren(css, this.root);
      // Focus scrolls keep clear of the sticky bar (scroll-margin-bottom: var(--ae-bar)).
      if (window.ResizeObserver) new ResizeObserver(() => this.root.style.setProperty('--ae-bar', this.bar.offsetHeight + 'px')).observe(this.bar);

      document.addEventListener('visibilitychange', () => (document.hidden ? this.stopPolling() : this.poll(true)));
      addEventListener('pagehide', () => this.release(true));
      addEventListener('pageshow', (e) => e.persisted && this.poll(true));
      this.go('service', { focus: false });
    }

    fresh() {
      return { step: 'service', details: { name: '', email: '', phone: '', notes: '' }, errors: {}, lockTtl: 600 };
    }

    // text/plain JSON bodies: CORS simple requests, no preflight
    async call(method, path, body, headers) {
      let res, data = null;
      try {
        res = await fetch(this.api + path, { method, mode: 'cors', credentials: 'omit', headers: { Accept: 'application/json', ...headers },
          body: body && JSON.stringify(body) });
      } catch (e) { return { ok: false, status: 0, error: { code: 'network' } }; }
      this.okAt = Date.now();
      if (this.msgCode === 'network') this.say('');
      if (res.status === 304) return { ok: true, status: 304, data: { changed: false } };
      try { data = await res.json(); } catch (e) { /* 204 */ }
      if (res.ok) return { ok: true, status: res.status, data };
      const error = (data && data.error) || { code: res.status >= 500 ? 'server' : 'http' };
      return { ok: false, status: res.status, error, retryAfter: Number(res.headers.get('Retry-After')) || 0 };
    }

    async get(path, params) {
      const r = await this.call('GET', path + '?' + new URLSearchParams(params));
      if (!r.ok) throw r;
      return r.data;
    }

    holdBody(time, id) {
      const s = this.s;
      return { date: s.date, time, employee_id: id, service_id: s.serviceId, client_id: this.cid };
    }

    say(text, kind = 'info', code) {
      const alert = kind === 'alert';
      this.alert.textContent = alert ? text : '';
      this.msg.textContent = alert ? '' : text || '';
      this.msg.setAttribute('data-kind', kind);
      this.msgCode = text ? code || kind : '';
    }

    go(step, o = {}) {
      const s = this.s;
      const i = STEPS.indexOf(step);
      s.step = step;
      this.token = {};
      this.root.setAttribute('data-step', step);
      this.title.textContent = TITLES[step];
      this.stepNo.textContent = step === 'done' ? 'Booking complete' : `Step ${i + 1} of 5`;
      this.say(o.msg, o.kind);
      this.grid = null;
      this.body.replaceChildren();
      this.body.removeAttribute('aria-busy');
      this[step]();
      this.nav();
      if (o.focus !== false) this.title.focus();
      this.stopPolling();
      this.poll(true);
    }

    nav() {
      const s = this.s;
      const label = { time: s.time && s.hold && 'Continue', details: 'Review booking', review: 'Confirm booking', done: 'Book another appointment' }[s.step];
      this.back.hidden = s.step === 'service' || s.step === 'done';
      this.back.disabled = this.next.disabled = this.pending;
      if (!this.pending || s.step !== 'review') {
        this.next.replaceChildren(label || '', s.step === 'time' && label ? h('span.when', 0, h('span.dash', { text: ' – ' }), this.when()) : '');
      }
      this.next.hidden = !label;
      this.next.setAttribute('data-action', { review: 'confirm', done: 'restart' }[s.step] || 'next');
    }

    goBack() {
      const s = this.s;
      if (this.pending) return;
      if (s.step === 'time') this.resetTime();
      else if (s.step === 'details' && s.hold === 'lock') this.reacquire('selection');
      this.go(STEPS[STEPS.indexOf(s.step) - 1]);
    }

    goNext() {
      const s = this.s;
      if (s.step === 'time') this.toDetails();
      else if (s.step === 'details') this.toReview();
      else if (s.step === 'review') this.confirm();
      else { this.s = this.fresh(); this.loadedKey = ''; this.go('service'); }
    }

    async load(fn) {
      const token = this.token;
      this.body.setAttribute('aria-busy', 'true');
      this.body.append(vh('Loading…'), h('div.list', 0, [1, 2, 3].map(() => h('span.skel', 0))));
      let nodes;
      try { nodes = await fn(); } catch (r) {
        nodes = [h('p.error', { text: human(r.error || {}) }),
          btn({ class: 'ae-btn', 'data-action': 'retry', text: 'Try again', onclick: () => this.go(this.s.step) })];
      }
      if (token !== this.token) return;
      this.body.replaceChildren(...[].concat(nodes));
      this.body.removeAttribute('aria-busy');
    }

    choice(attrs, pressed, name, meta, onclick) {
      return btn({ class: 'ae-choice', 'aria-pressed': String(pressed), onclick, ...attrs },
        h('span.name', { text: name }), meta && h('span.meta', { text: ' ' + meta }));
    }

    resetTime() {
      this.release(false);
      this.s.time = null;
      if (this.s.employeeId === 'any') this.s.assigned = null;
    }

    rove(group) {
      group.addEventListener('keydown', (e) => {
        const items = [...group.querySelectorAll('button')];
        const i = items.indexOf(this.sr.activeElement);
        const cols = items.filter((b) => b.offsetTop === items[0].offsetTop).length;
        const j = { ArrowRight: i + 1, ArrowLeft: i - 1, ArrowDown: i + cols, ArrowUp: i - cols, Home: 0, End: items.length - 1 }[e.key];
        if (i < 0 || !items[j]) return;
        e.preventDefault();
        items[j].focus();
        this.tabStop(group);
      });
      return group;
    }

    tabStop(group) {
      const items = [...group.querySelectorAll('button')];
      const cur = items.find((b) => b === this.sr.activeElement) || items.find((b) => b.getAttribute('aria-pressed') === 'true') ||
        items.find((b) => !b.hasAttribute('aria-disabled')) || items[0];
      items.forEach((b) => { b.tabIndex = b === cur ? 0 : -1; });
    }

    service() {
      this.load(async () => {
        this.services = this.services || await this.get('/services', {});
        if (!this.services.length) return h('p.empty', { text: 'No services can be booked online right now.' });
        return h('div.list', 0, this.services.map((v) => this.choice(
          { 'data-service-id': v.id }, v.id === this.s.serviceId, v.name, `${v.duration_minutes} min${v.price ? ' · ' + money(v) : ''}`, () => {
            if (v.id !== this.s.serviceId) { this.resetTime(); Object.assign(this.s, { serviceId: v.id, employeeId: null, date: null }); }
            this.go('staff');
          })));
      });
    }

    staffList() { return this.staffCache[this.s.serviceId] || []; }

    staff() {
      this.load(async () => {
        const id = this.s.serviceId;
        const list = this.staffCache[id] = this.staffCache[id] || await this.get('/staff', { service_id: id });
        if (!list.length) return h('p.empty', { text: 'Nobody offers this service right now.' });
        const pick = (eid) => () => {
          if (eid !== this.s.employeeId) { this.resetTime(); Object.assign(this.s, { employeeId: eid, assigned: eid === 'any' ? null : eid, date: null }); }
          this.go('time');
        };
        return h('div.list', 0,
          this.choice({ 'data-employee-id': 'any' }, this.s.employeeId === 'any', 'Any available', 'First free staff member', pick('any')),
          list.map((e) => this.choice({ 'data-employee-id': e.id }, e.id === this.s.employeeId, e.name, '', pick(e.id))));
      });
    }

    time() {
      const s = this.s;
      const who = s.employeeId === 'any' ? 'any available staff member' : this.person(s.employeeId);
      const link = (action, text, onclick) => btn({ class: 'ae-link', 'data-action': action, text, onclick });
      this.strip = this.rove(h('div.days', { role: 'group', 'aria-label': 'Days' }));
      this.month = h('span.month', 0);
      this.earlier = link('earlier', '‹ Earlier', () => this.week(-7));
      this.later = link('later', 'Later ›', () => this.week(7));
      this.nextOpen = h('p');
      this.tzNote = h('p.tz', 0);
      this.dayTitle = h('h3.day-title', { id: this.uid + '-times' });
      this.grid = this.rove(h('div.slots', { role: 'group', 'aria-labelledby': this.uid + '-times' }));
      const input = this.dateInput = h('input', { type: 'date', id: this.uid + '-date', name: 'date', min: this.today, max: this.until, value: s.date });
      input.onchange = () => input.value >= input.min && input.value <= input.max && this.pickDay(input.value);
      this.asked = new Set();
      this.body.append(who ? h('p.context', { text: 'With ' + who }) : '',
        h('div.strip-head', 0, this.earlier, this.month, this.later), this.strip, this.nextOpen,
        h('p.other', 0, h('label', { for: input.id, text: 'Another date ' }), input),
        this.tzNote, this.dayTitle, this.grid);
      if (s.date) this.pickDay(s.date, true); else this.firstOpen(this.from = this.today);
    }

    async firstOpen(from) {
      const token = this.token;
      for (let d = from; d <= this.until && !this.noDays; d = addDays(d, 28)) {
        await this.loadDays(d);
        if (token !== this.token || this.s.date) return;
        const open = [...this.days.keys()].sort().find((k) => k >= from && this.days.get(k) > 0);
        if (open) return this.pickDay(open);
      }
      this.pickDay(from);
    }

    async loadDays(from) {
      const s = this.s;
      const key = `${s.serviceId}|${s.employeeId}`;
      if (key !== this.daysKey) { this.days = new Map(); this.daysKey = key; this.asked = new Set(); }
      if (this.noDays || this.asked.has(from) || from > this.until) return;
      this.asked.add(from);
      const q = { from, to: first(addDays(from, 27), this.until), service_id: s.serviceId };
      if (s.employeeId !== 'any') q.employee_id = s.employeeId;
      const r = await this.call('GET', '/availability/days?' + new URLSearchParams(q));
      if (r.ok) {
        this.until = this.dateInput.max = r.data.bookable_until || this.until;
        for (const d of r.data.days) if (key === this.daysKey) this.days.set(d.date, d.free);
      } else if (r.status === 404 || r.status === 405) this.noDays = true;
    }

    want(from) {
      if (!this.noDays && !this.asked.has(from) && from <= this.until) this.loadDays(from).then(() => this.paintDays());
    }

    week(n) {
      const f = first(addDays(this.from, n), addDays(this.until, -6));
      this.from = f > this.today ? f : this.today;
      this.paintDays();
    }

    pickDay(day, keep) {
      const s = this.s;
      if (day !== s.date) { this.resetTime(); s.date = day; }
      if (!keep || gap(this.from, day) < 0 || gap(this.from, day) > 6) this.from = addDays(this.today, Math.floor(gap(this.today, day) / 7) * 7);
      this.dateInput.value = day;
      this.dayTitle.textContent = 'Times on ' + fmtDate(day, { weekday: 'long', day: 'numeric', month: 'long' });
      this.paintDays();
      if (this.loadedKey === this.key()) this.paint();
      else this.grid.replaceChildren(vh('Loading times…'), ...[...Array(8)].map(() => h('span.skel', 0)));
      this.nav();
      this.poll(true);
    }

    paintDays() {
      const s = this.s;
      if (!this.strip || !this.strip.isConnected) return;
      const days = [...Array(7)].map((_, i) => addDays(this.from, i));
      const free = (d) => (d > this.until ? 0 : this.days.get(d));
      if (days.some((d) => free(d) == null)) this.want(this.from);
      const sig = [s.date, ...days, ...days.map(free)].join();
      if (sig !== this.strip.dataset.sig) { // only on change: keeps focus
        const focused = this.strip.contains(this.sr.activeElement) && this.sr.activeElement.dataset.date;
        this.strip.dataset.sig = sig;
        this.month.textContent = fmtDate(days[3], { month: 'long', year: 'numeric' });
        this.earlier.disabled = this.from <= this.today;
        this.later.disabled = addDays(this.from, 7) > this.until;
        this.strip.replaceChildren(...days.map((d) => btn({
          class: 'ae-day', 'data-date': d, 'data-free': free(d), 'aria-pressed': String(d === s.date), 'aria-disabled': free(d) === 0 && 'true',
          onclick: () => (free(d) === 0 ? this.say(`No free times on ${short(d)}.`) : this.pickDay(d, true)),
        }, h('span.wd', { text: fmtDate(d, { weekday: 'short' }) }), ' ', h('b', { text: toDate(d).getDate() }), ' ',
        h('span.wd', { text: fmtDate(d, { month: 'short' }) }),
        vh((d === this.today ? ', today' : '') + (free(d) === 0 ? ', no free times' : '')))));
        const f = focused && this.strip.querySelector(`[data-date="${focused}"]`);
        if (f) f.focus();
        this.tabStop(this.strip);
      }
      const dayEmpty = this.loadedKey === this.key() && !this.union().some(([, st]) => st === 'available' || st === 'mine');
      const ref = days.every((d) => free(d) === 0) ? days[6] : dayEmpty && s.date;
      const known = [...this.days.keys()].sort();
      const after = ref && known.find((k) => k > ref && this.days.get(k) > 0);
      if (ref && !after && known.length) this.want(addDays(known.pop(), 1));
      if (this.nextOpen.dataset.day !== String(after)) {
        this.nextOpen.dataset.day = after;
        this.nextOpen.replaceChildren(after ? btn({ class: 'ae-link', 'data-action': 'next-open', text: `Next available: ${short(after)} →`, onclick: () => this.pickDay(after) }) : '');
      }
    }

    field(name, label, type, o = {}) {
      const id = `${this.uid}-${name}`;
      const err = this.s.errors[name];
      const input = h(type === 'textarea' ? 'textarea' : 'input', {
        id, name, type: type !== 'textarea' && type, value: this.s.details[name], autocomplete: o.ac, required: o.req,
        rows: type === 'textarea' && 3, maxlength: o.max, 'aria-invalid': err && 'true', 'aria-describedby': err && id + '-err',
      });
      input.oninput = () => { this.s.details[name] = input.value; };
      return h('div.field', 0, h('label', { for: id }, label, h('span.opt', { text: o.req ? ' (required)' : ' (optional)' })),
        input, err && h('p.field-error', { id: id + '-err', text: err }));
    }

    details() {
      this.body.append(this.summary(), h('form.form', { novalidate: true, onsubmit: (e) => { e.preventDefault(); this.toReview(); } },
        this.field('name', 'Name', 'text', { req: 1, ac: 'name', max: 200 }),
        this.field('email', 'Email', 'email', { req: 1, ac: 'email', max: 254 }),
        this.field('phone', 'Phone', 'tel', { ac: 'tel', max: 40 }),
        this.field('notes', 'Notes', 'textarea', { max: 2000 }),
        h('button', { hidden: true, tabindex: '-1' })));
    }

    // A range within one day reads "10:00 – 10:30 AM"; one that crosses midnight in `tz` is
    // two plain times, never formatRange's dates ("12/3/2026, 11:30 PM – 12/4/2026, …").
    fmt(at, o, tz = this.vz, end) {
      const f = new Intl.DateTimeFormat(undefined, { timeZone: tz, ...o });
      if (!end) return f.format(new Date(at));
      const day = (t) => this.fmt(t, YMD, tz);
      return day(at) === day(end) ? f.formatRange(new Date(at), end) : `${f.format(new Date(at))}\u2009–\u2009${f.format(end)}`;
    }

    zone(tz) {
      return /^(Etc\/)?UTC$/.test(tz) ? 'UTC' : new Intl.DateTimeFormat(undefined, { timeZone: tz, timeZoneName: 'longGeneric' })
        .formatToParts().find((x) => x.type === 'timeZoneName').value;
    }

    startOf(time) {
      for (const id of this.shownIds()) { const v = (this.maps.get(id) || new Map()).get(time); if (v) return v.start; }
    }

    range(time, start = this.startOf(time), tz = this.vz, on = fmtDate(this.s.date, YMD)) {
      if (!start) return [time];
      const t = this.fmt(start, HM, tz, Date.parse(start) + (this.svc().duration_minutes || 0) * 6e4);
      return this.fmt(start, YMD, tz) !== on ? [t, this.fmt(start, DAY, tz)] : [t];
    }

    label(time) { const [t, d] = this.range(time); return d ? `${t} (${d})` : t; }

    when() {
      const start = this.startOf(this.s.time);
      return start ? `${this.fmt(start, DAY)}, ${this.fmt(start, HM)}` : this.s.time;
    }

    svc() { return (this.services || []).find((v) => v.id === this.s.serviceId) || {}; }

    person(id) { return (this.staffList().find((e) => e.id === id) || {}).name || ''; }

    summary(full) {
      const s = this.s;
      const d = s.details;
      const svc = this.svc();
      const start = this.startOf(s.time);
      const at = (tz) => {
        const [t, day] = this.range(s.time, start, tz, start && this.fmt(start, YMD));
        return `${t} ${this.zone(tz)}` + (day ? ', ' + day : '');
      };
      const time = at(this.vz) + (this.bz !== this.vz ? ` (${at(this.bz)})` : '');
      const rows = [['Service', `${svc.name} (${svc.duration_minutes} min)`], ['With', this.person(s.assigned) + (s.employeeId === 'any' ? ' (first available)' : '')],
        ['Date', start ? this.fmt(start, LONG) : fmtDate(s.date)], ['Time', time]];
      if (full) rows.push(['Name', d.name], ['Email', d.email], ['Phone', d.phone.trim()], ['Notes', d.notes.trim()], ['Price', svc.price && money(svc)]);
      return h('dl.summary', 0, rows.filter((r) => r[1]).map(([k, v]) => h('div', {}, h('dt', { text: k }), h('dd', { text: v }))));
    }

    review() {
      const m = Math.round(this.s.lockTtl / 60);
      this.body.append(this.summary(1), h('p.note', { text: `We’re holding this time for you for ${m} minute${m === 1 ? '' : 's'}.` }));
    }

    done() {
      const b = this.s.booking;
      const links = b.links || {};
      const title = this.svc().name + (this.person(b.employee_id) && ' with ' + this.person(b.employee_id));
      const desc = `Booking reference ${b.reference}`;
      const q = (o) => new URLSearchParams(o);
      const server = links.ics || b.ics_url;
      const manage = links.manage || b.manage_url || new URL('/manage', this.api).href; // the customers' page
      const a = (href, text, action, extra) => h('a.btn', { href, 'data-action': action, text, ...extra });
      const away = { target: '_blank', rel: 'noopener' };
      const iso = (t) => new Date(t).toISOString();
      this.body.append(h('div.done', 0,
        h('p', { text: 'Your appointment is confirmed. Your booking reference is' }),
        h('p.reference', { 'data-reference': b.reference, text: b.reference }),
        b.email && h('p.note', { 'data-email': b.email, text: `An email is on its way to ${b.email}.` })),
      this.summary(1),
      h('div.cal', 0,
        a(server || URL.createObjectURL(new Blob([ics(b, title, desc, new URL(this.api).hostname)], { type: 'text/calendar' })), 'Add to calendar (.ics)', 'ics',
          !server && { download: b.reference + '.ics' }),
        a('https://calendar.google.com/calendar/render?' + q({ action: 'TEMPLATE', text: title, dates: `${stamp(b.start)}/${stamp(b.end)}`, details: desc }),
          'Google Calendar', 'google', away),
        a('https://outlook.live.com/calendar/0/action/compose?' + q({ subject: title, startdt: iso(b.start), enddt: iso(b.end), body: desc }),
          'Outlook', 'outlook', away),
        a(manage, 'Manage your booking', 'manage')),
      h('p.note', { text: 'To change or cancel later, use Manage your booking or the link in your email.' }));
    }

    async pickTime(time) {
      const s = this.s;
      const st = this.unionState(time);
      if (this.pending || !st) return;
      if (st === 'mine' && time === s.time) return this.next.focus({ preventScroll: true });
      if (OFF.includes(st)) { this.watch = time; return this.say(`${this.label(time)}: ${st === 'booked' ? 'already booked.' : HELD}`); }
      this.busy(true);
      let r;
      for (const id of this.candidates(time, ['mine', 'available'])) {
        r = await this.call('POST', '/slots/select', this.holdBody(time, id));
        if (r.ok) this.held(time, id, 'selection');
        if (r.status !== 409) break;
        this.raise(id, time, r.error.code === 'slot_taken' ? 'booked' : 'processing');
      }
      this.busy(false);
      this.paint();
      this.nav();
      if (r.ok) {
        this.selTtl = r.data.ttl_seconds;
        this.poll();
        this.say(`${this.label(time)} is held for you while you book.`, 'ok');
        this.next.focus({ preventScroll: true });
      } else {
        this.say(human(r.error), 'error', r.error.code);
        if (r.status === 409 || r.status === 422) this.poll(true);
      }
    }

    raise(id, time, status) {
      if (RANK[status] > RANK[this.statusOf(id, time)]) this.setStatus(id, time, status);
    }

    held(time, id, kind) {
      for (const m of this.maps.values()) for (const v of m.values()) if (v.status === 'mine') v.status = 'available';
      Object.assign(this.s, { time, assigned: id, hold: kind });
      this.setStatus(id, time, 'mine');
      this.version = null;
    }

    busy(on) {
      this.pending = on;
      this.seq++;
      this.root.toggleAttribute('aria-busy', on);
      this.nav();
    }

    release(leaving) {
      const s = this.s;
      if (!s.time || !s.hold || s.step === 'done') return;
      const body = JSON.stringify({ date: s.date, time: s.time, employee_id: s.assigned, client_id: this.cid });
      const url = this.api + '/slots/release';
      // on page hide: a beacon, and the wish to hold stays (a bfcache restore re-takes it)
      if (!(leaving && navigator.sendBeacon(url, body))) fetch(url, { method: 'POST', credentials: 'omit', keepalive: true, body }).catch(() => {});
      this.seq++;
      this.version = null;
      if (!leaving) {
        s.hold = null;
        this.setStatus(s.assigned, s.time, 'available');
      }
    }

    async toDetails() {
      if (this.pending) return;
      this.busy(true);
      const r = await this.call('POST', '/slots/lock', this.holdBody(this.s.time, this.s.assigned));
      this.busy(false);
      if (r.ok) { this.locked(r); this.go('details'); } else if (TIME_ERRORS.includes(r.error.code)) this.lost(r.error.code);
      else this.say(human(r.error), 'error', r.error.code);
    }

    locked(r) {
      this.held(this.s.time, this.s.assigned, 'lock');
      this.s.lockTtl = r.data.ttl_seconds || 600;
      this.lockAt = Date.now();
    }

    toReview() {
      const s = this.s;
      const d = s.details;
      if (this.pending) return;
      s.errors = {};
      if (!d.name.trim()) s.errors.name = 'Please enter your name.';
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(d.email.trim())) {
        s.errors.email = d.email.trim() ? 'Please enter a valid email address, like name@example.com.' : 'Please enter your email address.';
      }
      if (Object.keys(s.errors).length) this.showErrors('Please check the highlighted fields.'); else this.go('review');
    }

    showErrors(text) {
      this.go('details', { msg: text, kind: 'error', focus: false });
      (this.body.querySelector('[aria-invalid]') || this.title).focus();
    }

    async confirm() {
      const s = this.s;
      const body = { service_id: s.serviceId, employee_id: s.assigned, date: s.date, time: s.time, client_id: this.cid, timezone: this.vz };
      if (this.pending) return;
      for (const k in s.details) if (s.details[k].trim()) body[k] = s.details[k].trim();
      const text = JSON.stringify(body);
      if (text !== this.keyBody) { this.idemKey = uuid(); this.keyBody = text; }
      this.busy(true);
      this.next.textContent = 'Booking…';
      const r = await this.call('POST', '/appointments', body, { 'Idempotency-Key': this.idemKey });
      const e = r.error;
      this.busy(false);
      if (r.ok) { s.booking = r.data; s.hold = this.keyBody = null; return this.go('done'); }
      if (TIME_ERRORS.includes(e.code)) return this.lost(e.code);
      s.errors = {};
      for (const f in s.details) if (e.fields && e.fields[f]) s.errors[f] = e.fields[f].join(' ');
      if (Object.keys(s.errors).length) return this.showErrors(human(e));
      this.say(human(e) + (r.retryAfter ? ` (about ${r.retryAfter} s)` : ''), 'error', e.code);
    }


    lost(code) {
      const s = this.s;
      if (s.hold) this.release(false);
      s.time = s.hold = null;
      if (s.employeeId === 'any') s.assigned = null;
      this.version = null;
      const text = MESSAGES[code] || GONE;
      if (s.step === 'time') { this.say(text, 'alert'); this.paint(); this.nav(); this.poll(true); } else this.go('time', { msg: text, kind: 'alert' });
    }

    key() { const s = this.s; return `${s.serviceId}|${s.employeeId}|${s.date}`; }

    shownIds() { const s = this.s; return s.employeeId === 'any' ? this.staffList().map((e) => e.id) : [s.employeeId]; }

    statusOf(id, time) { const v = (this.maps.get(id) || new Map()).get(time); return v ? v.status : null; }

    setStatus(id, time, status) { const v = (this.maps.get(id) || new Map()).get(time); if (v) v.status = status; }

    candidates(time, states) { return this.shownIds().filter((id) => states.includes(this.statusOf(id, time))); }

    unionState(time) { return (this.union().find(([t]) => t === time) || [])[1]; }

    union() {
      const out = new Map();
      for (const id of this.shownIds()) {
        for (const [t, v] of this.maps.get(id) || []) if (!out.has(t) || RANK[v.status] < RANK[out.get(t)]) out.set(t, v.status);
      }
      return [...out].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    }

    paint() {
      const g = this.grid;
      const s = this.s;
      if (!g || !g.isConnected || this.loadedKey !== this.key()) return;
      g.setAttribute('data-date', s.date);
      this.tzNote.textContent = this.bz !== this.vz ? `Times are in your time zone (${this.zone(this.vz)}); the business is in ${this.zone(this.bz)}.` : '';
      const slots = this.union();
      const old = new Map([...g.querySelectorAll('.ae-slot')].map((b) => [b.dataset.time, b]));
      [...g.children].forEach((c) => !old.has(c.dataset.time) && c.remove());
      if (!slots.length) g.append(h('p.empty', { text: 'No free times on this day.' }));
      slots.forEach(([t, st], i) => {
        const b = old.get(t) || btn({ class: 'ae-slot', 'data-time': t, onclick: () => this.pickTime(t) },
          h('span.slot-time', { text: this.label(t) }), ' ', h('span.state', 0));
        const label = st === 'mine' && this.stale ? '' : LABEL[st] || '';
        old.delete(t);
        if (b.dataset.status !== st || b.lastChild.textContent !== label) {
          if (b.dataset.status && t === this.watch && st === 'available') this.say(`${this.label(t)} is free again.`);
          b.dataset.status = st;
          b.lastChild.textContent = label;
          attr(b, 'aria-disabled', OFF.includes(st) && 'true');
          attr(b, 'aria-describedby', OFF.includes(st) && this.uid + (st === 'booked' ? '-booked' : '-held'));
        }
        b.setAttribute('aria-pressed', String(st === 'mine' && t === s.time));
        if (g.children[i] !== b) g.insertBefore(b, g.children[i] || null);
      });
      old.forEach((b) => b.remove());
      this.tabStop(g);
      this.paintDays();
    }

    stopPolling() { clearTimeout(this.timer); }

    poll(now) {
      const s = this.s;
      this.stopPolling();
      if (!POLLED.includes(s.step) || !s.date || document.hidden) return;
      if (this.polling) { this.again = true; return; }
      const renew = !this.fails && s.hold === 'selection' && this.selTtl;
      this.timer = setTimeout(() => this.tick(), now ? 0 : (renew ? Math.min(this.delay, renew / 2) : this.delay) * 1000);
    }

    async tick() {
      const s = this.s;
      let r;
      this.polling = true;
      try {
        // heartbeats don't renew locks
        if (s.hold === 'lock' && !this.fails && Date.now() - this.lockAt > s.lockTtl * 500) await this.reacquire('lock');
        r = await this.refresh();
      } finally { this.polling = false; }
      if (r) {
        const net = !r.ok && (!r.status || r.status >= 500);
        this.fails = r.ok ? 0 : this.fails + 1;
        this.delay = r.ok ? this.interval : r.retryAfter || Math.min(60, this.interval * 2 ** (this.fails - 1));
        this.conn.hidden = !net;
        this.conn.textContent = 'Reconnecting…';
        this.root.setAttribute('data-connection', net ? 'reconnecting' : 'ok');
        if (!r.ok && !net && this.grid && this.loadedKey !== this.key()) this.grid.replaceChildren(h('p.error', { text: human(r.error) }));
        const stale = !r.ok && !!s.hold && Date.now() - this.okAt > (s.hold === 'lock' ? s.lockTtl : this.selTtl || 10) * 1000;
        if (stale !== !!this.stale) { this.stale = stale; this.paint(); }
      }
      this.poll(this.again);
      this.again = false;
    }

    async refresh() {
      const s = this.s;
      const key = this.key();
      const seq = this.seq;
      const full = this.loadedKey !== key || this.reload;
      const any = s.employeeId === 'any';
      const hb = any ? s.assigned : s.employeeId;
      const ids = this.shownIds();
      const multi = !full && any && s.step === 'time' && this.multi !== false && ids.length <= 20;
      if (full) this.version = this.reload = null;
      const results = await Promise.all(full ? ids.map((id) => this.availability(id)) : multi ? [this.heartbeat(ids, 1)]
        : (s.step === 'time' ? ids : [hb]).map((id) => (id === hb ? this.heartbeat([id]) : this.availability(id))));
      if (multi && this.multi == null && results[0].status === 422) { this.multi = false; return this.refresh(); }
      if (key !== this.key() || seq !== this.seq || !POLLED.includes(s.step)) return null;
      const bad = results.find((x) => !x.ok);
      if (bad && bad.status === 404) this.loadedKey = '';
      if (bad) return bad;
      results.forEach((x) => x.apply());
      this.loadedKey = key;
      this.again = this.again || this.reload;
      this.paint();
      this.check();
      this.nav();
      return { ok: 1 };
    }

    async availability(id) {
      const s = this.s;
      const r = await this.call('GET', '/availability?' + new URLSearchParams({ date: s.date, employee_id: id, service_id: s.serviceId, client_id: this.cid }));
      r.apply = () => {
        this.bz = r.data.timezone;
        this.maps.set(id, new Map(r.data.slots.map((x) => [x.time, { status: x.status, start: x.start }])));
      };
      return r;
    }

    async heartbeat(ids, multi) {
      const s = this.s;
      const body = { date: s.date, client_id: this.cid, service_id: s.serviceId };
      if (multi) body.employee_ids = ids; else body.employee_id = ids[0];
      if (s.time && s.hold === 'selection' && ids.includes(s.assigned)) body.selected_time = s.time;
      if (this.version != null) body.known_version = this.version;
      const r = await this.call('POST', '/heartbeat', body);
      if (r.ok && multi) this.multi = true;
      r.apply = () => {
        const d = r.data;
        const mine = d.mine || {};
        this.interval = d.interval_seconds || this.interval;
        if (d.version != null) this.version = d.version;
        if (d.changed === false) return;
        const svc = this.svc();
        if (d.duration_minutes && svc.duration_minutes !== d.duration_minutes) { svc.duration_minutes = d.duration_minutes; if (this.grid) this.grid.replaceChildren(); }
        for (const x of multi ? d.staff : [{ ...d, employee_id: ids[0] }]) {
          const m = this.maps.get(x.employee_id) || new Map();
          const [booked, locked, busy, times] = [x.booked, x.locked, x.processing, x.times || m.keys()].map((l) => new Set(l));
          const own = mine.employee_id == null || mine.employee_id === x.employee_id ? mine.time : null;
          for (const t of times) if (!m.has(t)) this.reload = 1; // new times: /availability at once
          for (const [t, v] of m) {
            if (!times.has(t) || Date.parse(v.start) <= Date.parse(d.server_time)) m.delete(t);
            else v.status = booked.has(t) ? 'booked' : t === own ? 'mine' : locked.has(t) ? 'locked' : busy.has(t) ? 'processing' : 'available';
          }
        }
      };
      return r;
    }

    check() {
      const s = this.s;
      if (!s.time || this.pending) return;
      const st = this.statusOf(s.assigned, s.time);
      if (st === 'available') this.reacquire(s.step === 'time' ? 'selection' : 'lock');
      else if (st !== 'mine') this.lost(st === null ? 'gone' : st === 'booked' ? 'slot_taken' : 'slot_held');
    }

    async reacquire(kind) {
      const s = this.s;
      const time = s.time;
      this.busy(true);
      const r = await this.call('POST', '/slots/' + (kind === 'lock' ? 'lock' : 'select'), this.holdBody(time, s.assigned));
      this.busy(false);
      if (s.time !== time) return;
      if (r.ok) { if (kind === 'lock') this.locked(r); else this.held(time, s.assigned, kind); this.paint(); this.nav(); } else if (TIME_ERRORS.includes(r.error.code)) this.lost(r.error.code);
    }
  }

  let count = 0;
  function init(el) {
    for (const host of el ? [el] : document.querySelectorAll('div[data-appointease],section[data-appointease]')) {
      if (!host.appointease) host.appointease = new Widget(host, count++);
    }
  }

  window.AppointEase = { init };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => init()); else init();
})();
