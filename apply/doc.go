// Package apply applies the objects of a rendered overlay to the cluster with server-side apply,
// and prunes the objects that left Git.
//
// One Applier serves every overlay. An apply is all or nothing as far as the API server can
// tell in advance: Namespaces and CustomResourceDefinitions go first (other objects depend on
// them), then every other object is validated with a server-side dry run, and only when all
// pass are they applied, in dependency order, under one field manager. Conflicts are forced:
// server-side apply then takes ownership of exactly the fields the manifest declares.
//
// Fields and objects that gitcanary's engine owns are never fought over: objects controlled by
// a Canary (the generated -primary and -canary objects) and objects annotated with Flux's
// kustomize.toolkit.fluxcd.io/reconcile: disabled are skipped, and spec.replicas of a Canary's
// target is removed from the applied configuration.
//
// What was applied for each overlay is recorded in an inventory (a ConfigMap in the controller's
// namespace). Prune deletes only objects that are in the previous inventory, are absent from the
// new one and still carry the overlay's inventory label: the applier never deletes what it did
// not create. CustomResourceDefinitions are never pruned, so that no custom resources are lost;
// nor are objects annotated with Flux's kustomize.toolkit.fluxcd.io/prune: disabled, nor
// Namespaces unless annotated gitcanary.io/prune: enabled (deleting a Namespace deletes what is
// in it, also what gitcanary did not apply). The inventory is written before applying (previous
// and new objects together) and after pruning (the new objects), so that a failure or a crash
// mid-apply never forgets an applied object.
//
// A set without objects for an overlay that applied objects is refused (ErrEmptySet) unless
// Set.AllowEmpty says the overlay is empty on purpose. A missing inventory whose objects still
// carry their label is reported (Result.InventoryMissing); nothing can be pruned then.
//
// The inventory also keeps the digest of the output last applied in full (Set.Digest) and the
// pod template revision of each canary target after it (Options.TargetRevision). Applying the
// digest the inventory holds is a re-apply (Result.Reapplied): the dry run is skipped, each live
// object is read just before it is applied (so an edit made while the overlay is re-applied is
// seen), nothing is written to the inventory unless something changed, and every change is drift. Each apply
// lists the objects it created or whose manifest fields it changed (Result.Changes), comparing
// the live object before with the one the apply returned on the fields the manifest sets: a
// server-side apply that changes nothing keeps the resourceVersion, and fields set by others
// that Git does not set are neither changed nor reported.
//
// Readiness reads applied objects and judges them by the kstatus rules (sigs.k8s.io/cli-utils).
package apply
