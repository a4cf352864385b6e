// The settings page: a client of the public REST API under /v1/ and of nothing else. Every
// request carries the workspace API key in the Authorization header; the key lives in this
// tab's sessionStorage only, and a HubSpot access token typed here is sent once and never kept.

const $ = (id) => document.getElementById(id);

// el builds an element; text is always set as text, never parsed as HTML.
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (v === true) e.setAttribute(k, "");
    else if (v !== false && v != null) e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c != null) e.append(c);
  }
  return e;
}

// ---- the session: workspace id and API key, in sessionStorage only ----

const SESSION = "connectflo.session";

function session() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION) || "null");
  } catch {
    return null;
  }
}

// ---- the REST API ----

// ApiError is an error answer of the API: its message, its ErrorInfo reason and metadata, and
// the BadRequest / PreconditionFailure details that list what to fix.
class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.details = Array.isArray(body?.details) ? body.details : [];
    const info = this.details.find((d) => d["@type"]?.endsWith("google.rpc.ErrorInfo")) || {};
    this.reason = info.reason || "";
    this.metadata = info.metadata || {};
  }
  detail(type) {
    return this.details.find((d) => d["@type"]?.endsWith(type));
  }
}

function authHeaders() {
  return { Authorization: `Bearer ${session()?.key ?? ""}` };
}

