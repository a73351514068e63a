// Billing contacts: partners manage their own parties' contacts; operators any party's.
import type Router from '@koa/router';
import { html, seg } from '../html.ts';
import { assertParty, audit, redirect, render, requireUser, scopeOf, state } from '../context.ts';
import { addContact, listContacts, removeContact } from '../../billing/contacts.ts';
import { normaliseParty } from '../../billing/tracking.ts';

export function contactRoutes(router: Router) {
  router.get('/contacts', async function contacts(ctx) {
    const s = state(ctx);
    const user = requireUser(ctx);
    const rows = await listContacts(s.deps.db, scopeOf(user));
    render(
      ctx,
      'Billing contacts',
      html`<p>Statements and payment reminders are emailed to these addresses.</p>
${rows.length ? html`<div class="table-wrap"><table><thead><tr><th scope="col">Party</th><th scope="col">Email</th><th scope="col" class="hide-sm">Name</th><th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>${rows.map((c) => html`<tr><td>${c.party}</td><td>${c.email}</td><td class="hide-sm">${c.name ?? ''}</td><td><form method="post" action="/portal/contacts/${seg(c.id)}/delete" class="inline"><input type="hidden" name="_csrf" value="${s.csrf}"><input type="hidden" name="party" value="${c.party}"><button type="submit" class="secondary" aria-label="Remove ${c.email}">Remove</button></form></td></tr>`)}</tbody></table></div>` : html`<p class="muted">No billing contacts yet: statements are not emailed to anyone.</p>`}
<form method="post" action="/portal/contacts" class="card" aria-labelledby="add-h"><h2 id="add-h">Add a contact</h2><input type="hidden" name="_csrf" value="${s.csrf}">
${user.isAdmin ? html`<label for="party">Party (CC-PID)</label><input id="party" name="party" type="text" required pattern="[A-Za-z0-9]{2}-[A-Za-z0-9]{3}">` : user.parties.length > 1 ? html`<label for="party">Party</label><select id="party" name="party">${user.parties.map((p) => html`<option>${p}</option>`)}</select>` : html`<input type="hidden" name="party" value="${user.parties[0]}">`}
<label for="email">Email</label><input id="email" name="email" type="email" required>
<label for="name">Name (optional)</label><input id="name" name="name" type="text" maxlength="200">
<button type="submit">Add contact</button></form>`,
      '/portal/contacts',
    );
  });

  router.post('/contacts', async function add(ctx) {
    const s = state(ctx);
    const user = requireUser(ctx);
    const party = normaliseParty(s.form.party ?? '');
    assertParty(user, party);
    const contact = await addContact(s.deps.db, { party, email: s.form.email ?? '', name: s.form.name, actor: `portal:${user.email}` });
    await audit(ctx, 'contact.add', party, { email: contact.email });
    redirect(ctx, '/portal/contacts?done=contact');
  });

  router.post('/contacts/:id/delete', async function remove(ctx) {
    const s = state(ctx);
    const user = requireUser(ctx);
    const party = normaliseParty(s.form.party ?? '');
    assertParty(user, party);
    await removeContact(s.deps.db, { party, id: ctx.params.id, actor: `portal:${user.email}` });
    await audit(ctx, 'contact.remove', party, { id: ctx.params.id });
    redirect(ctx, '/portal/contacts?done=contact');
  });
}
