// ticketfakes dashboard: the journal live, the state per vendor, the control-plane knobs.
// Every value reaches the page through textContent (never as markup); every fetch is relative to this
// page's own location, so the page works under any prefix (the control plane's ui, or a namespace's).
"use strict";

const BASE = location.pathname.replace(/\/ui\/?$/, "/");
// A namespace's page (under /ns/{name}/) shows that namespace; any other address, the namespace `default`.
const NAMESPACE = decodeURIComponent((location.pathname.match(/\/ns\/([^/]+)\/_admin\//) || [null, "default"])[1]);
// The fakes this server runs, in the registry's order: the server writes their names into the page.
const FAKES = new Set(document.body.dataset.fakes.split(" ").filter(Boolean));
const MAX_ROWS = 1000;
const MAX_STATE_ROWS = 500; // per table: a state of 100k tickets stays a page a browser can draw
const byId = (id) => document.getElementById(id);

let lastId = 0;
let entries = new Map(); // id -> journal entry
let polling = false;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function say(message, isError) {
  const status = byId("status");
  status.textContent = message;
  status.className = isError ? "error" : "";
}

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(BASE + path, options);
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const text = data && data.error ? data.error : `HTTP ${response.status}`;
    throw new Error(`${method} ${path}: ${text}`);
  }
  return data;
}

// ---- tabs ----------------------------------------------------------------------------------------
function showTab(name) {
  for (const tab of document.querySelectorAll(".tab")) {
    const selected = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(selected));
    byId(tab.dataset.tab).hidden = !selected;
  }
  if (name === "state") loadState();
  if (name === "controls") loadControls();
}

// ---- journal -------------------------------------------------------------------------------------
function filters() {
  const params = new URLSearchParams();
  const vendor = byId("f-vendor").value;
  if (vendor && vendor !== "fakes") params.set("vendor", vendor);
  if (byId("f-status").value) params.set("status_class", byId("f-status").value);
  if (byId("f-path").value) params.set("path", byId("f-path").value);
  return params;
}

function shown(entry) {
  return byId("f-vendor").value !== "fakes" || FAKES.has(entry.vendor);
}

function clock(ms) {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}

function badges(entry) {
  const cell = el("td", { class: "badges" });
  const add = (text, kind, title) => cell.append(el("span", { class: `badge ${kind}`, title }, text));
  if (entry.replay) add("replay", "replay", "answered by an idempotent replay");
  if (entry.fault) add("fault", "fault", "answered by an injected fault rule");
  if (entry.rate_limited) add("rate limit", "rate", "refused by a published rate limit");
  if (entry.rule) add(entry.rule.name, "rule", entry.rule.explanation);
  if (entry.warnings.length) add(`${entry.warnings.length} warning${entry.warnings.length > 1 ? "s" : ""}`, "warn",
    entry.warnings.map((w) => w.message).join("\n"));
  return cell;
}

function row(entry) {
  const statusClass = `s${String(entry.status)[0]}`;
  const tr = el("tr", { tabindex: "0", "data-id": String(entry.id), class: statusClass,
                        "aria-label": `request ${entry.id}: ${entry.method} ${entry.path} ${entry.status}` },
    el("td", {}, entry.id),
    el("td", { title: String(entry.at_ms) }, clock(entry.at_ms)),
    el("td", { title: new Date(entry.wall_ms).toString() }, new Date(entry.wall_ms).toLocaleTimeString()),
    el("td", {}, entry.vendor),
    el("td", {}, entry.method),
    el("td", { class: "path" }, entry.path + (entry.query ? `?${entry.query}` : "")),
    el("td", { class: "status" }, entry.status),
    el("td", { class: "num" }, entry.duration_ms.toFixed(1)),
    badges(entry));
  tr.addEventListener("click", () => openDetail(entry.id));
  tr.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); openDetail(entry.id); }
    if (event.key === "ArrowDown" && tr.nextElementSibling) tr.nextElementSibling.focus();
    if (event.key === "ArrowUp" && tr.previousElementSibling) tr.previousElementSibling.focus();
  });
  return tr;
}

async function poll() {
  if (polling) return;
  polling = true;
  try {
    const params = filters();
    params.set("after", String(lastId));
    params.set("limit", "500");
    const data = await api("GET", `requests?${params}`);
    const fresh = data.requests.filter(shown);
    if (data.requests.length) lastId = Math.max(lastId, data.requests[0].id);
    const body = document.querySelector("#requests tbody");
    for (const entry of fresh.reverse()) {
      entries.set(entry.id, entry);
      body.prepend(row(entry));
    }
    while (body.rows.length > MAX_ROWS) {
      const last = body.rows[body.rows.length - 1];
      entries.delete(Number(last.dataset.id));
      last.remove();
    }
    byId("empty-journal").hidden = body.rows.length > 0;
  } catch (error) {
    say(String(error.message || error), true);
  } finally {
    polling = false;
  }
}

