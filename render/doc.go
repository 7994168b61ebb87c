// Package render turns one kustomize overlay of a Git checkout into a Bundle: every object the
// overlay renders, decoded, with the Canaries, MetricTemplates and AlertProviders among them
// classified, validated and cross-checked.
//
// Build runs kustomize's krusty in-process, confined to the repository root: every file it
// reads, directly or through a symlink, must lie inside the root; plugins, exec and container
// functions and Helm charts are disabled; remote bases and remote files are refused before
// kustomize runs, so rendering never reaches the network. A folder of plain YAML without a
// kustomization file renders as Flux's kustomize-controller renders it: as if a kustomization
// listed every manifest in it (recursively; sub-folders with their own kustomization are
// included as a whole).
//
// The package neither applies objects nor talks to a cluster; references that may be satisfied
// by objects already in the cluster (a MetricTemplate, an AlertProvider, the target Deployment)
// are reported as warnings, not errors. So are analysis metrics that are valid but cannot work
// as written (lint.go): a MetricTemplate that divides two unaggregated selections of the same
// metric (the Crossover tutorial's error-rate, which reads 0 % errors whatever happens), and a
// threshold below 1 on a metric measured in milliseconds (the tutorial's latency max 0.5).
package render