async function api(method, path, body, signal) {
  const headers = authHeaders();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`/v1/${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
    signal,
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { message: text };
  }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

const ws = () => `workspaces/${encodeURIComponent(session().workspace)}`;
const requestId = () => crypto.randomUUID();

// errorBox shows an API error in box: its message, then each field, scope or issue it lists.
function errorBox(box, err) {
  box.replaceChildren();
  if (!(err instanceof ApiError)) {
    box.append(el("p", { text: `The request failed: ${err.message}` }));
    return;
  }
  box.append(el("p", { text: err.message }));
  if (err.reason) box.append(el("p", { class: "muted", text: `Reason: ${err.reason}` }));
  const pf = err.detail("google.rpc.PreconditionFailure");
  if (pf?.violations?.length) {
    const title = err.reason === "HUBSPOT_MISSING_SCOPES" ? "Missing scopes:" : "To fix:";
    box.append(el("p", { text: title }),
      el("ul", { class: "missing-scopes" }, ...pf.violations.map((v) =>
        el("li", {}, el("code", { text: v.subject || v.type }), v.description ? ` — ${v.description}` : ""))));
  }
  const br = err.detail("google.rpc.BadRequest");
  if (br?.fieldViolations?.length) {
    box.append(el("ul", {}, ...br.fieldViolations.map((v) =>
      el("li", {}, el("code", { text: v.field }), ` — ${v.description}`))));
  }
}

function announce(text) {
  $("status").textContent = text;
}

// ---- modal dialogs: focus kept inside while open, given back to the opener when closed ----

const focusable = "button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [href], [tabindex]:not([tabindex='-1'])";

function openDialog(d, first) {
  d.opener = document.activeElement;
  d.showModal();
  (first || d.querySelector(focusable))?.focus();
}

for (const d of document.querySelectorAll("dialog")) {
  d.addEventListener("keydown", (e) => {
    if (e.key !== "Tab") return;
    const items = [...d.querySelectorAll(focusable)].filter((x) => x.offsetParent !== null);
    if (!items.length) return;
    const first = items[0], last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  });
  d.addEventListener("close", () => {
    for (const p of d.querySelectorAll("input[type=password]")) p.value = ""; // never kept
    const back = d.opener && document.contains(d.opener) && d.opener.offsetParent !== null ? d.opener : null;
    (back || $("connect-open")).focus();
  });
  for (const b of d.querySelectorAll("[data-close]")) b.addEventListener("click", () => d.close());
}

// ---- formatting ----

const STATUS = {
  CONNECTION_STATUS_CONNECTED: ["CONNECTED", "connected"],
  CONNECTION_STATUS_DEGRADED: ["DEGRADED", "degraded"],
  CONNECTION_STATUS_ERROR: ["ERROR", "error"],
};
const TIER = {
  ACCOUNT_TIER_FREE_OR_STARTER: "Free or Starter",
  ACCOUNT_TIER_PROFESSIONAL: "Professional",
  ACCOUNT_TIER_ENTERPRISE: "Enterprise",
  ACCOUNT_TIER_UNSPECIFIED: "Not known",
};
const KIND = {
  CREDENTIAL_KIND_PRIVATE_APP: "Private app token",
  CREDENTIAL_KIND_SERVICE_KEY: "Service Key",
  CREDENTIAL_KIND_STATIC_APP_TOKEN: "Project app static token",
  CREDENTIAL_KIND_UNKNOWN: "Not known",
};
const EVENT_STATUS = {
  TIMELINE_EVENT_STATUS_QUEUED: "Queued",
  TIMELINE_EVENT_STATUS_DELIVERED: "Delivered",
  TIMELINE_EVENT_STATUS_FAILED: "Failed",
};

// ROTATE_AFTER_DAYS is when the page reminds to rotate a token. HubSpot recommends rotating
// access tokens regularly (https://developers.hubspot.com/docs/apps/legacy-apps/private-apps/overview,
// "Rotate your access token"); six months is this page's reminder, not a HubSpot limit.
const ROTATE_AFTER_DAYS = 180;

function badge(status) {
  const [text, cls] = STATUS[status] || ["NOT CONNECTED", "none"];
  return el("span", { class: `badge ${cls}`, text });
}

function when(ts) {
  if (!ts) return "never";
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? ts : d.toLocaleString();
}

function daysSince(ts) {
  return ts ? Math.floor((Date.now() - new Date(ts).getTime()) / 86400000) : null;
}

function seconds(duration) {
  return duration ? parseFloat(duration) : null; // protobuf Duration in JSON: "0.012s"
}

function tokenAge(c) {
  const days = daysSince(c.credentialsUpdateTime);
  if (days == null) return "not known";
  const age = days === 0 ? "set today" : `${days} day${days === 1 ? "" : "s"} old`;
  return days >= ROTATE_AFTER_DAYS ? `${age} — time to rotate it: Settings › Update Credentials` : age;
}

function facts(dl, rows) {
  dl.replaceChildren();
  for (const [k, v] of rows) dl.append(el("dt", { text: k }), el("dd", {}, v));
}

// ---- screens ----

let connections = [];
let current = null; // the connection shown in detail

function show(screen) {
  for (const id of ["signin", "integrations", "detail"]) $(id).hidden = id !== screen;
  const s = session();
  $("signout").hidden = !s;
  $("who").hidden = !s;
  $("who").textContent = s ? `Workspace ${s.workspace}` : "";
}

async function signIn(e) {
  e.preventDefault();
  const workspace = $("signin-workspace").value.trim();
  const key = $("signin-key").value.trim();
  sessionStorage.setItem(SESSION, JSON.stringify({ workspace, key }));
  $("signin-error").textContent = "";
  try {
    await loadConnections();
    $("signin-key").value = "";
    show("integrations");
    announce(`Signed in to workspace ${workspace}.`);
    $("connect-open").focus();
  } catch (err) {
    sessionStorage.removeItem(SESSION);
    errorBox($("signin-error"), err);
  }
}

function signOut() {
  stopChanges();
  sessionStorage.removeItem(SESSION);
  connections = [];
  current = null;
  $("connections").replaceChildren();
  show("signin");
  announce("Signed out.");
  $("signin-workspace").focus();
}

async function loadConnections() {
  const all = [];
  let token = "";
  for (let page = 0; page < 20; page++) { // at most 20 pages of 50: the server's limit is far lower
    const r = await api("GET", `${ws()}/connections?pageSize=50${token ? `&pageToken=${encodeURIComponent(token)}` : ""}`);
    all.push(...(r.connections || []));
    token = r.nextPageToken;
    if (!token) break;
  }
  connections = all;
  renderConnections();
}

function renderConnections() {
  const list = $("connections");
  list.replaceChildren();
  if (!connections.length) {
    list.append(el("li", {}, el("h3", {}, "HubSpot ", badge("")), el("p", { text: "No HubSpot account is connected to this workspace yet." })));
    return;
  }
  for (const c of connections) {
    const dl = el("dl", { class: "facts" });
    facts(dl, [
      ["Hub id", String(c.hubId)],
      ["Tier", TIER[c.accountTier] || c.accountTier],
      ["Credential", `${KIND[c.credentialKind] || c.credentialKind}, ending …${c.tokenHint}`],
      ["Fields discovered", when(c.fieldsDiscoveredAt)],
      ["Token age", tokenAge(c)],
    ]);
    const open = el("button", { type: "button", text: "Open", "aria-label": `Open ${c.displayName}` });
    open.addEventListener("click", () => openDetail(c));
    list.append(el("li", { "data-name": c.name },
      el("h3", {}, c.displayName, " ", badge(c.status)),
      c.statusReason ? el("p", { class: "reason", text: c.statusReason }) : null,
      dl, open));
  }
}

function openDetail(c) {
  stopChanges();
  current = c;
  $("detail-title").replaceChildren(c.displayName, " ", badge(c.status));
  renderOverview();
  $("diagnosis").hidden = true;
  selectTab("overview");
  fieldsCache = null;
  show("detail");
  $("test-run").focus();
}

function renderOverview() {
  const c = current;
  facts($("overview"), [
    ["Status", c.statusReason ? `${STATUS[c.status]?.[0] || c.status}: ${c.statusReason}` : STATUS[c.status]?.[0] || c.status],
    ["Hub id", String(c.hubId)],
    ["Tier", TIER[c.accountTier] || c.accountTier],
    ["Time zone", c.accountTimeZone || "not known"],
    ["Credential", KIND[c.credentialKind] || c.credentialKind],
    ["Token hint", `…${c.tokenHint}`],
    ["Token age", tokenAge(c)],
    ["Fields discovered", when(c.fieldsDiscoveredAt)],
    ["Granted scopes", (c.grantedScopes || []).join(", ") || "none"],
    ["Connected", when(c.createTime)],
  ]);
}

function updateCurrent(c) {
  current = c;
  const i = connections.findIndex((x) => x.name === c.name);
  if (i >= 0) connections[i] = c;
  renderConnections();
  $("detail-title").replaceChildren(c.displayName, " ", badge(c.status));
  renderOverview();
}

// ---- Connect ----

async function connect(e) {
  e.preventDefault();
  const name = $("connect-name").value.trim();
  const token = $("connect-token");
  $("connect-error").replaceChildren();
  $("connect-submit").disabled = true;
  $("connect-progress").textContent = "Connecting to HubSpot and discovering fields…";
  try {
    const c = await api("POST", `${ws()}/connections`, { displayName: name, accessToken: token.value, requestId: requestId() });
    token.value = "";
    $("connect-progress").textContent = "";
    connections.push(c);
    renderConnections();
    $("connect-dialog").close();
    $("connect-name").value = "";
    announce(`Connected “${c.displayName}” to HubSpot account ${c.hubId}: fields discovered.`);
  } catch (err) {
    token.value = "";
    $("connect-progress").textContent = "";
    errorBox($("connect-error"), err);
    token.focus();
  } finally {
    $("connect-submit").disabled = false;
  }
}

// ---- Test Connection ----

async function testConnection() {
  selectTab("overview"); // the diagnosis is shown there, whichever tab was open
  const box = $("diagnosis");
  box.hidden = false;
  box.replaceChildren(el("p", { class: "progress", text: "Testing the connection…" }));
  announce("Testing the connection…");
  try {
    const r = await api("POST", `${current.name}:test`, {});
    if (r.connection) updateCurrent(r.connection);
    box.replaceChildren(diagnosis(r));
    announce(`Test finished: ${STATUS[r.connection?.status]?.[0] || "done"}.`);
  } catch (err) {
    box.replaceChildren();
    const eb = el("div", { class: "error" });
    errorBox(eb, err);
    box.append(eb);
    announce("The test failed.");
  }
}

function check(ok, text) {
  return el("li", { class: ok ? "ok" : "ko" }, `${ok ? "Yes" : "No"}: `, text);
}

function diagnosis(r) {
  const out = el("div", { class: "test-result" }, el("h3", { text: `Test Connection, ${when(r.testTime)}` }));
  const lat = seconds(r.latency);
  out.append(el("ul", {},
    check(r.reachable, "HubSpot reachable"),
    check(r.tokenValid, "token accepted"),
    lat == null ? null : el("li", { text: `Latency: ${Math.round(lat * 1000)} ms` })));
  out.append(el("h4", { text: "Capabilities" }), r.capabilities?.length
    ? el("ul", { class: "capabilities" }, ...r.capabilities.map((c) =>
      el("li", { class: c.available ? "ok" : "ko" }, `${c.available ? "Available" : "Unavailable"}: ${c.description || c.id}`,
        c.missingScopes?.length ? ` (missing ${c.missingScopes.join(", ")})` : "")))
    : el("p", { class: "capabilities", text: "Not checked: see the problems below." }));
  const scopes = (title, list, cls) => list?.length
    ? [el("h4", { text: title }), el("ul", { class: cls }, ...list.map((s) => el("li", {}, el("code", { text: s }))))]
    : [];
  out.append(...scopes("Missing required scopes", r.missingRequiredScopes, "missing-required"),
    ...scopes("Missing recommended scopes", r.missingRecommendedScopes, "missing-recommended"),
    ...scopes("Scopes that could not be verified", r.unverifiedScopes, "unverified"));
  const rl = r.rateLimit;
  if (rl) {
    const win = seconds(rl.interval);
    out.append(el("h4", { text: "Rate-limit headroom" }), el("ul", { class: "rate-limit" },
      el("li", { text: `${rl.intervalRemaining} of ${rl.intervalMax} requests left in the ${win ?? "?"}-second window` }),
      el("li", { text: `${rl.dailyRemaining} of ${rl.dailyMax} requests left today; resets ${when(rl.dailyResetTime)}` })));
  }
  out.append(el("h4", { text: "Problems" }));
  if (r.problems?.length) {
    out.append(el("ul", { class: "problems" }, ...r.problems.map((p) =>
      el("li", {}, el("strong", { text: p.message }), p.remedy ? ` — ${p.remedy}` : ""))));
  } else {
    out.append(el("p", { class: "ok", text: "None found." }));
  }
  return out;
}

// ---- Settings: Update Credentials, Refresh Fields, Disconnect ----

async function settingsStep(progress, fn) {
  $("settings-error").replaceChildren();
  $("settings-progress").textContent = progress;
  for (const b of $("settings-dialog").querySelectorAll("button")) b.disabled = true;
  try {
    return await fn();
  } catch (err) {
    $("settings-progress").textContent = "";
    errorBox($("settings-error"), err);
    return null;
  } finally {
    for (const b of $("settings-dialog").querySelectorAll("button")) b.disabled = false;
  }
}

async function updateCredentials(e) {
  e.preventDefault();
  const token = $("creds-token");
  const value = token.value;
  token.value = "";
  const c = await settingsStep("Checking the new token and updating the credentials…", () =>
    api("POST", `${current.name}:updateCredentials`, { accessToken: value, requestId: requestId() }));
  if (c) {
    updateCurrent(c);
    $("settings-progress").textContent = `Credentials updated: the token now ends …${c.tokenHint}.`;
    announce(`Credentials of “${c.displayName}” updated.`);
  } else {
    token.focus();
  }
}

async function refreshFields() {
  const r = await settingsStep("Refreshing fields from HubSpot…", () =>
    api("POST", `${current.name}:discoverFields`, { refresh: true }));
  if (r) {
    fieldsCache = null; // the Fields tab reads them again
    const n = (r.schemas || []).reduce((a, s) => a + (s.fields?.length || 0), 0);
    const c = await api("GET", current.name).catch(() => null);
    if (c) updateCurrent(c);
    $("settings-progress").textContent = `Fields refreshed: ${n} fields on ${(r.schemas || []).length} object types.`;
    announce("Fields refreshed.");
  }
  $("refresh-fields").focus();
}

function disconnectOpen() {
  $("disconnect-text").textContent = `Disconnect “${current.displayName}” (HubSpot account ${current.hubId})? Its token is deleted and workflows using it stop.`;
  $("disconnect-title").textContent = `Disconnect “${current.displayName}”?`;
  $("disconnect-error").replaceChildren();
  openDialog($("disconnect-dialog"), $("disconnect-dialog").querySelector("[data-close]"));
}

async function disconnect() {
  try {
    await api("DELETE", `${current.name}?requestId=${requestId()}`);
  } catch (err) {
    errorBox($("disconnect-error"), err);
    return;
  }
  stopChanges();
  const gone = current;
  connections = connections.filter((c) => c.name !== gone.name);
  current = null;
  $("disconnect-dialog").opener = null;
  $("disconnect-dialog").close();
  $("settings-dialog").opener = null;
  $("settings-dialog").close();
  renderConnections();
  show("integrations");
  announce(`Disconnected “${gone.displayName}”.`);
  $("connect-open").focus();
}

// ---- tabs ----

const TABS = ["overview", "fields", "conditions", "activity", "changes", "usage"];

function selectTab(name) {
  for (const t of TABS) {
    const on = t === name;
    $(`tab-${t}`).setAttribute("aria-selected", String(on));
    $(`tab-${t}`).tabIndex = on ? 0 : -1;
    $(`panel-${t}`).hidden = !on;
  }
  if (name === "fields") loadFields();
  if (name === "activity") loadActivity(true);
  if (name === "changes") loadChanges();
  else stopChanges(); // the stream runs only while its view is shown
  if (name === "usage") loadUsage();
}

for (const t of TABS) {
  $(`tab-${t}`).addEventListener("click", () => selectTab(t));
  $(`tab-${t}`).addEventListener("keydown", (e) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (!step) return;
    const next = TABS[(TABS.indexOf(t) + step + TABS.length) % TABS.length];
    selectTab(next);
    $(`tab-${next}`).focus();
  });
}

// ---- Fields ----

let fieldsCache = null;

async function loadFields() {
  if (!fieldsCache) {
    $("fields-count").textContent = "Loading fields…";
    try {
      fieldsCache = await api("GET", `${current.name}/fields`);
    } catch (err) {
      const eb = el("div", { class: "error" });
      errorBox(eb, err);
      $("fields-list").replaceChildren(eb);
      $("fields-count").textContent = "";
      return;
    }
    const sel = $("fields-object");
    sel.replaceChildren(...(fieldsCache.schemas || []).map((s) => el("option", { value: s.objectType, text: s.objectType })));
  }
  renderFields();
}

function renderFields() {
  if (!fieldsCache) return;
  const schema = (fieldsCache.schemas || []).find((s) => s.objectType === $("fields-object").value) || fieldsCache.schemas?.[0];
  const list = $("fields-list");
  list.replaceChildren();
  $("fields-pipelines").replaceChildren();
  $("fields-owners").replaceChildren();
  if (!schema) {
    $("fields-count").textContent = "No object types discovered.";
    return;
  }
  if (schema.error?.message) {
    list.append(el("p", { class: "error", text: `${schema.objectType}: ${schema.error.message}` }));
  }
  const q = $("fields-search").value.trim().toLowerCase();
  const fields = (schema.fields || []).filter((f) => !q ||
    [f.name, f.label, f.description].some((s) => (s || "").toLowerCase().includes(q)));
  $("fields-count").textContent = `${fields.length} of ${(schema.fields || []).length} ${schema.objectType} fields, discovered ${when(schema.discoveredAt)}`;
  const groups = new Map((schema.groups || []).map((g) => [g.name, g.label]));
  const byGroup = new Map();
  for (const f of fields) {
    const g = f.groupName || "";
    if (!byGroup.has(g)) byGroup.set(g, []);
    byGroup.get(g).push(f);
  }
  const order = [...(schema.groups || []).map((g) => g.name), ...[...byGroup.keys()].filter((g) => !groups.has(g))];
  for (const g of order) {
    const fs = byGroup.get(g);
    if (!fs) continue;
    const rows = fs.map((f) => el("tr", { "data-field": f.name },
      el("td", {}, el("strong", { text: f.label || f.name }), el("br"), el("code", { text: f.name })),
      el("td", { text: `${f.hubspotType}${f.hubspotFieldType ? ` (${f.hubspotFieldType})` : ""}` }),
      el("td", { text: f.description || "" }),
      el("td", { text: (f.options || []).map((o) => o.label === o.value ? o.value : `${o.label} (${o.value})`).join(", ") })));
    list.append(el("details", { open: true, "data-group": g },
      el("summary", { text: `${groups.get(g) || g || "No group"} (${fs.length})` }),
      el("table", { class: "fields" },
        el("thead", {}, el("tr", {}, ...["Field", "Type", "Description", "Choices"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...rows))));
  }
  if (schema.pipelines?.length) {
    $("fields-pipelines").append(el("h3", { text: "Pipelines" }), ...schema.pipelines.map((p) =>
      el("details", { "data-pipeline": p.id },
        el("summary", { text: `${p.label}${p.archived ? " (archived)" : ""}` }),
        el("ol", {}, ...(p.stages || []).map((s) => el("li", {
          text: `${s.label} (${s.id})${s.won ? " — closed won" : s.closed ? " — closed lost" : ""}`,
        }))))));
  }
  if (fieldsCache.owners?.length || fieldsCache.ownersError?.message) {
    const owners = fieldsCache.owners || [];
    $("fields-owners").append(el("h3", { text: "Owners" }),
      fieldsCache.ownersError?.message ? el("p", { class: "error", text: fieldsCache.ownersError.message }) : "",
      el("ul", {}, ...owners.map((o) => el("li", {
        text: `${[o.firstName, o.lastName].filter(Boolean).join(" ") || o.email} <${o.email}> (${o.id})${o.archived ? ", archived" : ""}`,
      }))));
  }
}

// ---- Conditions ----

let checkTimer = 0;
let checkSeq = 0;

function scheduleCheck() {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(validate, 300);
}

async function validate() {
  const expr = $("cond-expr").value;
  const box = $("cond-check");
  const seq = ++checkSeq;
  if (!expr.trim()) {
    box.replaceChildren();
    return;
  }
  try {
    const r = await api("POST", `${current.name}:validateCondition`, { expression: expr });
    if (seq !== checkSeq) return;
    box.replaceChildren(el("p", { class: "ok valid", text: `Valid. Reads ${(r.referencedFields || []).join(", ") || "no fields"}.` }));
  } catch (err) {
    if (seq !== checkSeq) return;
    box.replaceChildren(conditionError(expr, err));
  }
}

// conditionError shows the expression's line with the first issue marked at its position,
// then every issue the API listed.
function conditionError(expr, err) {
  const out = el("div", { class: "invalid" });
  const line = Number(err.metadata?.line), column = Number(err.metadata?.column);
  if (line > 0 && column > 0) {
    const text = expr.split("\n")[line - 1] ?? "";
    const at = Math.min(column - 1, text.length);
    out.append(el("p", { class: "ko position", text: `Line ${line}, column ${column}: ${err.metadata.issue || err.message}` }),
      el("pre", {}, text.slice(0, at), el("mark", { text: text.slice(at, at + 1) || " " }), text.slice(at + 1)));
  } else {
    out.append(el("p", { class: "ko", text: err.message }));
  }
  const br = err.detail?.("google.rpc.BadRequest");
  if (br?.fieldViolations?.length > 1) {
    out.append(el("ul", {}, ...br.fieldViolations.map((v) => el("li", { text: v.description }))));
  }
  return out;
}

async function evaluate(e) {
  e.preventDefault();
  const box = $("cond-result");
  box.replaceChildren(el("p", { class: "progress", text: "Evaluating…" }));
  try {
    const r = await api("POST", `${current.name}:evaluateCondition`, {
      expression: $("cond-expr").value, contact: { email: $("cond-email").value.trim() },
    });
    const verdict = r.result ? "true" : r.dependsOnEmpty ? "unknown (false only because fields are empty)" : "false";
    box.replaceChildren(el("p", { class: `verdict ${r.result ? "ok" : "ko"}`, text: `Result: ${verdict}` }),
      r.dependsOnEmpty ? el("p", { text: `Empty in HubSpot: ${(r.emptyFields || []).join(", ")}` }) : "",
      el("table", { class: "values" },
        el("caption", { text: `Values read (contact ${r.contactId || "?"})` }),
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Field" }), el("th", { scope: "col", text: "Value" }))),
        el("tbody", {}, ...(r.values || []).map((v) => el("tr", {}, el("td", {}, el("code", { text: v.field })),
          el("td", { text: v.value?.raw ?? "(empty)" }))))));
  } catch (err) {
    const eb = el("div", { class: "error" });
    errorBox(eb, err);
    box.replaceChildren(eb);
  }
}

// ---- Activity ----

let activityToken = "";

async function loadActivity(first) {
  const rows = $("activity-rows");
  if (first) {
    rows.replaceChildren();
    activityToken = "";
  }
  const status = $("activity-state").value;
  const q = new URLSearchParams({ pageSize: "20" });
  if (status) q.set("status", status);
  if (activityToken) q.set("pageToken", activityToken);
  try {
    const r = await api("GET", `${current.name}/timelineEvents?${q}`);
    for (const ev of r.timelineEvents || []) {
      const state = EVENT_STATUS[ev.status] || ev.status;
      rows.append(el("tr", { "data-event": ev.name },
        el("td", { text: when(ev.createTime) }),
        el("td", { text: (ev.kind || "").replace("TIMELINE_EVENT_KIND_", "").toLowerCase() }),
        el("td", { text: ev.title || "" }),
        el("td", { text: ev.contact?.email || ev.contact?.id || "" }),
        el("td", { class: ev.status === "TIMELINE_EVENT_STATUS_FAILED" ? "ko" : "" },
          ev.lastError ? `${state}: ${ev.lastError}` : state)));
    }
    if (!rows.children.length) rows.append(el("tr", {}, el("td", { colspan: "5", text: "No events." })));
    activityToken = r.nextPageToken || "";
    $("activity-more").hidden = !activityToken;
  } catch (err) {
    const eb = el("div", { class: "error" });
    errorBox(eb, err);
    rows.replaceChildren(el("tr", {}, el("td", { colspan: "5" }, eb)));
  }
}

// ---- Changes: the recent stored changes, then the live stream ----

const CHANGE_KIND = {
  CHANGE_KIND_CREATED: "Created",
  CHANGE_KIND_UPDATED: "Updated",
  CHANGE_KIND_DELETED: "Deleted",
  CHANGE_KIND_MERGED: "Merged",
  CHANGE_KIND_RESTORED: "Restored",
  CHANGE_KIND_ASSOCIATION_ADDED: "Association added",
  CHANGE_KIND_ASSOCIATION_REMOVED: "Association removed",
};
const CHANGE_SOURCE = { CHANGE_SOURCE_WEBHOOK: "webhook", CHANGE_SOURCE_POLL: "poll" };

// CHANGES_SHOWN bounds the list: older rows are dropped as new changes arrive.
const CHANGES_SHOWN = 200;
// CHANGES_PAGES bounds the pages of stored changes read before the stream opens; the stream
// then sends whatever follows the last cursor read.
const CHANGES_PAGES = 10;
const CHANGES_PAGE_SIZE = 100;
// The stream is reopened from the last cursor after it ends (a server restart, a proxy that
// cuts idle connections), waiting 1, 2, 4 … up to 30 seconds, at most RECONNECTS times in a
// row; a stream that delivered a change or stayed open STREAM_HEALTHY_MS starts the count
// again, so a quiet stream cut now and then by a proxy is reopened for as long as the view is
// shown, while a server that keeps refusing is given up on.
const RECONNECTS = 8;
const STREAM_HEALTHY_MS = 10000;

let changesWatch = null; // the AbortController of the Changes view's requests
const changeRows = new Map(); // change id → its row

function stopChanges() {
  changesWatch?.abort();
  changesWatch = null;
}

function fieldText(v) {
  if (!v) return "(empty)";
  if (v.stringListValue) return (v.stringListValue.values || []).join("; ");
  return v.raw ?? v.stringValue ?? String(v.numberValue ?? v.boolValue ?? v.timestampValue ?? "(empty)");
}

function addChange(c) {
  const kind = CHANGE_KIND[c.kind] || c.kind;
  const fields = Object.entries(c.fields || {});
  const row = el("li", { "data-change": c.id, "data-source": CHANGE_SOURCE[c.source] || "" },
    el("p", {}, el("strong", { text: kind }), ` ${c.objectType} `,
      el("span", { class: "record", text: c.recordDisplayName || `#${c.recordId}` }), ` (${c.recordId})`),
    fields.length ? el("ul", { class: "changed-fields", "aria-label": "Fields changed, with their new values" },
      ...fields.map(([k, v]) => el("li", {}, el("code", { text: k }), ` = ${fieldText(v)}`))) : null,
    c.mergedRecordIds?.length ? el("p", { text: `Merged: ${c.mergedRecordIds.join(", ")}` }) : null,
    c.associatedRecordId ? el("p", { text: `With ${c.associatedObjectType} ${c.associatedRecordId}` }) : null,
    el("p", { class: "muted" }, `Changed in HubSpot ${when(c.occurTime)}, detected ${when(c.detectTime)} by ${CHANGE_SOURCE[c.source] || "?"}`,
      c.selfWritten ? "; written by this service" : "; written in HubSpot"));
  const old = changeRows.get(c.id);
  if (old?.isConnected) {
    old.replaceWith(row); // the same change, completed in place by a late property event
  } else {
    $("changes-list").prepend(row);
  }
  changeRows.set(c.id, row);
  const list = $("changes-list");
  while (list.children.length > CHANGES_SHOWN) {
    changeRows.delete(list.lastElementChild.dataset.change);
    list.lastElementChild.remove();
  }
}

