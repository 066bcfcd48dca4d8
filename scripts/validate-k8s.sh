#!/usr/bin/env bash
# Validates the Kubernetes manifests in deploy/kubernetes/ against the Kubernetes API schemas, offline:
# kubernetes-validate (PyPI) ships the schemas, so no cluster and no network are needed once it is installed.
# Strict: an unknown field fails. Checked against the oldest and the newest Kubernetes version it knows, so the
# manifests work on every cluster in between.
#   scripts/validate-k8s.sh            (installs the pinned kubernetes-validate into .tools/k8s-venv on first use)
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=1.37.0
KUBERNETES_VERSIONS=(1.25.0 1.37.0)
venv=.tools/k8s-venv

if [ "$("$venv/bin/kubernetes-validate" --version 2>/dev/null)" != "$VERSION" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "kubernetes-validate==$VERSION"
fi

# kustomization.yaml is kustomize's file, not a Kubernetes resource.
mapfile -t manifests < <(find deploy/kubernetes -name '*.yaml' ! -name kustomization.yaml | sort)
for k8s in "${KUBERNETES_VERSIONS[@]}"; do
  "$venv/bin/kubernetes-validate" --strict --quiet --kubernetes-version "$k8s" "${manifests[@]}"
done
echo "${#manifests[@]} manifests valid for Kubernetes ${KUBERNETES_VERSIONS[*]}"
