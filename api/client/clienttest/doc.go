// Package clienttest gives unit tests a fake API server that behaves like the real one where
// reading from informer caches matters: every write gets a new resourceVersion, an update or a
// patch that carries an old one fails with a Conflict, and listers read the fake's objects at
// once — or, after Freeze, a copy of what it held then, as an informer that lags behind.
//
// Tracker wraps the object tracker of client-go's fake clientsets (kubernetes/fake,
// dynamic/fake); Indexer is the cache.Indexer behind the listers. NewClientset puts both
// together for the typed clientset.
package clienttest