async function loadChanges() {
  stopChanges();
  const ctl = new AbortController();
  changesWatch = ctl;
  const conn = current.name;
  $("changes-list").replaceChildren();
  changeRows.clear();
  $("changes-error").replaceChildren();
  $("changes-state").textContent = "Loading recent changes…";
  let cursor = "";
  try {
    for (let page = 0; page < CHANGES_PAGES; page++) {
      const q = new URLSearchParams({ pageSize: String(CHANGES_PAGE_SIZE) });
      if (cursor) q.set("cursor", cursor);
      const r = await api("GET", `${conn}/changes?${q}`, undefined, ctl.signal);
      for (const c of r.changes || []) addChange(c);
      cursor = r.nextCursor || cursor;
      if ((r.changes || []).length < CHANGES_PAGE_SIZE) break;
    }
  } catch (err) {
    if (ctl.signal.aborted) return;
    $("changes-state").textContent = "";
    errorBox($("changes-error"), err);
    return;
  }
  watchChanges(conn, cursor, ctl);
}

// streamError is the error of a refused watch: its body is one line {"error": {…Status…}}.
async function streamError(res) {
  const text = await res.text();
  let body = {};
  try {
    body = JSON.parse(text.split("\n")[0]);
  } catch {
    body = { message: text };
  }
  return new ApiError(res.status, body.error || body);
}

