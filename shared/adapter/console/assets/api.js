// Signed calls to the Server API's v1 form operations, from the browser. The App Secret lives
// only in this module's closure: it is never written to storage or a cookie, so closing or
// reloading the tab forgets it.

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");

// The App Server's signature: lowercase hex SHA-1 of secret + nonce + timestamp.
export async function sign(secret, nonce, timestamp) {
  const data = new TextEncoder().encode(secret + nonce + timestamp);
  return hex(await crypto.subtle.digest("SHA-1", data));
}

function nonce() {
  const n = new Uint32Array(2);
  crypto.getRandomValues(n);
  return `${n[0]}${n[1]}`;
}

// The Server API is the parent of the console's own folder (/console/ on the API's root, or
// under a stage or a mapped base path).
const apiBase = new URL("../", document.baseURI);

// Words for the contract's codes, shown with the service's own message.
const meanings = {
  1000: "The service failed; try again.",
  1001: "This App Key is not served here.",
  1002: "A value is missing or malformed.",
  1004: "The App Secret does not match this App Key.",
  1005: "A value is too long or the list too large.",
  1007: "Not allowed for this app's environment.",
  1008: "Too many requests; wait a moment and try again.",
  1050: "The service timed out; try again.",
  2007: "This development app has its 100 users.",
  3001: "No such user.",
  3002: "The user is deactivated.",
  3003: "The user is banned.",
};

// ApiError is a call's failure, with the contract's code (0 when the network failed).
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
  // words is what the page shows: what the code means, then what the service said.
  get words() {
    const known = meanings[this.code];
    if (this.code === 0) return this.message;
    return known ? `${known} (${this.code}: ${this.message})` : `Error ${this.code}: ${this.message}`;
  }
}

// Client calls the Server API of one app.
export class Client {
  #key;
  #secret;
  constructor(key, secret) {
    this.#key = key;
    this.#secret = secret;
  }
  get appKey() {
    return this.#key;
  }

  // call POSTs params (an object; arrays become repeated keys) as a form to path and answers
  // the decoded body when its code is 200; otherwise it throws an ApiError.
  async call(path, params = {}) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      for (const one of Array.isArray(v) ? v : [v]) body.append(k, String(one));
    }
    const n = nonce();
    const ts = String(Date.now());
    let res;
    try {
      res = await fetch(new URL(path.replace(/^\//, ""), apiBase), {
        method: "POST",
        headers: {
          "App-Key": this.#key,
          Nonce: n,
          Timestamp: ts,
          Signature: await sign(this.#secret, n, ts),
          "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
        },
        body,
        credentials: "omit",
        cache: "no-store",
      });
    } catch (e) {
      throw new ApiError(0, `The service could not be reached (${e.message}).`, 0);
    }
    let answer;
    try {
      answer = await res.json();
    } catch {
      throw new ApiError(1000, `HTTP ${res.status} without a JSON answer`, res.status);
    }
    if (answer.code !== 200) {
      throw new ApiError(answer.code ?? 1000, answer.errorMessage || `HTTP ${res.status}`, res.status);
    }
    return answer;
  }
}
