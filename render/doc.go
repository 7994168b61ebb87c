// Package render turns one kustomize overlay of a Git checkout into a Bundle: every object the
// overlay renders, decoded, with the Canaries, MetricTemplates and AlertProviders among them
// classified, validated and cross-checked.
//
// The repository is untrusted input. Build runs kustomize's krusty in-process with one file
// system, confinedFS, through which kustomize reads everything:
//
//   - every file it reads, directly or through a symlink, must lie inside the root;
//   - every file is held to the Limits (size of a file, bytes read, YAML nodes with aliases
//     expanded) before kustomize parses it, and the rendered output to a size;
//   - every kustomization file is checked before kustomize sees it (refChecker): the fields that
//     kustomize would fetch over HTTP or clone with git are refused, using kustomize's own
//     parsers to tell a remote reference from a local path; Helm charts are refused; the
//     generators, transformers and validators must be builtin plugins from an allow-list, and
//     the files they name are checked the same way. A test lists kustomize's fields against a
//     reviewed list, so a kustomize upgrade cannot add an unchecked one unnoticed.
//
// So rendering never reaches the network and never runs a program. A panic inside kustomize
// is recovered into a *PanicError naming the overlay. A folder of plain YAML without a
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
