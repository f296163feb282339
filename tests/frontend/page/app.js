// The walk of index.html, with nothing but fetch: each step writes what it got into its <output>
// (data-state ok, failed or skipped) so that a test can read the page as a person would.

const form = document.querySelector("#settings");
const fragment = new URLSearchParams(location.hash.slice(1));
for (const name of ["api", "token", "id_number", "client_id"]) {
  form.elements[name].value = fragment.get(name) ?? "";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  document.body.dataset.state = "running";
  await walk(Object.fromEntries(new FormData(form)));
  document.body.dataset.state = "done";
});

class Failure extends Error {}

async function walk({ api, token, id_number, client_id }) {
  const call = async (method, path, { body, headers = {} } = {}) => {
    let response;
    try {
      response = await fetch(new URL(path, api), {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      // what a script sees of a CORS refusal: no status, no body
      throw new Failure(`blocked: ${error.message}`);
    }
    const payload = (response.headers.get("Content-Type") ?? "").includes("json") ? await response.json() : null;
    return { status: response.status, etag: response.headers.get("ETag"), payload };
  };
  const expect = (reply, status) => {
    if (reply.status !== status) throw new Failure(`${reply.status} ${reply.payload?.error?.code ?? "(no error code)"}`);
    return reply;
  };

  const state = { clientId: client_id || null, etag: null };

  await step("signin", async () => {
    const claims = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    const user = claims["cognito:username"];
    const { payload: me } = expect(await call("GET", `/staff/${encodeURIComponent(user)}`), 200);
    return `${me.staff_id} ${me.role} ${me.branch_id}`;
  });

  await step("lookup", async () => {
    const { payload } = expect(await call("POST", "/clients/lookup", { body: { id_number } }), 200);
    const [first] = payload.items;
    if (first === undefined) throw new Failure("nobody with that ID number");
    state.clientId = first.client_id;
    return `${payload.items.length} found: ${first.client_id} ${first.name} ${first.id_number}`;
  });

  const clientPath = () => {
    if (!state.clientId) throw new Failure("skipped: no client");
    return `/clients/${encodeURIComponent(state.clientId)}`;
  };

  await step("overview", async () => {
    const { payload } = expect(await call("GET", `${clientPath()}/overview`), 200);
    return `${payload.client.name} ${payload.client.client_class ?? "unclassified"}`;
  });

  await step("read", async () => {
    const { payload, etag } = expect(await call("GET", clientPath()), 200);
    state.etag = etag;
    return `${payload.client_id} ${payload.name} ${payload.phone} etag ${etag ? "present" : "missing"}`;
  });

  const ifMatch = () => {
    if (!state.etag) throw new Failure("skipped: no ETag to send");
    return { "If-Match": state.etag };
  };

  await step("edit", async () => {
    const headers = ifMatch();
    const body = { phone: "13911112222", evidence_ref: "REC-WEB-1" };
    const { status, payload, etag } = expect(await call("PUT", `${clientPath()}/contact-details`, { body, headers }), 200);
    const fresh = etag && etag !== headers["If-Match"] ? "new etag" : "no new etag";
    return `${status} ${payload.phone} ${fresh}`;
  });

  await step("stale", async () => {
    const headers = ifMatch(); // the ETag read before the change: stale now
    const body = { phone: "13933334444", evidence_ref: "REC-WEB-2" };
    const reply = await call("PUT", `${clientPath()}/contact-details`, { body, headers });
    return `${reply.status} ${reply.payload?.error?.code ?? "(no error code)"}`;
  });
}

async function step(id, action) {
  const output = document.querySelector(`#${id}`);
  try {
    output.textContent = await action();
    output.dataset.state = "ok";
  } catch (error) {
    output.textContent = error instanceof Failure ? error.message : `error: ${error}`;
    output.dataset.state = error.message.startsWith("skipped") ? "skipped" : "failed";
  }
}
