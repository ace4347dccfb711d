// Passkeys and recovery codes for the portal's sign-in pages (/akun/passkey, /masuk/verifikasi).
// Loaded as a separate module (the CSP allows no inline script without the nonce). It listens
// on the document, so it works before and after hydration:
//   <button data-passkey="register">   registers a passkey (POST /auth/passkey/register/*)
//   <button data-passkey="sign-in">    verifies with a passkey (POST /auth/passkey/sign-in/*)
//   <form data-recovery-code>          verifies with a recovery code (POST /auth/recovery-code)
// Errors go to the nearest [data-passkey-error] as the server's message (stable code in
// data-code). On success the page moves to the next step of the session.

const b64urlToBytes = (s) => {
  const pad = "=".repeat((4 - (s.length % 4)) % 4);
  const bin = atob((s + pad).replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
};

const bytesToB64url = (buf) => {
  const bytes = new Uint8Array(buf);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

class AuthError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

async function post(path, body) {
  const init = { method: "POST", credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const json = await res.json().catch(() => null);
  if (!res.ok) {
    const err = json && json.error ? json.error : { code: "REQUEST_FAILED", message: `HTTP ${res.status}` };
    throw new AuthError(err.code, err.message);
  }
  return json;
}

async function nextStep() {
  // The portal's own view of the session (knows whether the NDA is still pending).
  const res = await fetch("/api/sf/session", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: "",
  });
  const info = res.ok ? await res.json() : null;
  if (!info || info.state === "anonymous") return "/masuk";
  if (info.state === "enrolment_required") return "/akun/passkey";
  if (info.state === "second_factor_required") return "/masuk/verifikasi";
  return info.nda_pending ? "/nda" : "/";
}

function creationOptions(publicKey) {
  const o = { ...publicKey };
  o.challenge = b64urlToBytes(publicKey.challenge);
  o.user = { ...publicKey.user, id: b64urlToBytes(publicKey.user.id) };
  if (publicKey.excludeCredentials) {
    o.excludeCredentials = publicKey.excludeCredentials.map((c) => ({ ...c, id: b64urlToBytes(c.id) }));
  }
  return o;
}

function requestOptions(publicKey) {
  const o = { ...publicKey };
  o.challenge = b64urlToBytes(publicKey.challenge);
  if (publicKey.allowCredentials) {
    o.allowCredentials = publicKey.allowCredentials.map((c) => ({ ...c, id: b64urlToBytes(c.id) }));
  }
  return o;
}

async function register(name) {
  const { publicKey } = await post("/auth/passkey/register/start", name ? { name } : {});
  const cred = await navigator.credentials.create({ publicKey: creationOptions(publicKey) });
  if (!cred) throw new AuthError("PASSKEY_CANCELLED", "");
  const r = cred.response;
  await post("/auth/passkey/register/finish", {
    credential: {
      id: cred.id,
      rawId: bytesToB64url(cred.rawId),
      type: cred.type,
      response: {
        attestationObject: bytesToB64url(r.attestationObject),
        clientDataJSON: bytesToB64url(r.clientDataJSON),
        transports: typeof r.getTransports === "function" ? r.getTransports() : undefined,
      },
      extensions: {},
    },
  });
}

async function verifyWithPasskey() {
  const { publicKey } = await post("/auth/passkey/sign-in/start");
  const cred = await navigator.credentials.get({ publicKey: requestOptions(publicKey) });
  if (!cred) throw new AuthError("PASSKEY_CANCELLED", "");
  const r = cred.response;
  await post("/auth/passkey/sign-in/finish", {
    credential: {
      id: cred.id,
      rawId: bytesToB64url(cred.rawId),
      type: cred.type,
      response: {
        authenticatorData: bytesToB64url(r.authenticatorData),
        clientDataJSON: bytesToB64url(r.clientDataJSON),
        signature: bytesToB64url(r.signature),
        userHandle: r.userHandle ? bytesToB64url(r.userHandle) : null,
      },
      extensions: {},
    },
  });
}

function showError(from, err) {
  const scope = from.closest("[data-passkey-scope]") || document;
  const box = scope.querySelector("[data-passkey-error]");
  if (!box) return;
  let code = err instanceof AuthError ? err.code : "PASSKEY_CANCELLED";
  let message = err instanceof AuthError ? err.message : "";
  if (!message) message = box.dataset.cancelled || "";
  box.dataset.code = code;
  box.textContent = message;
  box.hidden = false;
}

async function run(el, work) {
  if (el.dataset.busy === "true") return;
  el.dataset.busy = "true";
  try {
    await work();
    window.location.assign(await nextStep());
  } catch (err) {
    showError(el, err);
  } finally {
    el.dataset.busy = "false";
  }
}

document.addEventListener("click", (event) => {
  const el = event.target instanceof Element ? event.target.closest("[data-passkey]") : null;
  if (!el) return;
  event.preventDefault();
  if (!window.PublicKeyCredential || !navigator.credentials) {
    showError(el, new AuthError("PASSKEY_UNSUPPORTED", el.dataset.unsupported || ""));
    return;
  }
  if (el.dataset.passkey === "register") {
    const scope = el.closest("[data-passkey-scope]");
    const nameInput = scope ? scope.querySelector("[data-passkey-name]") : null;
    run(el, () => register(nameInput ? nameInput.value.trim() : ""));
  } else if (el.dataset.passkey === "sign-in") {
    run(el, verifyWithPasskey);
  }
});

document.addEventListener("submit", (event) => {
  const form = event.target instanceof HTMLFormElement ? event.target : null;
  if (!form || !form.hasAttribute("data-recovery-code")) return;
  event.preventDefault();
  const input = form.querySelector("input[name=code]");
  run(form, () => post("/auth/recovery-code", { code: input ? input.value.trim() : "" }));
});
