/**
 * How a front-end uses the client generated from the committed OpenAPI document: openapi-typescript's
 * `paths` with openapi-fetch. Never run, only type-checked (`tsc --strict --noEmit`, by
 * test_generated_client.py), so that a change to the document that breaks real calls fails there.
 * "crm-api" is the generated file, mapped by the test's tsconfig to its temporary directory.
 */
import createClient from "openapi-fetch";
import type { components, paths } from "crm-api";

type Client = components["schemas"]["ClientOut"];
type ErrorBody = components["schemas"]["ErrorBody"];

const api = createClient<paths>({ baseUrl: "http://127.0.0.1:3000" });
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

export async function readClient(token: string, clientId: string): Promise<Client> {
  const { data, error, response } = await api.GET("/clients/{client_id}", {
    params: { path: { client_id: clientId } },
    headers: auth(token),
  });
  if (error !== undefined) throw new Error(describe(response.status, error));
  const masked: string = data.id_number;
  const klass: string | null = data.client_class;
  const vip: boolean = data.vip;
  void [masked, klass, vip, response.headers.get("ETag")];
  return data;
}

export async function register(token: string): Promise<string> {
  const { data, error } = await api.POST("/clients", {
    headers: { ...auth(token), "Idempotency-Key": "web-register-W001" },
    body: {
      client_id: "W001",
      name: "网页客户",
      id_number: "110101199003074514",
      phone: "13800138000",
      branch_id: "B001",
      manager_id: "mgr-web",
      opened_on: "2024-03-01",
    },
  });
  if (error !== undefined) throw new Error(error.error.code);
  return data.client_id;
}

export async function branchStaff(token: string): Promise<string[]> {
  const { data, error } = await api.GET("/staff", {
    params: { query: { branch_id: "B001", role: "manager", active: true, limit: 50 } },
    headers: auth(token),
  });
  if (error !== undefined) throw new Error(error.error.code);
  const next: string | null = data.next_cursor;
  void next;
  return data.items.map((member) => `${member.staff_id} ${member.name} (${member.role})`);
}

export async function changePhone(token: string, clientId: string, etag: string): Promise<string | null> {
  const { data, error, response } = await api.PUT("/clients/{client_id}/contact-details", {
    params: { path: { client_id: clientId } },
    headers: { ...auth(token), "If-Match": etag },
    body: { phone: "13911112222", evidence_ref: "REC-WEB-1" },
  });
  if (error !== undefined) throw new Error(describe(response.status, error));
  void data.phone;
  return response.headers.get("ETag");
}

function describe(status: number, body: ErrorBody): string {
  return `${status} ${body.error.code}`;
}

// The types must be real, not `any`: each of these is an error the checker has to find.
export async function mistakes(token: string): Promise<void> {
  // @ts-expect-error a path the document does not have
  await api.GET("/clients/{client_id}/nonsense", { params: { path: { client_id: "W001" } } });
  // @ts-expect-error the path parameter is required
  await api.GET("/clients/{client_id}", { headers: auth(token) });
  await api.POST("/clients", {
    // @ts-expect-error a new client needs its manager and branch
    body: { client_id: "W002", name: "缺字段", id_number: "110101199003074514", phone: "13800138000" },
  });
  const { data } = await api.GET("/clients/{client_id}", { params: { path: { client_id: "W001" } } });
  // @ts-expect-error data may be undefined until the error is ruled out
  void data.name;
}
