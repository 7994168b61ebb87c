// Package webhook calls the webhooks of a Canary's analysis with Flagger's HTTP contract
// (reference §8.2): a JSON POST of v1beta1.CanaryWebhookPayload, a per-attempt timeout,
// retries with exponential backoff, and the response body as the error text.
//
// Client implements engine.Hooks (Call) and sends events to event webhooks (Event): every
// webhook of type event of the canary, or the global event webhook when the canary has none.
//
// Unlike Flagger, any 2xx answer passes (Flagger fails 203–299: quirk S9) and the body of the
// last answer stays in the error after retries (Flagger's retry library drops it).
//
// Webhooks whose url is "git:" (v1beta1.GitGateURL) are Git gates: Call hands them to
// Options.Gates (status/ledger.Gatekeeper), which answers from decisions committed to the
// status branch; no request is made.
//
// It deliberately does not decide when hooks run or what their failure means (the engine
// does). Event logs the failures of event webhooks and returns them joined; nothing else here
// logs.
package webhook
