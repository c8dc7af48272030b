/** The npm package: `npm pack` builds it, and another project installs and imports the tarball. */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

// build/test/package.test.js → the sdk folder.
const SDK = fileURLToPath(new URL("../../", import.meta.url));
const TSC = join(SDK, "node_modules", "typescript", "bin", "tsc");
const work = mkdtempSync(join(tmpdir(), "tactful-sdk-pack-"));

after(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

test("npm pack ships the bundles, their types and the README, and nothing else", () => {
  const [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], SDK)) as {
    filename: string;
    files: { path: string }[];
  }[];
  assert.ok(packed);
  const files = packed.files.map((file) => file.path).sort();
  for (const expected of [
    "README.md",
    "package.json",
    "dist/index.js",
    "dist/openfeature.js",
    "dist/types/index.d.ts",
    "dist/types/openfeature.d.ts",
  ]) {
    assert.ok(files.includes(expected), `${expected} is missing from the package`);
  }
  assert.deepEqual(
    files.filter((path) => path.startsWith("src/") || path.startsWith("test/") || path.includes("node_modules")),
    [],
  );

  // Another project installs the tarball (no runtime dependency to fetch) and imports it
  const project = join(work, "shop");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "shop", private: true, type: "module" }));
  run("npm", ["install", "--no-audit", "--no-fund", "--offline", join(work, packed.filename)], project);
  const imported = run(
    "node",
    [
      "--input-type=module",
      "-e",
      `import { createClient, consentModeState } from "@tactful/sdk";
       const client = createClient({ baseUrl: "https://tactful.example" });
       console.log(JSON.stringify([typeof client.decide, client.state, consentModeState({ measurement: true })]));`,
    ],
    project,
  );
  assert.deepEqual(JSON.parse(imported), [
    "function",
    "default",
    {
      functionality_storage: "denied",
      security_storage: "denied",
      personalization_storage: "denied",
      analytics_storage: "granted",
      ad_storage: "denied",
      ad_user_data: "denied",
      ad_personalization: "denied",
    },
  ]);

  // And its types resolve through the package's exports, strictly
  writeFileSync(
    join(project, "check.ts"),
    `import { createClient, type Decision } from "@tactful/sdk";
     const client = createClient({ identity: "header", consentMode: true });
     const shown: Promise<Decision | undefined> = client.decide(["home-hero"]).then((r) => r.decisions["home-hero"]);
     void shown;`,
  );
  run(
    "node",
    [TSC, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--lib", "es2022,dom", "check.ts"],
    project,
  );
});
