/*
 * Slot states from a heartbeat answer: the one definition the booking widget
 * (appointease.js) and the manage page (manage.js) share. appointease/assets.py
 * (BUNDLES) puts this file in front of each of them in the served script.
 *
 * The server's definition is appointease/grid.py `slot_states` (SPEC §1, §4): a slot
 * overlapping an appointment is booked; the slot at the client's own hold time is
 * mine; otherwise another client's lock makes it locked and another client's
 * selection processing; else it is available. Keep the two in step.
 */

/** States a heartbeat lists times for, strongest first ('mine' is the client's own hold). */
const SLOT_STATE_PRECEDENCE = ['booked', 'mine', 'locked', 'processing'];

/**
 * Read one staff member's slot states out of a heartbeat answer.
 *
 * @param {{booked?: string[], locked?: string[], processing?: string[]}} lists
 *   the answer's (or its `staff` entry's) "HH:MM" lists; a missing list is empty
 * @param {?string} ownTime the "HH:MM" the asking client holds for this staff member, or null
 * @returns {(time: string) => string} the state of a time: a SLOT_STATE_PRECEDENCE entry or 'available'
 */
const slotStateReader = (lists, ownTime) => {
  const listed = {
    booked: lists.booked, mine: ownTime == null ? [] : [ownTime], locked: lists.locked, processing: lists.processing,
  };
  return (time) => SLOT_STATE_PRECEDENCE.find((state) => (listed[state] || []).includes(time)) || 'available';
};
