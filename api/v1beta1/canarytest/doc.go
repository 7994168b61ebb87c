// Package canarytest builds Canaries for tests: one builder, New, for the podinfo Canary the
// seed walkthrough deploys (test/podinfo, target Deployment podinfo, port 9898, a 1m analysis
// of stepWeight 5 up to 50), and options that change it. Packages' test fixtures start from it
// and add only what their tests are about.
package canarytest
