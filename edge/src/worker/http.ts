/** HTTP plumbing of the worker: JSON answers, and request bodies read as the origin reads them. */

export const JSON_TYPE = "application/json";

export function jsonResponse(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": JSON_TYPE, ...headers },
  });
}

/** Tactful's error shape: `{"error": {"code", "message", "details"?}}`. */
export function errorBody(
  code: string,
  message: string,
  details?: unknown,
): { error: Record<string, unknown> } {
  const error: Record<string, unknown> = { code, message };
  if (details !== undefined && details !== null) error.details = details;
  return { error };
}

/** Why a body could not be read, as DRF names it. */
export class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The request's bytes, refused past `limit` without reading further. */
export async function bodyBytes(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const tooLarge = () =>
    new BodyError(413, "payload_too_large", `Request body is larger than ${limit} bytes.`);
  const length = request.headers.get("Content-Length");
  if (length !== null && Number(length) > limit) throw tooLarge();
  if (request.body === null) return new Uint8Array(0);
  // A declared length is what the runtime delivers: read it whole.
  if (length !== null) return new Uint8Array(await request.arrayBuffer());
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

const DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The parsed JSON of a body as DRF's JSON parser gives it: an empty body is `{}` whatever its
 * type; any other must be `application/json` (415) and valid JSON (400 parse_error). */
export function parseJson(request: Request, bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) return {};
  const type = request.headers.get("Content-Type") ?? "";
  if (type.split(";", 1)[0]?.trim().toLowerCase() !== JSON_TYPE) {
    throw new BodyError(
      415,
      "unsupported_media_type",
      `Unsupported media type "${type}" in request.`,
    );
  }
  try {
    return JSON.parse(DECODER.decode(bytes));
  } catch (error) {
    throw new BodyError(
      400,
      "parse_error",
      `Malformed JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** A request's bytes and JSON, or why they cannot be read (a BodyError, returned). */
export async function readJson(
  request: Request,
  limit: number,
): Promise<{ bytes: Uint8Array<ArrayBuffer>; value: unknown } | BodyError> {
  try {
    const bytes = await bodyBytes(request, limit);
    return { bytes, value: parseJson(request, bytes) };
  } catch (error) {
    if (error instanceof BodyError) return error;
    throw error;
  }
}