// watchChanges reads WatchChanges' newline-delimited JSON as it arrives, newest shown first,
// and reopens it from the last cursor when it ends, until ctl is aborted.
async function watchChanges(conn, cursor, ctl) {
  let failures = 0;
  while (!ctl.signal.aborted) {
    $("changes-state").textContent = "Live: new changes made in HubSpot appear here as they are detected.";
    const opened = Date.now();
    try {
      const q = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
      const res = await fetch(`/v1/${conn}/changes:watch${q}`, {
        headers: authHeaders(), cache: "no-store", credentials: "omit", signal: ctl.signal,
      });
      if (!res.ok) throw await streamError(res);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const msg = JSON.parse(line);
          if (msg.error) throw new ApiError(msg.error.code === 14 ? 503 : 500, msg.error);
          if (msg.result) {
            addChange(msg.result);
            cursor = msg.result.cursor || cursor;
            failures = 0;
          }
        }
      }
    } catch (err) {
      if (ctl.signal.aborted) return;
      // Only an unavailable server is worth waiting for; any other refusal is shown as is.
      if (err instanceof ApiError && err.status !== 503) {
        $("changes-state").textContent = "The live stream stopped.";
        errorBox($("changes-error"), err);
        return;
      }
    }
    if (Date.now() - opened >= STREAM_HEALTHY_MS) failures = 0;
    if (++failures > RECONNECTS) {
      $("changes-state").textContent = "The live stream ended and could not be reopened: open the Changes tab again to retry.";
      return;
    }
    const wait = Math.min(30, 2 ** (failures - 1));
    $("changes-state").textContent = `The live stream ended; reopening it in ${wait} s from the last change…`;
    await new Promise((done) => {
      const t = setTimeout(done, wait * 1000);
      ctl.signal.addEventListener("abort", () => {
        clearTimeout(t);
        done();
      }, { once: true });
    });
  }
}

