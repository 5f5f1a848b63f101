// One login, several firms: choosing which membership to act as, and switching it from the header.
// The choice lives in the session (api.js), which sends it as X-Firm on every call.

import { PAGES } from './api.js';
import { h, icon, mount } from './dom.js';
import { t } from './i18n.js';
import { focusHeading, shell } from './ui.js';

/** 'Adviseur bij Basis Boekhouding' / 'Klant bij Demo Administratiekantoor'. */
export function membershipLabel(membership) {
  return t(`firm.as_${membership.role}`, { firm: membership.firm });
}

/**
 * The membership this page (of `role`) acts as, or null when it cannot go on: then a person with
 * several memberships gets the chooser here, and one with a single membership of the other role
 * goes to that role's page.
 */
export function chosenMembership({ api, area, role, onLogout, onChosen }) {
  const current = api.session.get();
  const membership = api.session.membership();
  if (membership && membership.role === role) return membership;
  if (current.memberships.length === 1) {
    api.session.choose(current.memberships[0].tenant_id);
    location.replace(PAGES[current.memberships[0].role]);
    return null;
  }
  const { main } = shell({ area, narrow: true, signedIn: true, onLogout });
  mount(main, h('div', { class: 'login-wrap' }, firmChooser({ api, role, onChosen })));
  focusHeading(main);
  return null;
}

/** The card that lets a person choose which of their memberships to act as. */
export function firmChooser({ api, role = null, onChosen = null, lead = t('firm.choose_lead'), notice = null }) {
  const memberships = api.session.get()?.memberships || [];
  return h('section', { class: 'card login-card', 'aria-labelledby': 'choose-title' },
    h('h1', { id: 'choose-title', text: t('firm.choose_title') }),
    notice,
    h('p', { class: 'lead', text: lead }),
    h('ul', { class: 'choices' }, memberships.map((m) => h('li', {},
      h('button', { type: 'button', class: 'choice', onclick: () => actAs(api, m.tenant_id, role, onChosen) },
        h('span', { class: 'choice-title', text: membershipLabel(m) }),
        h('span', { class: 'choice-sub', text: t(`firm.to_${m.role}`) }),
        h('span', { class: 'chevron', 'aria-hidden': 'true', text: '›' }))))));
}

/** Act as the membership of `tenantId`: on this page (`onSame`) when it is of the page's role, else on its own page. */
function actAs(api, tenantId, pageRole, onSame) {
  const membership = api.session.choose(tenantId);
  if (!membership) return;
  if (membership.role === pageRole && onSame) onSame();
  else location.assign(PAGES[membership.role]);
}

/** What the header says of the firm: the switcher for a person with several memberships, else the
 * one firm's name (null when the login named none). */
export function firmInHeader(api) {
  const switcher = firmSwitcher(api);
  if (switcher) return switcher;
  const firm = api.session.membership()?.firm;
  return firm ? h('p', { class: 'firm-name', text: t('firm.current', { firm }) }) : null;
}

/** The header's firm switcher, for a person with several memberships (else null). A switch
 * loads the page afresh, so nothing of the other firm (lists, caches, an open message) stays. */
export function firmSwitcher(api) {
  const current = api.session.get();
  const chosen = api.session.membership();
  if (!current || !chosen || current.memberships.length < 2) return null;
  const menu = h('ul', { class: 'firm-menu', id: 'firm-menu', hidden: true },
    current.memberships.map((m) => h('li', {},
      h('button', {
        type: 'button', class: 'firm-option', 'aria-current': m.tenant_id === chosen.tenant_id ? 'true' : false,
        onclick: () => {
          if (m.tenant_id === chosen.tenant_id) { close(true); return; }
          api.session.choose(m.tenant_id);
          location.assign(PAGES[m.role]);
        },
      },
      m.tenant_id === chosen.tenant_id ? icon('check', 'firm-check') : h('span', { class: 'firm-check' }),
      h('span', { text: membershipLabel(m) })))));
  const toggle = h('button', {
    type: 'button', class: 'firm-toggle', 'aria-expanded': 'false', 'aria-controls': 'firm-menu',
    onclick: () => (menu.hidden ? open() : close(false)),
  },
  h('span', { class: 'visually-hidden', text: `${t('firm.switch')}: ` }),
  h('span', { class: 'firm-current', text: membershipLabel(chosen) }),
  h('span', { class: 'firm-caret', 'aria-hidden': 'true', text: '▾' }));
  const wrapper = h('div', {
    class: 'firm-switch',
    onkeydown: (event) => { if (event.key === 'Escape' && !menu.hidden) close(true); },
    // Tabbing away closes it; a click or tap elsewhere is caught by `outside` (Safari moves no focus on a click).
    onfocusout: (event) => { if (event.relatedTarget && !wrapper.contains(event.relatedTarget)) close(false); },
  }, toggle, menu);
  function outside(event) {
    if (!wrapper.contains(event.target)) close(false);
  }
  function open() {
    menu.hidden = false;
    toggle.setAttribute('aria-expanded', 'true');
    document.addEventListener('pointerdown', outside, true);
    menu.querySelector('[aria-current="true"]')?.focus();
  }
  function close(refocus) {
    menu.hidden = true;
    toggle.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', outside, true);
    if (refocus) toggle.focus();
  }
  return wrapper;
}
