/*
 * AppointEase booking widget: plain ES2020, no dependencies. How it works: docs/widget.md.
 *
 * Served as a bundle (appointease/assets.py BUNDLES): slot-states.js, then this file, inside
 * one strict-mode function scope (so nothing here is a global of the embedding page but
 * window.AppointEase), minified (rJSmin drops comments and whitespace only), so comments
 * here cost visitors nothing. The size budget is measured on what is served
 * (bench/widget_size.py).
 *
 * Sections: constants · helpers · elements · calendar file · the Widget class (state, requests,
 * steps and navigation, the time step, times and summaries, holds and booking, slot grid,
 * live updates) · start-up and the public API (window.AppointEase.init).
 */

/* ---------- constants ---------- */

const script = document.currentScript ||
  [...document.querySelectorAll('script[src]')].find((el) => /appointease[^/]*\.js/.test(el.src));
/** This script's URL: the stylesheet and the default API are found relative to it. */
const scriptUrl = script ? script.src : location.href;

/** The steps in order; "done" is the confirmation after step 5. */
const STEPS = ['service', 'staff', 'time', 'details', 'review', 'done'];
/**
 * Steps whose chosen day is kept live by polling (the time grid and the held time); the service,
 * staff and done steps send no heartbeat.
 */
const POLLED_STEPS = ['time', 'details', 'review'];
/** Seconds between polls while the tab is hidden (a selection may lapse; a lock is renewed). */
const HIDDEN_POLL_SECONDS = 30;
/** Each delay between polls varies by ±20 % so tabs opened together do not poll together. */
const POLL_JITTER = 0.2;
const STEP_TITLES = {
  service: 'Choose a service', staff: 'Who would you like to see?', time: 'Pick a day and time',
  details: 'Your details', review: 'Review and confirm', done: 'You’re booked',
};
/** The word a slot button shows for its state ('available' shows none). */
const STATE_LABELS = { processing: 'in use', locked: 'held', booked: 'booked', mine: 'yours' };
/** States a visitor cannot pick. */
const UNAVAILABLE_STATES = ['processing', 'locked', 'booked'];
/**
 * How good a state is for the visitor, best first. With "any available" staff a time shows
 * its best state among the staff, and a refused hold only ever makes a state worse.
 */
const STATE_RANK = { mine: 0, available: 1, processing: 2, locked: 3, booked: 4 };
const HELD_TEXT = 'Someone is booking this — it may free up shortly.';
const GONE_TEXT = 'That time is no longer offered. Please choose another time.';
/** Texts for the API's error codes (SPEC §7); others show the server's message. */
const MESSAGES = {
  slot_taken: 'That time was just booked by someone else. Please choose another time.',
  slot_held: 'Someone else is booking that time right now — it may free up shortly. Please choose another time.',
  outside_hours: GONE_TEXT,
  gone: GONE_TEXT,
  network: 'We couldn’t reach the booking service. Check your connection and try again.',
};
/** Error codes that mean the chosen time is lost: the visitor picks another. */
const TIME_ERRORS = ['slot_taken', 'slot_held', 'past_time', 'outside_hours', 'too_far_ahead'];

