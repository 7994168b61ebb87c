// Package client is a small typed client for the flagger.app/v1beta1 kinds, built on client-go's
// REST client and the v1beta1 scheme: Get, List, Watch, Create, Update, UpdateStatus, Patch and
// Delete for Canaries, MetricTemplates and AlertProviders, plus ListWatch sources for shared
// informers.
//
// It replaces a generated clientset: the three kinds need nothing more, and the package stays
// readable. It does not cache; use informers (NewListWatch) for that.
package client
