// Package addons holds the end-to-end test of the add-ons in manifests/addons (Prometheus,
// Flagger's load tester, Grafana): each is applied with `kubectl apply -k` to the local
// environment's real API server, as a user would after manifests/install, and its objects are
// checked where kwok lets them be (kwok nodes run no containers, so Deployments become Available
// without an image being pulled, and no Prometheus or Grafana process is reached).
package addons