// ---- API usage ----

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children) e.append(c);
  return e;
}

// num reads a protobuf integer from JSON: int64 comes as a string, and zero is omitted.
const num = (v) => Number(v ?? 0);

// inZone is ts in the browser's locale, in the IANA time zone tz (the browser's own when tz is
// empty or unknown to it), with the zone named.
function inZone(ts, tz) {
  if (!ts) return "not known";
  const d = new Date(ts);
  try {
    return d.toLocaleString(undefined, { timeZone: tz || undefined, timeZoneName: "short" });
  } catch {
    return d.toLocaleString(undefined, { timeZoneName: "short" });
  }
}

function figure(name, value) {
  return el("span", { "data-figure": name, text: String(value) });
}

async function loadUsage() {
  $("usage-error").replaceChildren();
  let u;
  try {
    u = await api("GET", `${current.name}/usage`);
  } catch (err) {
    errorBox($("usage-error"), err);
    return;
  }
  const win = (w, name) => {
    w ||= {};
    return el("span", {}, figure(`${name}-in-window`, num(w.inWindow)), " of ", figure(`${name}-budget`, num(w.budget)),
      ` requests in the ${seconds(w.window) ?? "?"}-second window`, w.waiting ? `, ${num(w.waiting)} waiting for room` : "");
  };
  const d = u.daily || {};
  const tz = current.accountTimeZone || "UTC";
  const source = d.source === "SOURCE_HUBSPOT" ? "HubSpot's own count" : "counted by this service for this connection";
  facts($("usage-facts"), [
    ["Read", when(u.readTime)],
    ["10-second window", win(u.standardWindow, "standard")],
    ["Search window", win(u.searchWindow, "search")],
    ["Used today", el("span", {}, figure("daily-used", num(d.used)), num(d.limit) ? " of " : "",
      num(d.limit) ? figure("daily-limit", num(d.limit)) : "", ` (${source})`)],
    ["Left today", d.remaining == null ? "not known: HubSpot has not told the daily limit" : figure("daily-remaining", num(d.remaining))],
    ["Resets", el("span", {}, el("time", { datetime: d.resetTime || "", "data-figure": "daily-reset", text: inZone(d.resetTime, tz) }),
      ` (midnight in the account's time zone, ${tz})`)],
    ["Rate limited (429)", el("span", {}, figure("rate-limited-24h", num(u.rateLimited24h)), " in 24 hours, ",
      figure("rate-limited-total", num(u.rateLimitedTotal)), " since connected")],
    ["Requests in 24 hours", figure("requests-24h", num(u.requests24h))],
  ]);
  renderUsageHours(u.hours || []);
}

