#!/usr/bin/env node
// Writes the openAPIV3Schema of each served version of a CustomResourceDefinition to deploy/schemas/
// as <group>_<version>_<kind>.json, with a $comment naming where it came from. The schemas are kept as the CRD has
// them; validate-manifests.mjs closes them (no unknown fields) when it loads them.
//
//   node deploy/tools/extract-crd-schema.mjs "cloudnative-pg v1.30.0 config/crd/bases/postgresql.cnpg.io_clusters.yaml" crd.yaml
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const [source, file] = process.argv.slice(2);
if (!source || !file) {
  console.error("usage: extract-crd-schema.mjs '<project> <version> <path in its repository>' <crd.yaml>");
  process.exit(2);
}
const out = resolve(dirname(fileURLToPath(import.meta.url)), "../schemas");
for (const crd of YAML.parseAllDocuments(readFileSync(file, "utf8")).map(d => d.toJS())) {
  if (crd?.kind !== "CustomResourceDefinition") {
    continue;
  }
  for (const version of crd.spec.versions.filter(v => v.served)) {
    const name = `${crd.spec.group}_${version.name}_${crd.spec.names.kind.toLowerCase()}.json`;
    const schema = { $comment: `openAPIV3Schema of ${crd.spec.names.kind} ${crd.spec.group}/${version.name}, from ${source}`, ...version.schema.openAPIV3Schema };
    writeFileSync(join(out, name), JSON.stringify(schema) + "\n");
    console.log(name);
  }
}