const LONG_DATE = { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' };
const SHORT_DAY = { weekday: 'short', day: 'numeric', month: 'short' };
const NUMERIC_DATE = { year: 'numeric', month: '2-digit', day: '2-digit' };
const SHORT_TIME = { timeStyle: 'short' };

/* ---------- helpers ---------- */

const humanMessage = (error) =>
  MESSAGES[error.code] || error.message || 'The booking service had a problem. Please try again.';
const pad = (number) => String(number).padStart(2, '0');
/** "YYYY-MM-DD" of a Date, in the visitor's zone. */
const isoDay = (date) => `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
/** The visitor's local midnight of a "YYYY-MM-DD" day. */
const parseDay = (iso) => {
  const [year, month, day] = iso.split('-');
  return new Date(year, month - 1, day);
};
const addDays = (iso, count) => {
  const date = parseDay(iso);
  date.setDate(date.getDate() + count);
  return isoDay(date);
};
const daysBetween = (from, to) => Math.round((parseDay(to) - parseDay(from)) / 864e5);
const earlierDay = (a, b) => (a < b ? a : b);
const formatDay = (iso, options) => parseDay(iso).toLocaleDateString(undefined, options || LONG_DATE);
const shortDay = (iso) => formatDay(iso, SHORT_DAY);
/** A service's price in its currency, in the visitor's locale (the bare number if the currency is unknown). */
const formatPrice = (service) => {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: service.currency }).format(service.price);
  } catch (e) { return service.price; }
};
/** An instant as iCalendar's UTC DATE-TIME, "20261203T093000Z". */
const icsStamp = (instant) => new Date(instant).toISOString().replace(/[-:]|\.\d+/g, '');
const uuid = () => (crypto.randomUUID ? crypto.randomUUID()
  : [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => (byte + 256).toString(16).slice(1)).join(''));

/**
 * This tab's client id for widget number `index` (SPEC §4: a hold's owner), kept in
 * sessionStorage so a reload keeps its holds; a fresh one when storage is blocked.
 */
function clientId(index) {
  const key = 'appointease.client_id' + (index ? '.' + index : '');
  try {
    return sessionStorage.getItem(key) || (sessionStorage.setItem(key, uuid()), sessionStorage.getItem(key));
  } catch (e) { return uuid(); }
}

/* ---------- elements ---------- */

/**
 * Build an element. `tag` is "name" or "name.class" (class "ae-<class>"). Props: `class`,
 * `text` (textContent, never HTML), `value`, `on<event>` listeners, any other attribute
 * (true → present, null/undefined/false → left out). Children may be nested arrays;
 * null and false are skipped.
 */
function h(tag, props, ...children) {
  const [name, className] = tag.split('.');
  const element = document.createElement(name);
  if (className) element.className = 'ae-' + className;
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'text') element.textContent = value;
    else if (key === 'value') element.value = value;
    else if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) if (child != null && child !== false) element.append(child);
  return element;
}
const setOrRemoveAttribute = (element, name, value) =>
  (value ? element.setAttribute(name, value) : element.removeAttribute(name));
const button = (props, ...children) => h('button', { type: 'button', ...props }, ...children);
/** Text for screen readers only. */
const hiddenText = (text) => h('span.vh', { text });

/* ---------- calendar file ---------- */

/**
 * An iCalendar file (RFC 5545) of a confirmed appointment, for browsers whose answer has no
 * server-made one: CRLF line ends, lines folded at 75 octets.
 */
function calendarFile(appointment, title, description, host) {
  const escape = (text) => text.replace(/[\\;,]/g, '\\$&').replace(/\n/g, '\\n');
  const fold = (line) => {
    let out = '';
    let octets = 0;
    for (const char of line) {
      const encoded = encodeURIComponent(char).length;
      const size = encoded > 3 ? encoded / 3 : 1;
      if (octets + size > 75) { out += '\r\n '; octets = 1; }
      out += char;
      octets += size;
    }
    return out;
  };
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//AppointEase//Widget//EN', 'METHOD:PUBLISH', 'BEGIN:VEVENT',
    `UID:${appointment.reference}@${host}`, 'DTSTAMP:' + icsStamp(Date.now()),
    'DTSTART:' + icsStamp(appointment.start), 'DTEND:' + icsStamp(appointment.end),
    'SUMMARY:' + escape(title), 'DESCRIPTION:' + escape(description), 'END:VEVENT', 'END:VCALENDAR',
  ].map(fold).join('\r\n') + '\r\n';
}

/* ---------- state ---------- */

/** What the visitor is booking; "Book another appointment" starts a new one. */
const newBooking = () => ({
  step: 'service',
  serviceId: null,
  employeeId: null, // a staff id, or 'any'
  assignedId: null, // the staff member of the held time (with 'any': whoever had it free)
  date: null, // "YYYY-MM-DD"
  time: null, // "HH:MM" of the held time
  hold: null, // 'selection' (while choosing) or 'lock' (from the details step on), null when none
  details: { name: '', email: '', phone: '', notes: '' },
  errors: {}, // field name -> message
  lockTtl: 600, // seconds a lock lasts (the lock answer's ttl_seconds)
  appointment: null, // the POST /appointments answer
});

/**
 * Everything about a widget that changes, declared in one place.
 *
 * @param {string} today the visitor's date, "YYYY-MM-DD"
 */
const newState = (today) => ({
  booking: newBooking(),
  // catalogue, fetched once per widget
  services: null, // GET /services
  staffByService: {}, // service id -> GET /staff
  // the chosen day's slots
  slotsByStaff: new Map(), // staff id -> Map("HH:MM" -> {status, start})
  loadedKey: '', // gridKey() the slots were fully loaded for, '' for none
  businessZone: undefined, // IANA zone of the business, from the first /availability answer
  // the date strip
  stripStart: today, // first of the seven days shown
  bookableUntil: addDays(today, 90), // last bookable day (the server's bookable_until once known)
  freeByDay: new Map(), // "YYYY-MM-DD" -> free slots (GET /availability/days)
  dayCountsKey: '', // "service|staff" freeByDay holds
  dayCountsAsked: new Set(), // first days of the 28-day ranges asked for
  noDayCounts: false, // the server has no /availability/days
  // live updates
  version: null, // the last heartbeat's version (sent as known_version)
  intervalSeconds: 5, // the server's poll interval
  delaySeconds: 5, // until the next poll (longer after failures)
  selectionTtl: 0, // seconds a selection lasts; polls renew it
  failures: 0, // polls failed in a row
  lastAnswerAt: Date.now(), // ms of the last answer from the server
  lockedAt: 0, // ms the lock was taken (heartbeats don't renew locks)
  requestSeq: 0, // bumped by each hold change: an older poll's answer is dropped
  pollTimer: null,
  polling: false, // a poll is in flight
  pollAgain: false, // poll again right after the one in flight
  reloadNeeded: false, // the heartbeat listed new times: reload /availability
  multiHeartbeat: null, // whether one heartbeat for many staff works (null: not tried yet)
  stale: false, // the held time's hold may have lapsed (no answer for its TTL)
  watchedTime: null, // an unavailable time the visitor tried: say when it frees up
  // the step on screen and the request in flight
  renderToken: {}, // replaced on each step change: late answers for an old step are dropped
  pending: false, // a hold or booking request is in flight: navigation waits
  messageCode: '', // what the message line shows ('network' clears on the next answer)
  idempotencyKey: null, // of the booking request, kept while its body stays the same
  idempotencyBody: null,
});

/* ---------- the widget ---------- */

class Widget {
  /**
   * Render a widget into `host`'s open Shadow DOM and show the first step.
   *
   * @param {HTMLElement} host the embedder's element; its data-api overrides the API's URL
   * @param {number} index this widget's number on the page (element ids, client id)
   */
  constructor(host, index) {
    const uid = 'ae' + index;
    const defaultApi = new URL(scriptUrl).origin + '/api/v1';
    this.uid = uid;
    this.api = new URL(host.getAttribute('data-api') || defaultApi, location.href).href.replace(/\/+$/, '');
    this.clientId = clientId(index);
    this.today = isoDay(new Date());
    this.visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    this.state = newState(this.today);
    this.shadow = host.shadowRoot || host.attachShadow({ mode: 'open' });

    /**
     * The widget's elements. The time step adds its own (timeStep): strip, month, earlier, later,
     * nextOpen, zoneNote, dayTitle, grid (null on other steps) and dateInput.
     */
    const ui = this.ui = {
      stepNumber: h('p.stepno', 0),
      title: h('h2.title', { tabindex: '-1', id: uid + '-title' }),
      connection: h('div.conn', { role: 'status', hidden: true }),
      alert: h('div.alert', { role: 'alert' }),
      message: h('div.msg', { role: 'status', 'aria-atomic': 'true' }),
      body: h('div.body', 0),
      back: button({ class: 'ae-btn', 'data-action': 'back', text: 'Back', onclick: () => this.goBack() }),
      next: button({ class: 'ae-btn ae-primary', 'data-action': 'next', onclick: () => this.goNext() }),
    };
    ui.bar = h('div.nav', 0, ui.connection, ui.alert, ui.message, ui.back, ui.next);
    ui.root = h('div', {
      class: 'ae', role: 'region', 'aria-labelledby': uid + '-title', 'data-connection': 'ok', hidden: true,
    },
      h('div.card', 0,
        h('div.head', 0, ui.stepNumber, ui.title), ui.body, ui.bar,
        h('p', { id: uid + '-held', hidden: true, text: HELD_TEXT }),
        h('p', { id: uid + '-booked', hidden: true, text: 'Already booked.' })));
    const stylesheet = h('link', { rel: 'stylesheet', href: new URL('appointease.css', scriptUrl).href });
    stylesheet.onload = stylesheet.onerror = () => { ui.root.hidden = false; };
    setTimeout(stylesheet.onload, 3000);
    this.shadow.replaceChildren(stylesheet, ui.root);
    // Focus scrolls keep clear of the sticky bar (scroll-margin-bottom: var(--ae-bar)).
    if (window.ResizeObserver) {
      new ResizeObserver(() => ui.root.style.setProperty('--ae-bar', ui.bar.offsetHeight + 'px')).observe(ui.bar);
    }

    // Hidden: the next poll comes after HIDDEN_POLL_SECONDS (a poll in flight schedules it when
    // it ends); visible again: a poll at once, then the server's interval.
    document.addEventListener('visibilitychange',
      () => (!document.hidden ? this.schedulePoll(true) : this.state.polling || this.schedulePoll()));
    addEventListener('pagehide', () => this.release(true));
    addEventListener('pageshow', (event) => event.persisted && this.schedulePoll(true));
    this.goTo('service', { focus: false });
  }

  /* ----- requests ----- */

  /**
   * One API request. JSON bodies go as text/plain: CORS simple requests, no preflight.
   *
   * @returns {Promise<{ok: boolean, status: number, data?: *, error?: {code: string}, retryAfter?: number}>}
   *   status 0 when the service could not be reached; a 304 is `{ok: true, data: {changed: false}}`
   */
  async request(method, path, body, headers) {
    const { state } = this;
    let response;
    let data = null;
    try {
      response = await fetch(this.api + path, {
        method, mode: 'cors', credentials: 'omit', headers: { Accept: 'application/json', ...headers },
        body: body && JSON.stringify(body),
      });
    } catch (e) { return { ok: false, status: 0, error: { code: 'network' } }; }
    state.lastAnswerAt = Date.now();
    if (state.messageCode === 'network') this.showMessage('');
    if (response.status === 304) return { ok: true, status: 304, data: { changed: false } };
    try { data = await response.json(); } catch (e) { /* 204: no body */ }
    if (response.ok) return { ok: true, status: response.status, data };
    const error = (data && data.error) || { code: response.status >= 500 ? 'server' : 'http' };
    return { ok: false, status: response.status, error, retryAfter: Number(response.headers.get('Retry-After')) || 0 };
  }

  /** GET `path` with query `params`; resolves to the answer's data, rejects with the failed result. */
  async getJson(path, params) {
    const result = await this.request('GET', path + '?' + new URLSearchParams(params));
    if (!result.ok) throw result;
    return result.data;
  }

  /** The body of POST /slots/select and /slots/lock for `time` with staff member `employeeId`. */
  holdBody(time, employeeId) {
    const { booking } = this.state;
    return {
      date: booking.date, time, employee_id: employeeId, service_id: booking.serviceId, client_id: this.clientId,
    };
  }

  /**
   * Show `text` in the bar: kind 'alert' in the alert region, any other ('info', 'ok', 'error')
   * in the status line; `code` is remembered (a 'network' message clears on the next answer).
   */
  showMessage(text, kind = 'info', code) {
    const { ui } = this;
    const isAlert = kind === 'alert';
    ui.alert.textContent = isAlert ? text : '';
    ui.message.textContent = isAlert ? '' : text || '';
    ui.message.setAttribute('data-kind', kind);
    this.state.messageCode = text ? code || kind : '';
  }

  /* ----- steps and navigation ----- */

  /**
   * Show `step` (one of STEPS) and poll at once if it is polled.
   *
   * @param {{message?: string, kind?: string, focus?: boolean}} options a message to show; focus
   *   false keeps focus where it is (else the step's title takes it)
   */
  goTo(step, options = {}) {
    const { state, ui } = this;
    state.booking.step = step;
    state.renderToken = {};
    ui.root.setAttribute('data-step', step);
    ui.title.textContent = STEP_TITLES[step];
    ui.stepNumber.textContent = step === 'done' ? 'Booking complete' : `Step ${STEPS.indexOf(step) + 1} of 5`;
    this.showMessage(options.message, options.kind);
    ui.grid = null;
    ui.body.replaceChildren();
    ui.body.removeAttribute('aria-busy');
    this[step + 'Step']();
    this.renderNav();
    if (options.focus !== false) ui.title.focus();
    this.stopPolling();
    this.schedulePoll(true);
  }

  /** Label, show and enable the Back and Next buttons for the current step. */
  renderNav() {
    const { state, ui } = this;
    const { booking } = state;
    const label = {
      time: booking.time && booking.hold && 'Continue', details: 'Review booking', review: 'Confirm booking',
      done: 'Book another appointment',
    }[booking.step];
    ui.back.hidden = booking.step === 'service' || booking.step === 'done';
    ui.back.disabled = ui.next.disabled = state.pending;
    if (!state.pending || booking.step !== 'review') {
      const when = booking.step === 'time' && label
        ? h('span.when', 0, h('span.dash', { text: ' – ' }), this.chosenWhen()) : '';
      ui.next.replaceChildren(label || '', when);
    }
    ui.next.hidden = !label;
    ui.next.setAttribute('data-action', { review: 'confirm', done: 'restart' }[booking.step] || 'next');
  }

  goBack() {
    const { state } = this;
    const { booking } = state;
    if (state.pending) return;
    if (booking.step === 'time') this.clearTime();
    else if (booking.step === 'details' && booking.hold === 'lock') this.reacquire('selection');
    this.goTo(STEPS[STEPS.indexOf(booking.step) - 1]);
  }

  goNext() {
    const { state } = this;
    const { step } = state.booking;
    if (step === 'time') this.toDetails();
    else if (step === 'details') this.toReview();
    else if (step === 'review') this.confirm();
    else {
      state.booking = newBooking();
      state.loadedKey = '';
      this.goTo('service');
    }
  }

  /**
   * Show placeholders in the step's body until `build` resolves to its content (a node or
   * nodes); a failed request shows its message and a Try again button. Dropped if the
   * step changed meanwhile.
   */
  async renderLoading(build) {
    const { state, ui } = this;
    const token = state.renderToken;
    ui.body.setAttribute('aria-busy', 'true');
    ui.body.append(hiddenText('Loading…'), h('div.list', 0, [1, 2, 3].map(() => h('span.skel', 0))));
    let nodes;
    try { nodes = await build(); } catch (failure) {
      nodes = [h('p.error', { text: humanMessage(failure.error || {}) }),
        button({
          class: 'ae-btn', 'data-action': 'retry', text: 'Try again', onclick: () => this.goTo(state.booking.step),
        })];
    }
    if (token !== state.renderToken) return;
    ui.body.replaceChildren(...[].concat(nodes));
    ui.body.removeAttribute('aria-busy');
  }

  /** A pressable choice (service or staff member): its name and a detail line. */
  choiceButton(attributes, pressed, name, detail, onclick) {
    return button({ class: 'ae-choice', 'aria-pressed': String(pressed), onclick, ...attributes },
      h('span.name', { text: name }), detail && h('span.meta', { text: ' ' + detail }));
  }

  /** Give up the held time (releasing its hold) before a new service, staff member or day. */
  clearTime() {
    this.release(false);
    const { booking } = this.state;
    booking.time = null;
    if (booking.employeeId === 'any') booking.assignedId = null;
  }

  /** Arrow keys, Home and End move focus among `group`'s buttons (one tab stop: setTabStop). */
  rovingFocus(group) {
    group.addEventListener('keydown', (event) => {
      const items = [...group.querySelectorAll('button')];
      const index = items.indexOf(this.shadow.activeElement);
      const columns = items.filter((item) => item.offsetTop === items[0].offsetTop).length;
      const target = {
        ArrowRight: index + 1, ArrowLeft: index - 1, ArrowDown: index + columns, ArrowUp: index - columns,
        Home: 0, End: items.length - 1,
      }[event.key];
      if (index < 0 || !items[target]) return;
      event.preventDefault();
      items[target].focus();
      this.setTabStop(group);
    });
    return group;
  }

  /** Make one of `group`'s buttons its tab stop: the focused, else the pressed, else the first enabled one. */
  setTabStop(group) {
    const items = [...group.querySelectorAll('button')];
    const focused = this.shadow.activeElement;
    const current = items.find((item) => item === focused)
      || items.find((item) => item.getAttribute('aria-pressed') === 'true')
      || items.find((item) => !item.hasAttribute('aria-disabled')) || items[0];
    items.forEach((item) => { item.tabIndex = item === current ? 0 : -1; });
  }

  /** Step 1: the services (GET /services, once). */
  serviceStep() {
    this.renderLoading(async () => {
      const { state } = this;
      state.services = state.services || await this.getJson('/services', {});
      if (!state.services.length) return h('p.empty', { text: 'No services can be booked online right now.' });
      return h('div.list', 0, state.services.map((service) => {
        const detail = `${service.duration_minutes} min${service.price ? ' · ' + formatPrice(service) : ''}`;
        const pressed = service.id === state.booking.serviceId;
        return this.choiceButton({ 'data-service-id': service.id }, pressed, service.name, detail, () => {
          if (service.id !== state.booking.serviceId) {
            this.clearTime();
            Object.assign(state.booking, { serviceId: service.id, employeeId: null, date: null });
          }
          this.goTo('staff');
        });
      }));
    });
  }

  /** The staff members offering the chosen service (as GET /staff listed them). */
  staffForService() {
    const { state } = this;
    return state.staffByService[state.booking.serviceId] || [];
  }

  /** Step 2: "Any available" and the staff offering the service (GET /staff, once per service). */
  staffStep() {
    this.renderLoading(async () => {
      const { state } = this;
      const { serviceId } = state.booking;
      const staff = state.staffByService[serviceId] =
        state.staffByService[serviceId] || await this.getJson('/staff', { service_id: serviceId });
      if (!staff.length) return h('p.empty', { text: 'Nobody offers this service right now.' });
      const pick = (employeeId) => () => {
        if (employeeId !== state.booking.employeeId) {
          this.clearTime();
          Object.assign(state.booking,
            { employeeId, assignedId: employeeId === 'any' ? null : employeeId, date: null });
        }
        this.goTo('time');
      };
      const chosen = state.booking.employeeId;
      return h('div.list', 0,
        this.choiceButton({ 'data-employee-id': 'any' }, chosen === 'any', 'Any available', 'First free staff member',
          pick('any')),
        staff.map((member) => this.choiceButton({ 'data-employee-id': member.id }, member.id === chosen, member.name,
          '', pick(member.id))));
    });
  }

  /* ----- the time step: date strip and slot grid ----- */

  /** Step 3: a strip of seven days, another-date input, and the chosen day's times. */
  timeStep() {
    const { state, ui, uid } = this;
    const { booking } = state;
    const who = booking.employeeId === 'any' ? 'any available staff member' : this.staffName(booking.employeeId);
    const link = (action, text, onclick) => button({ class: 'ae-link', 'data-action': action, text, onclick });
    ui.strip = this.rovingFocus(h('div.days', { role: 'group', 'aria-label': 'Days' }));
    ui.month = h('span.month', 0);
    ui.earlier = link('earlier', '‹ Earlier', () => this.shiftStrip(-7));
    ui.later = link('later', 'Later ›', () => this.shiftStrip(7));
    ui.nextOpen = h('p');
    ui.zoneNote = h('p.tz', 0);
    ui.dayTitle = h('h3.day-title', { id: uid + '-times' });
    ui.grid = this.rovingFocus(h('div.slots', { role: 'group', 'aria-labelledby': uid + '-times' }));
    const input = ui.dateInput = h('input', {
      type: 'date', id: uid + '-date', name: 'date', min: this.today, max: state.bookableUntil, value: booking.date,
    });
    input.onchange = () => input.value >= input.min && input.value <= input.max && this.pickDay(input.value);
    state.dayCountsAsked = new Set();
    ui.body.append(who ? h('p.context', { text: 'With ' + who }) : '',
      h('div.strip-head', 0, ui.earlier, ui.month, ui.later), ui.strip, ui.nextOpen,
      h('p.other', 0, h('label', { for: input.id, text: 'Another date ' }), input),
      ui.zoneNote, ui.dayTitle, ui.grid);
    if (booking.date) this.pickDay(booking.date, true);
    else this.pickFirstOpenDay(state.stripStart = this.today);
  }

  /** Pick the first day from `from` with a free time (28 days of counts at a time), else `from`. */
  async pickFirstOpenDay(from) {
    const { state } = this;
    const token = state.renderToken;
    for (let day = from; day <= state.bookableUntil && !state.noDayCounts; day = addDays(day, 28)) {
      await this.loadDayCounts(day);
      if (token !== state.renderToken || state.booking.date) return;
      const open = [...state.freeByDay.keys()].sort().find((known) => known >= from && state.freeByDay.get(known) > 0);
      if (open) return this.pickDay(open);
    }
    this.pickDay(from);
  }

  /** Fetch the free-slot counts of the 28 days from `from` (GET /availability/days), once per range. */
  async loadDayCounts(from) {
    const { state } = this;
    const { booking } = state;
    const key = `${booking.serviceId}|${booking.employeeId}`;
    if (key !== state.dayCountsKey) {
      state.freeByDay = new Map();
      state.dayCountsKey = key;
      state.dayCountsAsked = new Set();
    }
    if (state.noDayCounts || state.dayCountsAsked.has(from) || from > state.bookableUntil) return;
    state.dayCountsAsked.add(from);
    const query = { from, to: earlierDay(addDays(from, 27), state.bookableUntil), service_id: booking.serviceId };
    if (booking.employeeId !== 'any') query.employee_id = booking.employeeId;
    const result = await this.request('GET', '/availability/days?' + new URLSearchParams(query));
    if (result.ok) {
      state.bookableUntil = this.ui.dateInput.max = result.data.bookable_until || state.bookableUntil;
      for (const day of result.data.days) if (key === state.dayCountsKey) state.freeByDay.set(day.date, day.free);
    } else if (result.status === 404 || result.status === 405) state.noDayCounts = true;
  }

  /** Load the counts from `from` if not yet asked for, then repaint the strip. */
  ensureDayCounts(from) {
    const { state } = this;
    if (!state.noDayCounts && !state.dayCountsAsked.has(from) && from <= state.bookableUntil) {
      this.loadDayCounts(from).then(() => this.paintStrip());
    }
  }

  /** Move the strip by `days` (±7), within today … the last bookable day. */
  shiftStrip(days) {
    const { state } = this;
    const start = earlierDay(addDays(state.stripStart, days), addDays(state.bookableUntil, -6));
    state.stripStart = start > this.today ? start : this.today;
    this.paintStrip();
  }

  /**
   * Choose `day`, show its times (at once if loaded, else placeholders until the poll answers).
   *
   * @param {string} day "YYYY-MM-DD"
   * @param {boolean} [keepStrip] keep the strip where it is if it shows `day`
   */
  pickDay(day, keepStrip) {
    const { state, ui } = this;
    const { booking } = state;
    if (day !== booking.date) {
      this.clearTime();
      booking.date = day;
    }
    if (!keepStrip || daysBetween(state.stripStart, day) < 0 || daysBetween(state.stripStart, day) > 6) {
      state.stripStart = addDays(this.today, Math.floor(daysBetween(this.today, day) / 7) * 7);
    }
    ui.dateInput.value = day;
    ui.dayTitle.textContent = 'Times on ' + formatDay(day, { weekday: 'long', day: 'numeric', month: 'long' });
    this.paintStrip();
    if (state.loadedKey === this.gridKey()) this.paintGrid();
    else ui.grid.replaceChildren(hiddenText('Loading times…'), ...[...Array(8)].map(() => h('span.skel', 0)));
    this.renderNav();
    this.schedulePoll(true);
  }

  /**
   * Paint the seven days of the strip (only when something shown changed: keeps focus) and
   * the "Next available" link when the strip or the chosen day has no free time.
   */
  paintStrip() {
    const { state, ui } = this;
    const { booking } = state;
    const { strip } = ui;
    if (!strip || !strip.isConnected) return;
    const days = [...Array(7)].map((_, i) => addDays(state.stripStart, i));
    const free = (day) => (day > state.bookableUntil ? 0 : state.freeByDay.get(day));
    if (days.some((day) => free(day) == null)) this.ensureDayCounts(state.stripStart);
    const signature = [booking.date, ...days, ...days.map(free)].join();
    if (signature !== strip.dataset.sig) {
      const focusedDay = strip.contains(this.shadow.activeElement) && this.shadow.activeElement.dataset.date;
      strip.dataset.sig = signature;
      ui.month.textContent = formatDay(days[3], { month: 'long', year: 'numeric' });
      ui.earlier.disabled = state.stripStart <= this.today;
      ui.later.disabled = addDays(state.stripStart, 7) > state.bookableUntil;
      strip.replaceChildren(...days.map((day) => this.dayButton(day, free)));
      const refocus = focusedDay && strip.querySelector(`[data-date="${focusedDay}"]`);
      if (refocus) refocus.focus();
      this.setTabStop(strip);
    }
    const dayEmpty = state.loadedKey === this.gridKey()
      && !this.shownSlots().some(([, status]) => status === 'available' || status === 'mine');
    const searchAfter = days.every((day) => free(day) === 0) ? days[6] : dayEmpty && booking.date;
    const known = [...state.freeByDay.keys()].sort();
    const nextOpenDay = searchAfter && known.find((day) => day > searchAfter && state.freeByDay.get(day) > 0);
    if (searchAfter && !nextOpenDay && known.length) this.ensureDayCounts(addDays(known.pop(), 1));
    if (ui.nextOpen.dataset.day !== String(nextOpenDay)) {
      ui.nextOpen.dataset.day = nextOpenDay;
      ui.nextOpen.replaceChildren(nextOpenDay ? button({
        class: 'ae-link', 'data-action': 'next-open', text: `Next available: ${shortDay(nextOpenDay)} →`,
        onclick: () => this.pickDay(nextOpenDay),
      }) : '');
    }
  }

  /** One day of the strip; `free(day)` is its free-slot count (0 none, undefined not known yet). */
  dayButton(day, free) {
    const { booking } = this.state;
    return button({
      class: 'ae-day', 'data-date': day, 'data-free': free(day), 'aria-pressed': String(day === booking.date),
      'aria-disabled': free(day) === 0 && 'true',
      onclick: () => (free(day) === 0
        ? this.showMessage(`No free times on ${shortDay(day)}.`) : this.pickDay(day, true)),
    },
    h('span.wd', { text: formatDay(day, { weekday: 'short' }) }), ' ',
    h('b', { text: parseDay(day).getDate() }), ' ',
    h('span.wd', { text: formatDay(day, { month: 'short' }) }),
    hiddenText((day === this.today ? ', today' : '') + (free(day) === 0 ? ', no free times' : '')));
  }

  /* ----- step 4 and 5: details and review ----- */

  /** A labelled form field for `booking.details[name]`, with its error if any. */
  formField(name, label, type, options = {}) {
    const id = `${this.uid}-${name}`;
    const { booking } = this.state;
    const error = booking.errors[name];
    const input = h(type === 'textarea' ? 'textarea' : 'input', {
      id, name, type: type !== 'textarea' && type, value: booking.details[name], autocomplete: options.autocomplete,
      required: options.required, rows: type === 'textarea' && 3, maxlength: options.maxLength,
      'aria-invalid': error && 'true', 'aria-describedby': error && id + '-err',
    });
    input.oninput = () => { this.state.booking.details[name] = input.value; };
    return h('div.field', 0,
      h('label', { for: id }, label, h('span.opt', { text: options.required ? ' (required)' : ' (optional)' })),
      input, error && h('p.field-error', { id: id + '-err', text: error }));
  }

  /** Step 4: what is held, and the visitor's name, email, phone and notes. */
  detailsStep() {
    const summary = this.summaryList();
    this.ui.body.append(summary, h('form.form', {
      novalidate: true,
      onsubmit: (event) => { event.preventDefault(); this.toReview(); },
    },
    this.formField('name', 'Name', 'text', { required: true, autocomplete: 'name', maxLength: 200 }),
    this.formField('email', 'Email', 'email', { required: true, autocomplete: 'email', maxLength: 254 }),
    this.formField('phone', 'Phone', 'tel', { autocomplete: 'tel', maxLength: 40 }),
    this.formField('notes', 'Notes', 'textarea', { maxLength: 2000 }),
    h('button', { hidden: true, tabindex: '-1' })));
  }

  /** Step 5: the whole booking, and how long the lock keeps the time. */
  reviewStep() {
    const minutes = Math.round(this.state.booking.lockTtl / 60);
    this.ui.body.append(this.summaryList(true),
      h('p.note', { text: `We’re holding this time for you for ${minutes} minute${minutes === 1 ? '' : 's'}.` }));
  }

  /** The confirmation: reference, summary, calendar links and the manage page. */
  doneStep() {
    const { appointment } = this.state.booking;
    const links = appointment.links || {};
    const staffName = this.staffName(appointment.employee_id);
    const title = this.chosenService().name + (staffName && ' with ' + staffName);
    const description = `Booking reference ${appointment.reference}`;
    const query = (params) => new URLSearchParams(params);
    const serverIcs = links.ics || appointment.ics_url;
    // the customers' page
    const manageUrl = links.manage || appointment.manage_url || new URL('/manage', this.api).href;
    const link = (href, text, action, extra) => h('a.btn', { href, 'data-action': action, text, ...extra });
    const newTab = { target: '_blank', rel: 'noopener' };
    const iso = (instant) => new Date(instant).toISOString();
    const { reference, start, end } = appointment;
    const localIcs = () => {
      const file = calendarFile(appointment, title, description, new URL(this.api).hostname);
      return URL.createObjectURL(new Blob([file], { type: 'text/calendar' }));
    };
    const google = {
      action: 'TEMPLATE', text: title, dates: `${icsStamp(start)}/${icsStamp(end)}`, details: description,
    };
    const outlook = { subject: title, startdt: iso(start), enddt: iso(end), body: description };
    this.ui.body.append(
      h('div.done', 0,
        h('p', { text: 'Your appointment is confirmed. Your booking reference is' }),
        h('p.reference', { 'data-reference': reference, text: reference }),
        appointment.email
          && h('p.note', { 'data-email': appointment.email, text: `An email is on its way to ${appointment.email}.` })),
      this.summaryList(true),
      h('div.cal', 0,
        link(serverIcs || localIcs(), 'Add to calendar (.ics)', 'ics', !serverIcs && { download: reference + '.ics' }),
        link('https://calendar.google.com/calendar/render?' + query(google), 'Google Calendar', 'google', newTab),
        link('https://outlook.live.com/calendar/0/action/compose?' + query(outlook), 'Outlook', 'outlook', newTab),
        link(manageUrl, 'Manage your booking', 'manage')),
      h('p.note', { text: 'To change or cancel later, use Manage your booking or the link in your email.' }));
  }

  /* ----- times and summaries ----- */

  /**
   * Format instant `at` in `zone` with Intl `options`; with `end`, a range. A range within
   * one day reads "10:00 – 10:30 AM"; one that crosses midnight in `zone` is two plain
   * times, never formatRange's dates ("12/3/2026, 11:30 PM – 12/4/2026, …").
   */
  formatInstant(at, options, zone = this.visitorZone, end) {
    const format = new Intl.DateTimeFormat(undefined, { timeZone: zone, ...options });
    if (!end) return format.format(new Date(at));
    const day = (instant) => this.formatInstant(instant, NUMERIC_DATE, zone);
    return day(at) === day(end) ? format.formatRange(new Date(at), end)
      : `${format.format(new Date(at))}\u2009–\u2009${format.format(end)}`;
  }

  /** A zone's readable name ("Central European Time"; "UTC" for UTC). */
  zoneName(zone) {
    if (/^(Etc\/)?UTC$/.test(zone)) return 'UTC';
    return new Intl.DateTimeFormat(undefined, { timeZone: zone, timeZoneName: 'longGeneric' })
      .formatToParts().find((part) => part.type === 'timeZoneName').value;
  }

  /** The UTC start (ISO 8601) of the chosen day's `time` among the shown staff, if loaded. */
  slotStart(time) {
    for (const id of this.shownStaffIds()) {
      const slot = (this.state.slotsByStaff.get(id) || new Map()).get(time);
      if (slot) return slot.start;
    }
  }

  /**
   * `time` as a range in `zone`, and its day when that is not `on` (the chosen day).
   *
   * @returns {string[]} [range] or [range, short day]; [time] while its start is unknown
   */
  timeRange(time, start = this.slotStart(time), zone = this.visitorZone,
    on = formatDay(this.state.booking.date, NUMERIC_DATE)) {
    if (!start) return [time];
    const end = Date.parse(start) + (this.chosenService().duration_minutes || 0) * 6e4;
    const range = this.formatInstant(start, SHORT_TIME, zone, end);
    return this.formatInstant(start, NUMERIC_DATE, zone) !== on
      ? [range, this.formatInstant(start, SHORT_DAY, zone)] : [range];
  }

  /** A slot's label: "10:00 – 10:30 AM", "(Fri, 4 Dec)" added when it falls on another day. */
  timeLabel(time) {
    const [range, day] = this.timeRange(time);
    return day ? `${range} (${day})` : range;
  }

  /** The held time for the Continue button: "Thu, 3 Dec, 10:00 AM". */
  chosenWhen() {
    const { booking } = this.state;
    const start = this.slotStart(booking.time);
    return start ? `${this.formatInstant(start, SHORT_DAY)}, ${this.formatInstant(start, SHORT_TIME)}` : booking.time;
  }

  /** The chosen service (as GET /services listed it), or {} before the list is known. */
  chosenService() {
    const { state } = this;
    return (state.services || []).find((service) => service.id === state.booking.serviceId) || {};
  }

  /** A staff member's name, '' when not listed. */
  staffName(id) {
    return (this.staffForService().find((member) => member.id === id) || {}).name || '';
  }

  /**
   * The booking as a description list: service, staff member, date, time (in the visitor's
   * zone, and the business's when it differs); with `withDetails` also the visitor's details.
   */
  summaryList(withDetails) {
    const { state } = this;
    const { booking } = state;
    const { details } = booking;
    const service = this.chosenService();
    const start = this.slotStart(booking.time);
    const at = (zone) => {
      const [range, day] = this.timeRange(booking.time, start, zone, start && this.formatInstant(start, NUMERIC_DATE));
      return `${range} ${this.zoneName(zone)}` + (day ? ', ' + day : '');
    };
    const time = at(this.visitorZone) + (state.businessZone !== this.visitorZone ? ` (${at(state.businessZone)})` : '');
    const withWhom = this.staffName(booking.assignedId) + (booking.employeeId === 'any' ? ' (first available)' : '');
    const rows = [['Service', `${service.name} (${service.duration_minutes} min)`], ['With', withWhom],
      ['Date', start ? this.formatInstant(start, LONG_DATE) : formatDay(booking.date)], ['Time', time]];
    if (withDetails) {
      rows.push(['Name', details.name], ['Email', details.email], ['Phone', details.phone.trim()],
        ['Notes', details.notes.trim()], ['Price', service.price && formatPrice(service)]);
    }
    return h('dl.summary', 0, rows.filter((row) => row[1])
      .map(([term, value]) => h('div', {}, h('dt', { text: term }), h('dd', { text: value }))));
  }

  /* ----- holds and booking ----- */

  /**
   * The visitor picks `time`: take a selection (POST /slots/select) with the first shown staff
   * member who has it free, trying the next one on a 409.
   */
  async pickTime(time) {
    const { state, ui } = this;
    const { booking } = state;
    const status = this.shownState(time);
    if (state.pending || !status) return;
    if (status === 'mine' && time === booking.time) return ui.next.focus({ preventScroll: true });
    if (UNAVAILABLE_STATES.includes(status)) {
      state.watchedTime = time;
      return this.showMessage(`${this.timeLabel(time)}: ${status === 'booked' ? 'already booked.' : HELD_TEXT}`);
    }
    this.setPending(true);
    let result;
    for (const employeeId of this.staffWithState(time, ['mine', 'available'])) {
      result = await this.request('POST', '/slots/select', this.holdBody(time, employeeId));
      if (result.ok) this.markHeld(time, employeeId, 'selection');
      if (result.status !== 409) break;
      this.worsenState(employeeId, time, result.error.code === 'slot_taken' ? 'booked' : 'processing');
    }
    this.setPending(false);
    this.paintGrid();
    this.renderNav();
    if (result.ok) {
      state.selectionTtl = result.data.ttl_seconds;
      this.schedulePoll();
      this.showMessage(`${this.timeLabel(time)} is held for you while you book.`, 'ok');
      ui.next.focus({ preventScroll: true });
    } else {
      this.showMessage(humanMessage(result.error), 'error', result.error.code);
      if (result.status === 409 || result.status === 422) this.schedulePoll(true);
    }
  }

  /** Set a slot's state to `status` if that is worse for the visitor (STATE_RANK). */
  worsenState(employeeId, time, status) {
    if (STATE_RANK[status] > STATE_RANK[this.slotStatus(employeeId, time)]) {
      this.setSlotStatus(employeeId, time, status);
    }
  }

  /** Record that the visitor holds `time` with `employeeId` (hold `kind`); no other slot is theirs. */
  markHeld(time, employeeId, kind) {
    const { state } = this;
    for (const slots of state.slotsByStaff.values()) {
      for (const slot of slots.values()) if (slot.status === 'mine') slot.status = 'available';
    }
    Object.assign(state.booking, { time, assignedId: employeeId, hold: kind });
    this.setSlotStatus(employeeId, time, 'mine');
    state.version = null;
  }

  /** A hold or booking request starts (true) or ends (false): navigation waits meanwhile. */
  setPending(on) {
    const { state } = this;
    state.pending = on;
    state.requestSeq++;
    this.ui.root.toggleAttribute('aria-busy', on);
    this.renderNav();
  }

  /**
   * Release the held time (POST /slots/release). When the page is `leaving`: a beacon, and the
   * wish to hold stays (a back-forward-cache restore takes it again).
   */
  release(leaving) {
    const { state } = this;
    const { booking } = state;
    if (!booking.time || !booking.hold || booking.step === 'done') return;
    const body = JSON.stringify({
      date: booking.date, time: booking.time, employee_id: booking.assignedId, client_id: this.clientId,
    });
    const url = this.api + '/slots/release';
    if (!(leaving && navigator.sendBeacon(url, body))) {
      fetch(url, { method: 'POST', credentials: 'omit', keepalive: true, body }).catch(() => {});
    }
    state.requestSeq++;
    state.version = null;
    if (!leaving) {
      booking.hold = null;
      this.setSlotStatus(booking.assignedId, booking.time, 'available');
    }
  }

  /** Continue from the time step: turn the selection into a lock (POST /slots/lock). */
  async toDetails() {
    if (this.state.pending) return;
    this.setPending(true);
    const { booking } = this.state;
    const result = await this.request('POST', '/slots/lock', this.holdBody(booking.time, booking.assignedId));
    this.setPending(false);
    if (result.ok) {
      this.lockTaken(result);
      this.goTo('details');
    } else if (TIME_ERRORS.includes(result.error.code)) this.loseTime(result.error.code);
    else this.showMessage(humanMessage(result.error), 'error', result.error.code);
  }

  /** A lock answer arrived: the held time is locked for its ttl_seconds. */
  lockTaken(result) {
    const { state } = this;
    const { booking } = state;
    this.markHeld(booking.time, booking.assignedId, 'lock');
    booking.lockTtl = result.data.ttl_seconds || 600;
    state.lockedAt = Date.now();
  }

  /** Check the details (name, email) and go to the review, or show what to fix. */
  toReview() {
    const { state } = this;
    const { booking } = state;
    const { details } = booking;
    if (state.pending) return;
    booking.errors = {};
    if (!details.name.trim()) booking.errors.name = 'Please enter your name.';
    const email = details.email.trim();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      booking.errors.email = email
        ? 'Please enter a valid email address, like name@example.com.' : 'Please enter your email address.';
    }
    if (Object.keys(booking.errors).length) this.showErrors('Please check the highlighted fields.');
    else this.goTo('review');
  }

  /** Back to the details with `text`, focus on the first invalid field. */
  showErrors(text) {
    this.goTo('details', { message: text, kind: 'error', focus: false });
    (this.ui.body.querySelector('[aria-invalid]') || this.ui.title).focus();
  }

  /**
   * Book (POST /appointments) with an Idempotency-Key that stays the same while the body
   * does, so a retried click books once.
   */
  async confirm() {
    const { state, ui } = this;
    const { booking } = state;
    const body = {
      service_id: booking.serviceId, employee_id: booking.assignedId, date: booking.date, time: booking.time,
      client_id: this.clientId, timezone: this.visitorZone,
    };
    if (state.pending) return;
    for (const name in booking.details) if (booking.details[name].trim()) body[name] = booking.details[name].trim();
    const text = JSON.stringify(body);
    if (text !== state.idempotencyBody) {
      state.idempotencyKey = uuid();
      state.idempotencyBody = text;
    }
    this.setPending(true);
    ui.next.textContent = 'Booking…';
    const result = await this.request('POST', '/appointments', body, { 'Idempotency-Key': state.idempotencyKey });
    const { error } = result;
    this.setPending(false);
    if (result.ok) {
      booking.appointment = result.data;
      booking.hold = state.idempotencyBody = null;
      return this.goTo('done');
    }
    if (TIME_ERRORS.includes(error.code)) return this.loseTime(error.code);
    booking.errors = {};
    for (const name in booking.details) {
      if (error.fields && error.fields[name]) booking.errors[name] = error.fields[name].join(' ');
    }
    if (Object.keys(booking.errors).length) return this.showErrors(humanMessage(error));
    this.showMessage(humanMessage(error) + (result.retryAfter ? ` (about ${result.retryAfter} s)` : ''),
      'error', error.code);
  }

  /** The held time is gone (error `code`): drop it and show the time step with why. */
  loseTime(code) {
    const { state } = this;
    const { booking } = state;
    if (booking.hold) this.release(false);
    booking.time = booking.hold = null;
    if (booking.employeeId === 'any') booking.assignedId = null;
    state.version = null;
    const text = MESSAGES[code] || GONE_TEXT;
    if (booking.step === 'time') {
      this.showMessage(text, 'alert');
      this.paintGrid();
      this.renderNav();
      this.schedulePoll(true);
    } else this.goTo('time', { message: text, kind: 'alert' });
  }

  /* ----- the slot grid ----- */

  /** "service|staff|day" of what the grid shows: slots loaded for another key are not shown. */
  gridKey() {
    const { booking } = this.state;
    return `${booking.serviceId}|${booking.employeeId}|${booking.date}`;
  }

  /** The staff whose times are shown: the chosen one, or every one for "any available". */
  shownStaffIds() {
    const { booking } = this.state;
    return booking.employeeId === 'any' ? this.staffForService().map((member) => member.id) : [booking.employeeId];
  }

  /** A slot's state for one staff member, null when the time is not offered. */
  slotStatus(employeeId, time) {
    const slot = (this.state.slotsByStaff.get(employeeId) || new Map()).get(time);
    return slot ? slot.status : null;
  }

  setSlotStatus(employeeId, time, status) {
    const slot = (this.state.slotsByStaff.get(employeeId) || new Map()).get(time);
    if (slot) slot.status = status;
  }

  /** The shown staff whose `time` is in one of `states`. */
  staffWithState(time, states) {
    return this.shownStaffIds().filter((id) => states.includes(this.slotStatus(id, time)));
  }

  /** The state `time` shows (its best among the shown staff), undefined when not offered. */
  shownState(time) {
    return (this.shownSlots().find(([slotTime]) => slotTime === time) || [])[1];
  }

  /** The shown times and their best state among the shown staff: [["HH:MM", state]], by time. */
  shownSlots() {
    const best = new Map();
    for (const id of this.shownStaffIds()) {
      for (const [time, slot] of this.state.slotsByStaff.get(id) || []) {
        if (!best.has(time) || STATE_RANK[slot.status] < STATE_RANK[best.get(time)]) best.set(time, slot.status);
      }
    }
    return [...best].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }

  /**
   * Paint the chosen day's slot buttons, reusing the existing ones (focus and screen readers
   * keep their place) and announcing a watched time that became free.
   */
  paintGrid() {
    const { state, ui } = this;
    const { booking } = state;
    const { grid } = ui;
    if (!grid || !grid.isConnected || state.loadedKey !== this.gridKey()) return;
    grid.setAttribute('data-date', booking.date);
    ui.zoneNote.textContent = state.businessZone !== this.visitorZone
      ? `Times are in your time zone (${this.zoneName(this.visitorZone)}); `
        + `the business is in ${this.zoneName(state.businessZone)}.`
      : '';
    const slots = this.shownSlots();
    const existing = new Map([...grid.querySelectorAll('.ae-slot')].map((old) => [old.dataset.time, old]));
    [...grid.children].forEach((child) => !existing.has(child.dataset.time) && child.remove());
    if (!slots.length) grid.append(h('p.empty', { text: 'No free times on this day.' }));
    slots.forEach(([time, status], index) => {
      const slotButton = existing.get(time)
        || button({ class: 'ae-slot', 'data-time': time, onclick: () => this.pickTime(time) },
          h('span.slot-time', { text: this.timeLabel(time) }), ' ', h('span.state', 0));
      const label = status === 'mine' && state.stale ? '' : STATE_LABELS[status] || '';
      existing.delete(time);
      if (slotButton.dataset.status !== status || slotButton.lastChild.textContent !== label) {
        if (slotButton.dataset.status && time === state.watchedTime && status === 'available') {
          this.showMessage(`${this.timeLabel(time)} is free again.`);
        }
        const unavailable = UNAVAILABLE_STATES.includes(status);
        slotButton.dataset.status = status;
        slotButton.lastChild.textContent = label;
        setOrRemoveAttribute(slotButton, 'aria-disabled', unavailable && 'true');
        setOrRemoveAttribute(slotButton, 'aria-describedby',
          unavailable && this.uid + (status === 'booked' ? '-booked' : '-held'));
      }
      slotButton.setAttribute('aria-pressed', String(status === 'mine' && time === booking.time));
      if (grid.children[index] !== slotButton) grid.insertBefore(slotButton, grid.children[index] || null);
    });
    existing.forEach((slotButton) => slotButton.remove());
    this.setTabStop(grid);
    this.paintStrip();
  }

  /* ----- live updates ----- */

  stopPolling() {
    clearTimeout(this.state.pollTimer);
  }

  /**
   * Schedule the next poll on a polled step with a day chosen: at once with `now`, else after
   * the delay ± POLL_JITTER. Visible: the delay is the server's interval (after failures the
   * back-off), shorter while a selection needs renewing. Hidden: at least HIDDEN_POLL_SECONDS,
   * so a selection may lapse (taken again on return when still free) while a lock, renewed
   * at half its ttl by pollOnce, does not lapse when its ttl exceeds 2 × 36 s.
   */
  schedulePoll(now) {
    const { state } = this;
    const { booking } = state;
    this.stopPolling();
    if (!POLLED_STEPS.includes(booking.step) || !booking.date) return;
    if (state.polling) {
      state.pollAgain = true;
      return;
    }
    const renewal = !state.failures && booking.hold === 'selection' && state.selectionTtl;
    const delay = document.hidden ? Math.max(HIDDEN_POLL_SECONDS, state.delaySeconds)
      : renewal ? Math.min(state.delaySeconds, renewal / 2) : state.delaySeconds;
    const seconds = now ? 0 : delay * (1 + POLL_JITTER * (2 * Math.random() - 1));
    state.pollTimer = setTimeout(() => this.pollOnce(), seconds * 1000);
  }

  /**
   * One poll: renew a lock at half its time (heartbeats don't renew locks), refresh the slots,
   * then back off on failures (Retry-After, else doubling up to 60 s) and show the connection.
   */
  async pollOnce() {
    const { state, ui } = this;
    const { booking } = state;
    let result;
    state.polling = true;
    try {
      if (booking.hold === 'lock' && !state.failures && Date.now() - state.lockedAt > booking.lockTtl * 500) {
        await this.reacquire('lock');
      }
      result = await this.refreshSlots();
    } finally { state.polling = false; }
    if (result) {
      const offline = !result.ok && (!result.status || result.status >= 500);
      state.failures = result.ok ? 0 : state.failures + 1;
      state.delaySeconds = result.ok ? state.intervalSeconds
        : result.retryAfter || Math.min(60, state.intervalSeconds * 2 ** (state.failures - 1));
      ui.connection.hidden = !offline;
      ui.connection.textContent = 'Reconnecting…';
      ui.root.setAttribute('data-connection', offline ? 'reconnecting' : 'ok');
      if (!result.ok && !offline && ui.grid && state.loadedKey !== this.gridKey()) {
        ui.grid.replaceChildren(h('p.error', { text: humanMessage(result.error) }));
      }
      const holdSeconds = booking.hold === 'lock' ? booking.lockTtl : state.selectionTtl || 10;
      const stale = !result.ok && !!booking.hold && Date.now() - state.lastAnswerAt > holdSeconds * 1000;
      if (stale !== state.stale) {
        state.stale = stale;
        this.paintGrid();
      }
    }
    this.schedulePoll(state.pollAgain);
    state.pollAgain = false;
  }

  /**
   * Bring the chosen day's slots up to date: GET /availability per shown staff member when not
   * loaded (or new times appeared), else heartbeats (one for all staff with "any available"
   * where the server supports employee_ids; GET /availability for the staff not held).
   *
   * @returns {Promise<?{ok: boolean}>} the failed request's result, {ok: true}, or null when the
   *   answer came too late (the day, hold or step changed meanwhile)
   */
  async refreshSlots() {
    const { state } = this;
    const { booking } = state;
    const key = this.gridKey();
    const seq = state.requestSeq;
    const full = state.loadedKey !== key || state.reloadNeeded;
    const anyStaff = booking.employeeId === 'any';
    const heartbeatId = anyStaff ? booking.assignedId : booking.employeeId;
    const ids = this.shownStaffIds();
    const oneHeartbeat = !full && anyStaff && booking.step === 'time' && state.multiHeartbeat !== false
      && ids.length <= 20;
    if (full) state.version = state.reloadNeeded = null;
    const perStaff = (id) => (id === heartbeatId ? this.sendHeartbeat([id]) : this.fetchAvailability(id));
    const requests = full ? ids.map((id) => this.fetchAvailability(id))
      : oneHeartbeat ? [this.sendHeartbeat(ids, true)]
        : (booking.step === 'time' ? ids : [heartbeatId]).map(perStaff);
    const results = await Promise.all(requests);
    if (oneHeartbeat && state.multiHeartbeat == null && results[0].status === 422) {
      state.multiHeartbeat = false;
      return this.refreshSlots();
    }
    if (key !== this.gridKey() || seq !== state.requestSeq || !POLLED_STEPS.includes(booking.step)) return null;
    const failed = results.find((result) => !result.ok);
    if (failed && failed.status === 404) state.loadedKey = '';
    if (failed) return failed;
    results.forEach((result) => result.apply());
    state.loadedKey = key;
    state.pollAgain = state.pollAgain || state.reloadNeeded;
    this.paintGrid();
    this.checkHeldTime();
    this.renderNav();
    return { ok: true };
  }

  /** GET /availability of the chosen day for staff member `id`; `result.apply()` stores it. */
  async fetchAvailability(id) {
    const { state } = this;
    const { booking } = state;
    const query = new URLSearchParams({
      date: booking.date, employee_id: id, service_id: booking.serviceId, client_id: this.clientId,
    });
    const result = await this.request('GET', '/availability?' + query);
    result.apply = () => {
      state.businessZone = result.data.timezone;
      state.slotsByStaff.set(id,
        new Map(result.data.slots.map((slot) => [slot.time, { status: slot.status, start: slot.start }])));
    };
    return result;
  }

  /**
   * POST /heartbeat for staff `ids` (`multi`: one request for all, employee_ids), renewing the
   * selection and sending known_version; `result.apply()` stores the answer.
   */
  async sendHeartbeat(ids, multi) {
    const { state } = this;
    const { booking } = state;
    const body = { date: booking.date, client_id: this.clientId, service_id: booking.serviceId };
    if (multi) body.employee_ids = ids;
    else body.employee_id = ids[0];
    if (booking.time && booking.hold === 'selection' && ids.includes(booking.assignedId)) {
      body.selected_time = booking.time;
    }
    if (state.version != null) body.known_version = state.version;
    const result = await this.request('POST', '/heartbeat', body);
    if (result.ok && multi) state.multiHeartbeat = true;
    result.apply = () => this.applyHeartbeat(result.data, ids, multi);
    return result;
  }

  /**
   * Store a heartbeat answer: each listed time's state (slotStateReader, slot-states.js), times
   * no longer offered or already begun dropped; a time not loaded yet asks for a reload.
   */
  applyHeartbeat(answer, ids, multi) {
    const { state } = this;
    const mine = answer.mine || {};
    state.intervalSeconds = answer.interval_seconds || state.intervalSeconds;
    if (answer.version != null) state.version = answer.version;
    if (answer.changed === false) return;
    const service = this.chosenService();
    if (answer.duration_minutes && service.duration_minutes !== answer.duration_minutes) {
      service.duration_minutes = answer.duration_minutes;
      if (this.ui.grid) this.ui.grid.replaceChildren();
    }
    for (const staffAnswer of multi ? answer.staff : [{ ...answer, employee_id: ids[0] }]) {
      const slots = state.slotsByStaff.get(staffAnswer.employee_id) || new Map();
      const times = new Set(staffAnswer.times || slots.keys());
      const ownTime = mine.employee_id == null || mine.employee_id === staffAnswer.employee_id ? mine.time : null;
      const stateOf = slotStateReader(staffAnswer, ownTime);
      for (const time of times) if (!slots.has(time)) state.reloadNeeded = true; // new times: /availability at once
      for (const [time, slot] of slots) {
        if (!times.has(time) || Date.parse(slot.start) <= Date.parse(answer.server_time)) slots.delete(time);
        else slot.status = stateOf(time);
      }
    }
  }

  /**
   * After a refresh: a held time that shows available lost its hold (take it again); one that
   * is not the visitor's any more is lost.
   */
  checkHeldTime() {
    const { state } = this;
    const { booking } = state;
    if (!booking.time || state.pending) return;
    const status = this.slotStatus(booking.assignedId, booking.time);
    if (status === 'available') this.reacquire(booking.step === 'time' ? 'selection' : 'lock');
    else if (status !== 'mine') {
      this.loseTime(status === null ? 'gone' : status === 'booked' ? 'slot_taken' : 'slot_held');
    }
  }

  /** Take the held time's hold again: `kind` 'lock' (POST /slots/lock) or 'selection' (/slots/select). */
  async reacquire(kind) {
    const { booking } = this.state;
    const { time } = booking;
    this.setPending(true);
    const path = '/slots/' + (kind === 'lock' ? 'lock' : 'select');
    const result = await this.request('POST', path, this.holdBody(time, booking.assignedId));
    this.setPending(false);
    if (booking.time !== time) return;
    if (result.ok) {
      if (kind === 'lock') this.lockTaken(result);
      else this.markHeld(time, booking.assignedId, kind);
      this.paintGrid();
      this.renderNav();
    } else if (TIME_ERRORS.includes(result.error.code)) this.loseTime(result.error.code);
  }
}

/* ---------- start-up and the public API ---------- */

let widgetCount = 0;

/**
 * Start a widget in `element`, or in every div[data-appointease] and section[data-appointease]
 * of the page; an element that has one keeps it. The public API: window.AppointEase.init(element?).
 */
function init(element) {
  for (const host of element ? [element]
    : document.querySelectorAll('div[data-appointease],section[data-appointease]')) {
    if (!host.appointease) host.appointease = new Widget(host, widgetCount++);
  }
}

if (window.AppointEase) window.AppointEase.init(); // loaded twice: the first copy serves
else {
  window.AppointEase = { init };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => init());
  else init();
}