// renderUsageHours draws the hours as an SVG bar chart (sizes as attributes: the CSP forbids
// inline styles) summarised in its label, and fills the table that says the same in text.
function renderUsageHours(hours) {
  const rows = hours.map((h) => ({
    start: new Date(h.startTime),
    standard: num(h.standardRequests),
    search: num(h.searchRequests),
    limited: num(h.rateLimited),
  }));
  const hour = (d) => d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  const max = Math.max(1, ...rows.map((r) => r.standard + r.search));
  const W = 10, H = 100, total = rows.reduce((a, r) => a + r.standard + r.search, 0);
  const peak = rows.reduce((p, r) => (r.standard + r.search > p.standard + p.search ? r : p), rows[0] || { standard: 0, search: 0 });
  const label = rows.length
    ? `Requests to HubSpot per hour over the last 24 hours: ${total} in all, at most ${peak.standard + peak.search} (at ${hour(peak.start)}), ${rows.reduce((a, r) => a + r.limited, 0)} rate limited.`
    : "No hourly figures.";
  const chart = svg("svg", { viewBox: `0 0 ${rows.length * W} ${H}`, role: "img", "aria-label": label, preserveAspectRatio: "none", class: "bars" });
  rows.forEach((r, i) => {
    const n = r.standard + r.search;
    const h = (n / max) * (H - 2);
    const lh = (r.limited / max) * (H - 2);
    chart.append(svg("g", { "data-hour": r.start.toISOString() },
      svg("title", {}, `${hour(r.start)}: ${r.standard} standard, ${r.search} search, ${r.limited} rate limited`),
      svg("rect", { class: "bar", x: i * W + 1, y: H - h, width: W - 2, height: h }),
      svg("rect", { class: "bar-limited", x: i * W + 1, y: H - lh, width: W - 2, height: lh })));
  });
  $("usage-chart").replaceChildren(chart, el("p", { class: "muted", text: label }));
  $("usage-rows").replaceChildren(...rows.map((r) => el("tr", {},
    el("th", { scope: "row", text: hour(r.start) }),
    el("td", { text: String(r.standard) }), el("td", { text: String(r.search) }), el("td", { text: String(r.limited) }))));
}