function restartJournal() {
  lastId = 0;
  entries = new Map();
  document.querySelector("#requests tbody").replaceChildren();
  poll();
}

function pretty(text) {
  if (text === null || text === undefined) return "(no body)";
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

function fillHeaders(table, pairs) {
  table.tBodies[0].replaceChildren(...pairs.map(([name, value]) =>
    el("tr", {}, el("th", { scope: "row" }, name), el("td", {}, value))));
}

function fillList(box, items, render) {
  box.hidden = items.length === 0;
  box.querySelector("ul").replaceChildren(...items.map((item) => el("li", {}, ...render(item))));
}

function openDetail(id) {
  const entry = entries.get(id);
  if (!entry) return;
  byId("detail").hidden = false;
  byId("detail-title").textContent = `#${entry.id} ${entry.method} ${entry.path} -> ${entry.status}`;
  byId("detail-rule").hidden = !entry.rule;
  byId("rule-name").textContent = entry.rule ? entry.rule.name : "";
  byId("rule-explanation").textContent = entry.rule ? entry.rule.explanation : "";
  fillList(byId("detail-warnings"), entry.warnings, (w) => [el("code", {}, w.code), " ", w.message]);
  fillList(byId("detail-validation"), entry.validation_messages, (m) => [m]);
  fillList(byId("detail-entities"), entry.entities, (e) => [
    `${e.action} ${e.vendor} ${e.kind} `,
    el("a", { href: `#state:${e.vendor}:${e.id}`, onclick: (event) => { event.preventDefault(); findInState(e.vendor, e.id); } }, e.id),
  ]);
  byId("detail-curl").textContent = entry.curl;
  fillHeaders(byId("detail-req-headers"), entry.request_headers);
  fillHeaders(byId("detail-res-headers"), entry.response_headers);
  byId("detail-req-body").textContent = pretty(entry.request_body);
  byId("detail-res-body").textContent = pretty(entry.response_body);
  byId("detail-title").setAttribute("tabindex", "-1");
  byId("detail-title").focus();
}

// ---- state ---------------------------------------------------------------------------------------
function findInState(vendor, id) {
  byId("s-vendor").value = vendor;
  byId("s-search").value = id;
  showTab("state");
}

function searchLink(text) {
  if (text === null || text === undefined || text === "") return "";
  return el("a", { href: "#", onclick: (event) => { event.preventDefault(); byId("s-search").value = String(text); loadState(); } }, text);
}

// A cell is a plain value, or {text, link: true} for a value that searches the state when clicked.
const isLink = (c) => c !== null && typeof c === "object";
const cellText = (c) => String(isLink(c) ? c.text : (c ?? ""));

function table(caption, headings, rows) {
  const query = byId("s-search").value.trim().toLowerCase();
  const kept = rows.filter((cells) => !query || cells.some((c) => cellText(c).toLowerCase().includes(query)));
  const tbody = el("tbody", {}, ...kept.slice(0, MAX_STATE_ROWS).map((cells) => el("tr", {}, ...cells.map((c) =>
    el("td", {}, isLink(c) ? searchLink(c.text) : cellText(c))))));
  const count = `${kept.length}${kept.length === rows.length ? "" : ` of ${rows.length}`}`;
  const cut = kept.length > MAX_STATE_ROWS ? `; the first ${MAX_STATE_ROWS} shown, search to narrow` : "";
  return el("table", { class: "state" },
    el("caption", {}, `${caption} (${count}${cut})`),
    el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", { scope: "col" }, h)))), tbody);
}

const link = (text) => ({ text, link: true });

function talqueTables(s) {
  const profiles = new Map(s.profiles.map((p) => [`${p.org_id}|${String(p.email).toLowerCase()}`, p.id]));
  const tickets = s.tickets.map((t) => {
    const email = t.posted.email || "";
    const name = [t.posted.firstName, t.posted.lastName].filter(Boolean).join(" ");
    return [link(t.org_id), t.provider, link(t.org_ticket_id), t.ticket_id, link(email), name,
      (t.posted.tickets || []).join(", "), t.check_ins.length + (t.is_check_in_reset ? " (reset)" : ""),
      link(profiles.get(`${t.org_id}|${email.toLowerCase()}`) || ""), link(t.purchase_order_id || "")];
  });
  return [
    table("Tickets per org and provider", ["org", "provider", "orgTicketId", "extTicketId", "holder e-mail", "name",
      "ticket types", "check-ins", "profile", "purchase order"], tickets),
    table("Profiles", ["profile", "org", "e-mail"], s.profiles.map((p) => [link(p.id), link(p.org_id), link(p.email)])),
    table("Purchase orders", ["id", "org", "provider", "extPurchaseId", "e-mail"],
      s.purchase_orders.map((o) => [link(o.id), link(o.org_id), o.provider, o.ext_purchase_id, link(o.person.email || "")])),
  ];
}

function gomryTables(s) {
  const holds = (a) => a.status !== "rejected" && a.status !== "deleted";
  const contacts = new Map(s.contacts.map((c) => [c.id, c]));
  const used = (key, id) => s.attendees.filter((a) => holds(a) && a[key] === id).length;
  const events = s.events.map((e) => [link(e.id), e.org_id, e.name, `${used("event_id", e.id)} / ${e.capacity ?? "∞"}`]);
  const classes = s.ticket_classes.map((c) => [link(c.id), link(c.event_id), c.name,
    `${used("ticket_class_id", c.id)} / ${c.quantity_total ?? "∞"}`, c.requires_approval ? "yes" : "no"]);
  const attendees = s.attendees.map((a) => {
    const contact = contacts.get(a.contact_id) || {};
    return [link(a.id), link(a.event_id), link(a.ticket_class_id), a.status, link(contact.email || ""),
      [a.first_name, a.last_name].filter(Boolean).join(" "), link(a.contact_id), a.payment_id, a.payment_method];
  });
  return [
    table("Events: seats used / capacity", ["event", "org", "name", "seats"], events),
    table("Ticket classes: seats used / quantity_total", ["class", "event", "name", "seats", "approval"], classes),
    table("Attendees", ["id", "event", "class", "status", "e-mail", "name", "contact", "payment", "method"], attendees),
  ];
}

function planhatTables(s) {
  const companies = new Map(s.companies.map((c) => [c.id, c]));
  const users = new Map(s.endUsers.map((u) => [u.id, u]));
  const tickets = s.tickets.map((t) => {
    const company = companies.get(t.companyId) || {};
    const user = users.get(t.endUserId) || {};
    return [link(t._id), link(t.sourceId || ""), link(t.email), link(t.companyId), company.name || t.companyName || "",
      link(t.endUserId), user.name || "", t.status || "", t.title || ""];
  });
  return [
    table("Tickets", ["_id", "sourceId", "e-mail", "company", "company name", "end user", "end user name", "status", "title"], tickets),
    table("Companies", ["id", "name", "externalId"], s.companies.map((c) => [link(c.id), c.name, link(c.externalId)])),
    table("End users", ["id", "e-mail", "company", "name"], s.endUsers.map((u) => [link(u.id), link(u.email), link(u.companyId), u.name || ""])),
  ];
}

// A fake the page has no tables for: its dump, pretty-printed.
function dumpView(vendor, dump) {
  return [el("h3", {}, `${title(vendor)}: state dump`), el("pre", { class: "dump" }, JSON.stringify(dump, null, 2))];
}

// What the page knows of the built-in fakes beyond their names: a title, the published rate limit in words
// and the tables their state is drawn in. Any other fake shows by its name, its state as JSON.
const KNOWN = {
  talque: { title: "talque", tables: talqueTables },
  gomry: { title: "Gomry", limit: "60 per 10 s per API key", tables: gomryTables },
  planhat: { title: "Planhat", limit: "200 per minute per token", tables: planhatTables },
};
const known = (vendor) => (Object.hasOwn(KNOWN, vendor) ? KNOWN[vendor] : {});
const title = (vendor) => known(vendor).title || vendor;

async function loadState() {
  const vendor = byId("s-vendor").value;
  if (!vendor) return;
  try {
    const dump = await api("GET", `state/${vendor}`);
    const tables = known(vendor).tables;
    byId("state-view").replaceChildren(...(tables ? tables(dump) : dumpView(vendor, dump)));
  } catch (error) {
    say(String(error.message || error), true);
  }
}

// ---- controls ------------------------------------------------------------------------------------
async function loadControls() {
  try {
    const [now, limits, faults] = await Promise.all([api("GET", "clock"), api("GET", "rate-limits"), api("GET", "faults")]);
    showClock(now);
    showRateLimits(limits);
    showFaults(faults.rules);
  } catch (error) {
    say(String(error.message || error), true);
  }
}

function showClock(now) {
  byId("clock-now").textContent = `${clock(now.now_ms)} (${now.now_ms} ms)${now.frozen ? ", frozen" : ""}`;
  byId("frozen").checked = now.frozen;
}

// One switch per fake with a published limit: the keys of GET ./rate-limits.
function showRateLimits(limits) {
  const box = byId("rate-limits");
  for (const [vendor, enabled] of Object.entries(limits)) {
    let input = byId(`rl-${vendor}`);
    if (!input) {
      input = el("input", { id: `rl-${vendor}`, type: "checkbox" });
      input.addEventListener("change", () => act(async () =>
        api("PUT", "rate-limits", { [vendor]: input.checked }), `${vendor} rate limit switched`));
      const limit = known(vendor).limit;
      box.append(" ", el("label", {}, input, ` ${title(vendor)}${limit ? ` (${limit})` : ""}`));
    }
    input.checked = enabled;
  }
}

let faultRules = [];

function showFaults(rules) {
  faultRules = rules;
  const body = byId("faults").tBodies[0];
  body.replaceChildren(...rules.map((rule, index) => el("tr", {},
    el("td", {}, Object.entries(rule).map(([k, v]) => `${k}=${v}`).join(", ")),
    el("td", {}, el("button", { type: "button", "aria-label": `remove rule ${index + 1}`,
      onclick: () => act(async () => showFaults((await api("PUT", "faults", { rules: faultRules.filter((_, i) => i !== index) })).rules), "rule removed") }, "Remove")))));
}

function faultFromForm() {
  const rule = {};
  const text = (id) => byId(id).value.trim();
  if (text("fault-vendor")) rule.vendor = text("fault-vendor");
  if (text("fault-method")) rule.method = text("fault-method").toUpperCase();
  if (text("fault-path")) rule.path_pattern = text("fault-path");
  for (const [id, key] of [["fault-status", "status"], ["fault-latency", "latency_ms"], ["fault-times", "times"]]) {
    if (text(id)) rule[key] = Number(text(id));
  }
  return rule;
}

async function act(action, done) {
  try {
    await action();
    say(done, false);
  } catch (error) {
    say(String(error.message || error), true);
  }
}

// The vendor choices of every form, from the fakes this server runs.
function listFakes() {
  const option = (value, text) => el("option", { value }, text);
  for (const vendor of FAKES) {
    byId("f-vendor").insertBefore(option(vendor, title(vendor)), byId("f-vendor").querySelector("[value=admin]"));
    byId("s-vendor").append(option(vendor, title(vendor)));
    byId("reset-vendor").append(option(vendor, `${title(vendor)} only`));
    byId("fault-vendor").append(option(vendor, vendor));
  }
}

function wire() {
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  byId("filters").addEventListener("submit", (event) => event.preventDefault());
  for (const id of ["f-vendor", "f-status"]) byId(id).addEventListener("change", restartJournal);
  let typing;
  byId("f-path").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(restartJournal, 300); });
  byId("clear-journal").addEventListener("click", () => act(async () => { await api("DELETE", "requests"); restartJournal(); }, "journal cleared"));
  byId("close-detail").addEventListener("click", () => { byId("detail").hidden = true; });
  byId("copy-curl").addEventListener("click", () => act(() => navigator.clipboard.writeText(byId("detail-curl").textContent), "curl line copied"));
  byId("state-form").addEventListener("submit", (event) => { event.preventDefault(); loadState(); });
  byId("s-vendor").addEventListener("change", loadState);
  byId("s-search").addEventListener("input", loadState);
  byId("reset").addEventListener("click", () => act(async () => {
    const vendor = byId("reset-vendor").value;
    await api("POST", "reset", vendor ? { vendor } : {});
    if (!vendor) restartJournal();
    await loadControls();
  }, "reset done"));
  byId("advance").addEventListener("click", () => act(async () =>
    showClock(await api("POST", "clock", { advance_ms: Number(byId("advance-ms").value) })), "clock advanced"));
  byId("frozen").addEventListener("change", () => act(async () =>
    showClock(await api("POST", "clock", { frozen: byId("frozen").checked })), "clock updated"));
  byId("fault-add").addEventListener("click", () => act(async () =>
    showFaults((await api("PUT", "faults", { rules: [...faultRules, faultFromForm()] })).rules), "rule added"));
  byId("faults-clear").addEventListener("click", () => act(async () => showFaults((await api("DELETE", "faults")).rules), "rules removed"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !byId("detail").hidden) byId("close-detail").click();
  });
}

listFakes();
wire();
poll();
setInterval(() => { if (byId("f-live").checked && !document.hidden) poll(); }, 1000);

document.getElementById("namespace").textContent = "namespace: " + NAMESPACE;
