#!/usr/bin/env node
// Validates rendered Kubernetes manifests (a YAML stream: files named on the command line, or stdin) against their
// schemas, with no cluster: built-in kinds and the kinds of Gateway API, cert-manager, KEDA and External Secrets
// against the kubernetes-models packages; CloudNativePG, RabbitMQ and redis-operator kinds against the CRD schemas
// kept in deploy/schemas/. Any field a schema does not name is an error: the API server would drop it silently.
//
//   kubectl kustomize deploy/overlays/dev | node deploy/tools/validate-manifests.mjs
//
// Exit 0 and "N objects valid", or exit 1 and one line per problem ("Kind/name: where: what").
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const schemaDir = resolve(here, "../schemas");

let YAML, Ajv, ts;
try {
  YAML = await import("yaml");
  Ajv = (await import("ajv")).default;
  ts = (await import("typescript")).default;
} catch (e) {
  console.error(`npm packages missing (${e.message}): run \`npm ci\` in the repository root (./shop test does).`);
  process.exit(2);
}

// Kinds whose operators publish no npm models: schemas extracted from their CRDs (deploy/schemas/README.md).
const crdSchemaGroups = new Set(["postgresql.cnpg.io", "rabbitmq.com", "redis.redis.opstreelabs.in"]);

// Kinds of the kubernetes-models packages, by API group (the built-in groups are in kubernetes-models itself).
const modelPackages = {
  "gateway.networking.k8s.io": "@kubernetes-models/gateway-api",
  "cert-manager.io": "@kubernetes-models/cert-manager",
  "keda.sh": "@kubernetes-models/keda",
  "external-secrets.io": "@kubernetes-models/external-secrets",
};

function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (modelPackages[group]) {
    return `${modelPackages[group]}/${group}/${version}/${kind}`;
  }
  if (group.includes(".") && !group.endsWith(".k8s.io")) {
    return null;
  }
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
}

function label(object) {
  return `${object?.kind ?? "?"}/${object?.metadata?.name ?? "?"}`;
}

/** A CRD schema as the API server applies it: an object lists its fields unless it says it keeps unknown ones. */
export function closeSchema(schema) {
  if (!schema || typeof schema !== "object") {
    return schema;
  }
  if (schema.properties && schema.additionalProperties === undefined && !schema["x-kubernetes-preserve-unknown-fields"]) {
    schema.additionalProperties = false;
  }
  for (const child of Object.values(schema.properties ?? {})) {
    closeSchema(child);
  }
  closeSchema(schema.items);
  if (typeof schema.additionalProperties === "object") {
    closeSchema(schema.additionalProperties);
  }
  for (const list of [schema.allOf, schema.anyOf, schema.oneOf]) {
    list?.forEach(closeSchema);
  }
  return schema;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const crdValidators = new Map();

function crdValidator(apiVersion, kind) {
  const [group, version] = apiVersion.split("/");
  const file = join(schemaDir, `${group}_${version}_${kind.toLowerCase()}.json`);
  if (!crdValidators.has(file)) {
    let schema;
    try {
      schema = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      crdValidators.set(file, null);
      return null;
    }
    crdValidators.set(file, ajv.compile(closeSchema(schema)));
  }
  return crdValidators.get(file);
}

function ajvProblems(errors) {
  return errors.map(e => {
    const where = e.instancePath.replace(/^\//, "").replaceAll("/", ".") || "(top)";
    return e.keyword === "additionalProperties"
      ? `${where === "(top)" ? "" : `${where}.`}${e.params.additionalProperty}: unknown field`
      : `${where}: ${e.message}`;
  });
}

/** kustomize folds long base64 values into block scalars; the API server reads them without the whitespace. */
function normalize(object) {
  if (object.kind === "Secret" && object.data) {
    for (const key of Object.keys(object.data)) {
      object.data[key] = String(object.data[key]).replace(/\s+/g, "");
    }
  }
  return object;
}

export async function validate(objects) {
  const problems = [];
  const typed = [];
  for (const object of objects) {
    if (!object || typeof object !== "object" || !object.apiVersion || !object.kind) {
      problems.push(`${label(object)}: not a Kubernetes object (apiVersion and kind are required)`);
      continue;
    }
    const group = object.apiVersion.includes("/") ? object.apiVersion.split("/")[0] : "";
    if (crdSchemaGroups.has(group)) {
      const check = crdValidator(object.apiVersion, object.kind);
      if (!check) {
        problems.push(`${label(object)}: no schema for ${object.apiVersion} ${object.kind} in deploy/schemas/`);
      } else if (!check(object)) {
        problems.push(...ajvProblems(check.errors).map(p => `${label(object)}: ${p}`));
      }
      continue;
    }
    const path = modulePath(object.apiVersion, object.kind);
    let model;
    try {
      model = path && (await import(path))[object.kind];
    } catch {
      model = undefined;
    }
    if (!model) {
      problems.push(`${label(object)}: no schema for ${object.apiVersion} ${object.kind} (no kubernetes-models class, no CRD schema)`);
      continue;
    }
    try {
      new model(structuredClone(object)).validate();
    } catch (e) {
      problems.push(`${label(object)}: ${e.message}`);
    }
    typed.push({ object, path, kind: object.kind });
  }
  problems.push(...unknownFields(typed));
  return problems;
}

/**
 * The models' validators accept fields they do not know; their TypeScript interfaces do not. Every object becomes an
 * object literal of its interface, and the compiler's excess-property check names each unknown field.
 */
function unknownFields(typed) {
  if (typed.length === 0) {
    return [];
  }
  const file = join(here, "__manifests__.ts");
  const lines = [];
  const owners = [];
  typed.forEach(({ object, path, kind }, i) => {
    lines.push(`import type { I${kind} as T${i} } from "${path}";`);
  });
  typed.forEach(({ object }, i) => {
    const body = `export const o${i}: T${i} = ${JSON.stringify(object, null, 1)};`.split("\n");
    for (const line of body) {
      lines.push(line);
      owners.push([lines.length - 1, object]);
    }
  });
  const source = lines.join("\n");
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    resolve(name) === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = name => resolve(name) === file || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = name => (resolve(name) === file ? source : readFile(name));

  const program = ts.createProgram([file], options, host);
  const owner = new Map(owners);
  return ts.getPreEmitDiagnostics(program).map(d => {
    // The literals are JSON, so the compiler quotes field names twice: '"imagePullPolicyy"'.
    const message = ts.flattenDiagnosticMessageText(d.messageText, " ").replace(/'"([^"]+)"'/g, "'$1'");
    if (!d.file || resolve(d.file.fileName) !== file) {
      return `types: ${message}`;
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const object = owner.get(line);
    return object ? `${label(object)}: ${message}` : `types: ${message}`;
  });
}

async function main() {
  const files = process.argv.slice(2);
  const texts = files.length ? files.map(f => readFileSync(f === "-" ? 0 : f, "utf8")) : [readFileSync(0, "utf8")];
  const objects = [];
  for (const text of texts) {
    for (const document of YAML.parseAllDocuments(text)) {
      if (document.errors.length) {
        console.error(`YAML: ${document.errors.map(e => e.message).join("; ")}`);
        process.exit(1);
      }
      const value = document.toJS();
      if (value !== null) {
        objects.push(normalize(value));
      }
    }
  }
  const problems = await validate(objects);
  if (problems.length) {
    for (const problem of problems) {
      console.log(problem);
    }
    console.log(`${problems.length} problem(s) in ${objects.length} objects`);
    process.exit(1);
  }
  console.log(`${objects.length} objects valid`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