// ---- Settings: webhooks and polling ----

const SERVICE_KEY_NO_WEBHOOKS = "HubSpot sends no webhooks to a Service Key: this connection finds changes by polling only.";

// The section keeps its layout while it loads (the same rows, values to come), so that the
// buttons below it do not move under the pointer.
async function loadChangeSettings() {
  facts($("webhook-facts"), ["Client secret", "Webhooks received", "Webhooks refused", "Last webhook", "Poll interval"].map((k) => [k, "…"]));
  $("webhook-url").value = "";
  const sk = current.credentialKind === "CREDENTIAL_KIND_SERVICE_KEY";
  $("webhook-unavailable").hidden = !sk;
  $("webhook-unavailable").textContent = sk ? SERVICE_KEY_NO_WEBHOOKS : "";
  try {
    renderChangeSettings(await api("GET", `${current.name}/changeSettings`));
  } catch (err) {
    errorBox($("settings-error"), err);
  }
}

function renderChangeSettings(s) {
  facts($("webhook-facts"), [
    ["Client secret", s.webhookSecretSet ? "set (never shown)" : "not set: webhooks are refused until it is"],
    ["Webhooks received", figure("webhooks-received", num(s.webhooksReceived))],
    ["Webhooks refused", figure("webhooks-refused", num(s.webhooksRefused))],
    ["Last webhook", when(s.lastWebhookTime)],
    ["Poll interval", `${seconds(s.pollInterval) ?? "?"} seconds`],
  ]);
  $("webhook-url").value = s.webhookUrl || "";
  $("poll-seconds").value = String(seconds(s.pollInterval) ?? "");
}

