// Validates rendered Kubernetes manifests offline against the Kubernetes OpenAPI schemas, as compiled into the
// npm package kubernetes-models (and @kubernetes-models/prometheus-operator for ServiceMonitor), which
// build/setup-helm.sh installs. kubectl's own validation needs an API server to fetch schemas from; this does not.
//
// Usage: node validate-manifests.mjs MODULES_DIR MANIFESTS.yaml
//   MODULES_DIR  the node_modules folder holding kubernetes-models, @kubernetes-models/* and yaml
// Prints {"documents": [...], "errors": [...]} as JSON: every document as parsed, and for each one that fails
// its schema (or whose kind no schema covers) its kind, name and the validator's message. Exits 1 on any error.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modulesDir, manifestsPath] = process.argv.slice(2);
if (!modulesDir || !manifestsPath) {
  console.error("usage: node validate-manifests.mjs MODULES_DIR MANIFESTS.yaml");
  process.exit(2);
}

const { parseAllDocuments } = await import(pathToFileURL(join(modulesDir, "yaml", "dist", "index.js")).href);

// apiVersion "v1" lives at kubernetes-models/v1/Kind.js, "group/version" at kubernetes-models/group/version/Kind.js;
// the Prometheus Operator's group has its own package.
function modelFile(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : [null, apiVersion];
  if (group === "monitoring.coreos.com") {
    return join(modulesDir, "@kubernetes-models", "prometheus-operator", group, version, `${kind}.js`);
  }
  return group === null
    ? join(modulesDir, "kubernetes-models", version, `${kind}.js`)
    : join(modulesDir, "kubernetes-models", group, version, `${kind}.js`);
}

const text = await readFile(manifestsPath, "utf8");
const documents = [];
const errors = [];
for (const doc of parseAllDocuments(text)) {
  if (doc.errors.length > 0) {
    errors.push({ kind: "?", name: "?", message: `YAML: ${doc.errors.map((e) => e.message).join("; ")}` });
    continue;
  }
  const value = doc.toJS();
  if (value === null || value === undefined) continue; // an empty document between separators
  documents.push(value);
  const kind = value.kind ?? "?";
  const name = value.metadata?.name ?? "?";
  if (typeof value.apiVersion !== "string" || typeof value.kind !== "string") {
    errors.push({ kind, name, message: "apiVersion and kind are required" });
    continue;
  }
  const file = modelFile(value.apiVersion, value.kind);
  if (!existsSync(file)) {
    errors.push({ kind, name, message: `no schema for ${value.apiVersion} ${value.kind}` });
    continue;
  }
  const model = await import(pathToFileURL(file).href);
  const Model = model[value.kind];
  try {
    new Model(value).validate();
  } catch (e) {
    errors.push({ kind, name, message: e.message });
  }
}

process.stdout.write(JSON.stringify({ documents, errors }));
process.exit(errors.length > 0 ? 1 : 0);
