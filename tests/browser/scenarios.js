// What a web app on another origin does with a generated service, one function per
// scenario. run.mjs calls window.scenarios[name](args) in the page and prints the
// result; a thrown error (a fetch refused by CORS: TypeError) is reported as such.
"use strict";

const MIB = 1024 * 1024;

async function fileFrom(url, name) {
  const blob = await (await fetch(url)).blob();
  return new File([blob], name, { type: "image/png" });
}

async function sha256(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

// The session's headers: logs in from the page (withCredentials: the cookie strategy's
// cookie lands in the browser), or takes an access token got elsewhere (a page refused by CORS cannot
// log in).
async function signIn({ api, login, accessToken, withCredentials }) {
  if (!login) return { headers: { Authorization: `Bearer ${accessToken}` }, accessToken };
  const answer = await fetch(`${api}/api/v1/auth/login`, {
    method: "POST",
    credentials: withCredentials ? "include" : "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(login),
  });
  const body = await answer.json();
  if (!answer.ok) throw new Error(`login answered ${answer.status}: ${JSON.stringify(body)}`);
  if (body.access_token) {
    return { headers: { Authorization: `Bearer ${body.access_token}` }, accessToken: body.access_token };
  }
  return { headers: { "X-CSRF-Token": body.csrf_token }, csrfToken: body.csrf_token };
}

function uploadId(url) {
  return url.replace(/\/+$/, "").split("/").pop();
}

// tus-js-client, aborted once abortAt bytes are sent, then resumed from the offset the
// server kept (findPreviousUploads: the URL stored by the first attempt).
async function tusUpload({ api, login, accessToken, fileUrl, withCredentials, abortAt }) {
  const { headers } = await signIn({ api, login, accessToken, withCredentials });
  const file = await fileFrom(fileUrl, "photo.png");
  const options = (hooks) => ({
    endpoint: `${api}/api/v1/uploads/tus/`,
    headers,
    chunkSize: 8 * MIB,
    retryDelays: [0, 250, 500, 1000],
    metadata: { filename: file.name, filetype: file.type },
    onBeforeRequest: (request) => {
      if (withCredentials) request.getUnderlyingObject().withCredentials = true;
    },
    ...hooks,
  });
  const first = await new Promise((resolve, reject) => {
    const upload = new tus.Upload(file, options({
      onError: reject,
      onSuccess: () => reject(new Error("the upload finished before it could be aborted")),
      onProgress: (sent) => {
        if (sent >= abortAt) upload.abort().then(() => resolve({ url: upload.url, sent }), reject);
      },
    }));
    upload.start();
  });
  const second = await new Promise((resolve, reject) => {
    let resumedAt = null;
    const upload = new tus.Upload(file, options({
      onError: reject,
      onAfterResponse: (request, response) => {
        if (request.getMethod() === "HEAD") resumedAt = Number(response.getHeader("Upload-Offset"));
      },
      onSuccess: () => resolve({ url: upload.url, resumedAt }),
    }));
    upload.findPreviousUploads().then((previous) => {
      if (!previous.length) return reject(new Error("no previous upload was stored"));
      upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    }, reject);
  });
  return {
    id: uploadId(second.url),
    firstUrl: first.url,
    secondUrl: second.url,
    abortedAfter: first.sent,
    resumedAt: second.resumedAt,
    size: file.size,
    sha256: await sha256(file),
  };
}

// Uppy's Tus plugin: paused once abortAt bytes are sent (the tus upload is aborted),
// then resumed.
async function uppyUpload({ api, login, accessToken, fileUrl, withCredentials, abortAt }) {
  const { headers } = await signIn({ api, login, accessToken, withCredentials });
  const file = await fileFrom(fileUrl, "photo.png");
  const uppy = new UppyBundle.Uppy({ autoProceed: false }).use(UppyBundle.Tus, {
    endpoint: `${api}/api/v1/uploads/tus/`,
    headers,
    withCredentials,
    chunkSize: 8 * MIB,
    retryDelays: [0, 250, 500, 1000],
  });
  const fileId = uppy.addFile({ name: file.name, type: file.type, data: file });
  let paused = false;
  let pausedAt = null;
  uppy.on("upload-progress", (progressed, progress) => {
    if (!paused && progress.bytesUploaded >= abortAt) {
      paused = true;
      pausedAt = progress.bytesUploaded;
      uppy.pauseResume(fileId);  // pause: aborts the tus upload
      setTimeout(() => uppy.pauseResume(fileId), 0);  // and resume it
    }
  });
  const result = await uppy.upload();
  if (result.failed.length) throw new Error(`Uppy failed: ${result.failed[0].error}`);
  const uploadURL = result.successful[0].uploadURL;
  return { id: uploadId(uploadURL), url: uploadURL, pausedAt, size: file.size, sha256: await sha256(file) };
}

// A snippet of the generated README, run as written: its free variables are bound to
// the page's values (api, input, accessToken, csrfToken); it leaves its result in upload.
async function readmeSnippet({ api, login, accessToken: given, withCredentials, fileUrl, snippet }) {
  const { accessToken, csrfToken } = await signIn({ api, login, accessToken: given, withCredentials });
  const file = await fileFrom(fileUrl, "photo.png");
  const input = { files: [file] };
  const AsyncFunction = (async () => {}).constructor;
  const run = new AsyncFunction("api", "input", "accessToken", "csrfToken", `${snippet}\nreturn upload;`);
  const upload = await run(api, input, accessToken, csrfToken);
  return { upload, size: file.size, sha256: await sha256(file) };
}

// A download as a page makes it: the upload's presigned GET, read with fetch (bucket CORS).
async function download({ api, login, id, withCredentials }) {
  const { headers } = await signIn({ api, login, withCredentials });
  const credentials = withCredentials ? "include" : "same-origin";
  const upload = await (await fetch(`${api}/api/v1/uploads/${id}`, { headers, credentials })).json();
  const answer = await fetch(upload.download_url);
  const blob = await answer.blob();
  return {
    status: answer.status,
    downloadUrl: upload.download_url,
    contentDisposition: answer.headers.get("Content-Disposition"),
    etag: answer.headers.get("ETag"),
    size: blob.size,
    sha256: await sha256(blob),
  };
}

// redis sessions: log in with the cookie, then an unsafe request with and without the
// CSRF token the login answered.
async function cookieSession({ api, email, password }) {
  const request = (path, init = {}) =>
    fetch(`${api}${path}`, { credentials: "include", ...init });
  const json = { "Content-Type": "application/json" };
  const login = await request("/api/v1/auth/login", {
    method: "POST",
    headers: json,
    body: JSON.stringify({ email, password }),
  });
  const { csrf_token: csrfToken } = await login.json();
  const me = await request("/api/v1/users/me");
  const withoutToken = await request("/api/v1/auth/logout", { method: "POST" });
  const withoutTokenBody = await withoutToken.json();
  const meAfterRefused = await request("/api/v1/users/me");
  const withToken = await request("/api/v1/auth/logout", {
    method: "POST",
    headers: { "X-CSRF-Token": csrfToken },
  });
  const meAfterLogout = await request("/api/v1/users/me");
  return {
    login: login.status,
    csrfTokenLength: csrfToken.length,
    me: me.status,
    withoutToken: withoutToken.status,
    withoutTokenType: withoutTokenBody.type,
    meAfterRefused: meAfterRefused.status,
    withToken: withToken.status,
    meAfterLogout: meAfterLogout.status,
    pageCookies: document.cookie,
  };
}

// One request, reporting what the page may read of the answer.
async function call({ api, path, method, headers, body, withCredentials }) {
  const answer = await fetch(`${api}${path}`, {
    method,
    headers,
    body,
    credentials: withCredentials ? "include" : "same-origin",
  });
  return { status: answer.status, body: await answer.text() };
}

window.scenarios = { tusUpload, uppyUpload, readmeSnippet, download, cookieSession, call };