async function saveWebhookSecret(e) {
  e.preventDefault();
  const box = $("webhook-secret");
  const value = box.value;
  box.value = "";
  const q = new URLSearchParams({ updateMask: "webhookClientSecret", requestId: requestId() });
  const s = await settingsStep("Saving the client secret…", () =>
    api("PATCH", `${current.name}/changeSettings?${q}`, { webhookClientSecret: value }));
  if (s) {
    renderChangeSettings(s);
    $("settings-progress").textContent = "Client secret saved: webhooks signed with it are accepted.";
  } else {
    if ($("settings-error").textContent.includes("WEBHOOKS_UNSUPPORTED")) {
      $("webhook-unavailable").hidden = false;
      $("webhook-unavailable").textContent = SERVICE_KEY_NO_WEBHOOKS;
    }
    box.focus();
  }
}

async function savePollInterval(e) {
  e.preventDefault();
  const q = new URLSearchParams({ updateMask: "pollInterval", requestId: requestId() });
  const s = await settingsStep("Saving the poll interval…", () =>
    api("PATCH", `${current.name}/changeSettings?${q}`, { pollInterval: `${$("poll-seconds").value}s` }));
  if (s) {
    renderChangeSettings(s);
    $("settings-progress").textContent = `Poll interval saved: every ${seconds(s.pollInterval)} seconds.`;
  }
}

async function copyWebhookURL() {
  try {
    await navigator.clipboard.writeText($("webhook-url").value);
    $("settings-progress").textContent = "Webhook URL copied.";
  } catch {
    $("webhook-url").select(); // the clipboard is refused (an insecure origin): select it for Ctrl+C
    $("settings-progress").textContent = "Select the URL and copy it (Ctrl+C).";
  }
}

// ---- wiring ----

$("signin-form").addEventListener("submit", signIn);
$("signout").addEventListener("click", signOut);
$("connect-open").addEventListener("click", () => {
  $("connect-error").replaceChildren();
  openDialog($("connect-dialog"), $("connect-name"));
});
$("connect-form").addEventListener("submit", connect);
$("detail-back").addEventListener("click", () => {
  stopChanges();
  show("integrations");
  $("connect-open").focus();
});
$("test-run").addEventListener("click", testConnection);
$("settings-open").addEventListener("click", () => {
  $("settings-error").replaceChildren();
  $("settings-progress").textContent = "";
  openDialog($("settings-dialog"));
  loadChangeSettings();
});
$("webhook-form").addEventListener("submit", saveWebhookSecret);
$("poll-form").addEventListener("submit", savePollInterval);
$("webhook-url-copy").addEventListener("click", copyWebhookURL);
$("usage-reload").addEventListener("click", loadUsage);
$("creds-form").addEventListener("submit", updateCredentials);
$("refresh-fields").addEventListener("click", refreshFields);
$("disconnect-open").addEventListener("click", disconnectOpen);
$("disconnect-confirm").addEventListener("click", disconnect);
$("fields-object").addEventListener("change", renderFields);
$("fields-search").addEventListener("input", renderFields);
$("cond-expr").addEventListener("input", scheduleCheck);
$("cond-eval-form").addEventListener("submit", evaluate);
$("activity-state").addEventListener("change", () => loadActivity(true));
$("activity-reload").addEventListener("click", () => loadActivity(true));
$("activity-more").addEventListener("click", () => loadActivity(false));

// A reload keeps the session of this tab.
if (session()) {
  loadConnections().then(() => show("integrations"), () => {
    sessionStorage.removeItem(SESSION);
    show("signin");
  });
} else {
  show("signin");
}
